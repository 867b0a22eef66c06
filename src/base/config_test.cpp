#include <gtest/gtest.h>

#include "jenny/base/config_bind.h"

namespace jenny::base {
namespace {

struct OptimConfig {
    double lr_max = 3e-4;
    double lr_min = 0.0;
    int warmup_steps = 100;
    std::string schedule = "cosine";
    template <class V>
    void visit(V& v) {
        v.field("lr_max", lr_max, "peak learning rate");
        v.field("lr_min", lr_min);
        v.field("warmup_steps", warmup_steps);
        v.one_of("schedule", schedule, {"cosine", "linear", "constant"});
    }
};

struct TrainConfig {
    std::string data;
    int64_t steps = 1000;
    bool resume = false;
    std::vector<std::string> tasks;
    std::optional<uint32_t> seed;
    OptimConfig optim;
    std::map<std::string, double> loss_weights;
    template <class V>
    void visit(V& v) {
        v.required("data", data, "token dataset prefix");
        v.field("steps", steps);
        v.field("resume", resume);
        v.field("tasks", tasks);
        v.field("seed", seed);
        v.field("optim", optim);
        v.field("loss_weights", loss_weights);
    }
};

Result<TrainConfig> from_yaml(const std::string& text) {
    JENNY_ASSIGN_OR_RETURN(ConfigNode n, parse_yaml(text, "config.yaml"));
    return bind_config<TrainConfig>(n);
}

Result<TrainConfig> from_json(const std::string& text) {
    JENNY_ASSIGN_OR_RETURN(ConfigNode n, parse_json(text, "config.json"));
    return bind_config<TrainConfig>(n);
}

std::string error_of(const Result<TrainConfig>& r) {
    EXPECT_FALSE(r.ok());
    return r.ok() ? "" : r.status().message();
}

TEST(Config, YamlBindsEveryType) {
    auto r = from_yaml(
        "data: /data/tiny\n"
        "steps: 1e4\n"
        "resume: yes\n"
        "tasks: [mmlu, gsm8k]\n"
        "seed: 7\n"
        "optim:\n"
        "  lr_max: 1e-3\n"
        "  schedule: linear\n"
        "loss_weights: {a: 0.5, b: 2}\n");
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->data, "/data/tiny");
    EXPECT_EQ(r->steps, 10000);
    EXPECT_TRUE(r->resume);
    EXPECT_EQ(r->tasks, (std::vector<std::string>{"mmlu", "gsm8k"}));
    EXPECT_EQ(r->seed, 7u);
    EXPECT_DOUBLE_EQ(r->optim.lr_max, 1e-3);
    EXPECT_EQ(r->optim.warmup_steps, 100);  // default kept
    EXPECT_EQ(r->optim.schedule, "linear");
    EXPECT_DOUBLE_EQ(r->loss_weights["b"], 2.0);
}

TEST(Config, JsonBindsTheSame) {
    auto r = from_json(R"({"data": "/d", "steps": 5, "optim": {"lr_max": 0.01}, "tasks": ["x"]})");
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->steps, 5);
    EXPECT_DOUBLE_EQ(r->optim.lr_max, 0.01);
    EXPECT_EQ(r->tasks, std::vector<std::string>{"x"});
}

TEST(Config, WrongTypeNamesPathValueAndLine) {
    std::string msg =
        error_of(from_yaml("data: /d\n"
                           "optim:\n"
                           "  warmup_steps: 10\n"
                           "  lr_max: abc\n"));
    EXPECT_EQ(msg, "optim.lr_max: expected a number, got \"abc\" (config.yaml:4)");
}

TEST(Config, WrongTypeInJsonHasLine) {
    std::string msg = error_of(from_json("{\n  \"data\": \"/d\",\n  \"steps\": \"many\"\n}\n"));
    EXPECT_EQ(msg, "steps: expected an integer, got \"many\" (config.json:3)");
    msg = error_of(from_json("{\"data\": \"/d\",\n \"optim\": {\n  \"lr_max\": [1]}}"));
    EXPECT_EQ(msg, "optim.lr_max: expected a number, got a list (config.json:3)");
}

TEST(Config, UnknownKeySuggestsClosest) {
    std::string msg = error_of(from_yaml("data: /d\noptim:\n  lr_mx: 0.1\n"));
    EXPECT_EQ(msg, "optim.lr_mx: unknown key (config.yaml:3); did you mean 'lr_max'?");
    msg = error_of(from_yaml("data: /d\nzzzzzzzz: 1\n"));
    EXPECT_EQ(msg.rfind("zzzzzzzz: unknown key (config.yaml:2); valid keys here: data, steps", 0),
              0u)
        << msg;
}

TEST(Config, MissingRequiredKey) {
    std::string msg = error_of(from_yaml("steps: 3\n"));
    EXPECT_EQ(msg,
              "data: required key is missing (in config.yaml); add it to the config or pass "
              "--set data=...");
}

TEST(Config, AllErrorsReportedTogether) {
    std::string msg = error_of(from_yaml("steps: x\nresume: maybe\nbogus: 1\n"));
    EXPECT_NE(msg.find("data: required key is missing"), std::string::npos) << msg;
    EXPECT_NE(msg.find("steps: expected an integer, got \"x\" (config.yaml:1)"), std::string::npos);
    EXPECT_NE(msg.find("resume: expected true or false, got \"maybe\" (config.yaml:2)"),
              std::string::npos);
    EXPECT_NE(msg.find("bogus: unknown key (config.yaml:3)"), std::string::npos);
}

TEST(Config, RangeAndChoices) {
    EXPECT_EQ(error_of(from_yaml("data: d\nseed: -1\n")),
              "seed: -1 is out of range [0, 4294967295] (config.yaml:2)");
    EXPECT_EQ(error_of(from_yaml("data: d\nsteps: 1.5\n")),
              "steps: expected an integer, got \"1.5\" (config.yaml:2)");
    EXPECT_EQ(error_of(from_yaml("data: d\noptim: {schedule: cosyne}\n")),
              "optim.schedule: expected one of cosine, linear, constant, got \"cosyne\" "
              "(config.yaml:2)");
    EXPECT_EQ(error_of(from_yaml("data: d\noptim: 3\n")),
              "optim: expected a map of keys, got \"3\" (config.yaml:2)");
}

TEST(Config, SyntaxErrorsNameFileAndLine) {
    auto y = parse_yaml("data: [1, 2\nsteps: 3\n", "c.yaml");
    ASSERT_FALSE(y.ok());
    EXPECT_EQ(y.status().message().rfind("c.yaml:", 0), 0u) << y.status().message();
    EXPECT_NE(y.status().message().find("YAML syntax error"), std::string::npos);
    auto j = parse_json("{\"a\": 1,,}", "c.json");
    ASSERT_FALSE(j.ok());
    EXPECT_NE(j.status().message().find("c.json: JSON syntax error"), std::string::npos)
        << j.status().message();
    auto dup = parse_yaml("a: 1\nb: 2\na: 3\n", "d.yaml");
    ASSERT_FALSE(dup.ok());
    EXPECT_EQ(dup.status().message(), "d.yaml:3: duplicate key 'a': remove one of them");
    auto jdup = parse_json("{\"a\": 1,\n\"a\": 2}", "d.json");
    ASSERT_FALSE(jdup.ok());
    EXPECT_EQ(jdup.status().message(), "d.json:2: duplicate key 'a': remove one of them");
}

TEST(Config, SetOverridesFileValues) {
    auto n = parse_yaml("data: /d\noptim:\n  lr_max: 0.1\n", "config.yaml");
    ASSERT_TRUE(n.ok());
    ASSERT_TRUE(apply_override(*n, "optim.lr_max=2e-4").ok());
    ASSERT_TRUE(apply_override(*n, "optim.schedule=constant").ok());
    ASSERT_TRUE(apply_override(*n, "tasks=mmlu,ceval").ok());
    ASSERT_TRUE(apply_override(*n, "seed=11").ok());
    auto r = bind_config<TrainConfig>(*n);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_DOUBLE_EQ(r->optim.lr_max, 2e-4);
    EXPECT_EQ(r->optim.schedule, "constant");
    EXPECT_EQ(r->tasks, (std::vector<std::string>{"mmlu", "ceval"}));
    EXPECT_EQ(r->seed, 11u);
}

TEST(Config, SetTakesTextYamlReadsAsNothingLiterally) {
    ConfigNode n;
    ASSERT_TRUE(apply_override(n, "sep=%").ok());
    ASSERT_TRUE(apply_override(n, "note=# not a comment").ok());
    ASSERT_TRUE(apply_override(n, "gone=null").ok());
    ASSERT_TRUE(n.find("sep")->is_scalar());
    EXPECT_EQ(n.find("sep")->text(), "%");
    EXPECT_EQ(n.find("note")->text(), "# not a comment");
    EXPECT_TRUE(n.find("gone")->is_null());
}

TEST(Config, SetErrorsNameTheOverride) {
    ConfigNode n;
    ASSERT_TRUE(apply_override(n, "data=/d").ok());
    ASSERT_TRUE(apply_override(n, "optim.lr_max=abc").ok());
    auto r = bind_config<TrainConfig>(n);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message(),
              "optim.lr_max: expected a number, got \"abc\" (--set optim.lr_max=abc)");
    Status bad = apply_override(n, "no_equals_sign");
    EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(bad.message().find("expected key=value"), std::string::npos);
    EXPECT_FALSE(apply_override(n, "data.x=1").ok());  // data is a string, not a section
    EXPECT_FALSE(apply_override(n, "a..b=1").ok());
}

TEST(Config, QuotedNumberStaysAString) {
    auto n = parse_yaml("data: \"123\"\n", "c.yaml");
    ASSERT_TRUE(n.ok());
    EXPECT_TRUE(n->find("data")->quoted());
    auto r = bind_config<TrainConfig>(*n);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->data, "123");
}

TEST(Config, ResolvedConfigPrintsAsYamlAndReloads) {
    TrainConfig c;
    c.data = "/data/x y";
    c.tasks = {"mmlu"};
    c.optim.lr_max = 0.002;
    std::string yaml = config_to_yaml(c);
    EXPECT_NE(yaml.find("data: /data/x y\n"), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("optim:\n  lr_max: 0.002\n"), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("seed: null\n"), std::string::npos) << yaml;
    auto back = from_yaml(yaml);
    ASSERT_TRUE(back.ok()) << back.status().to_string() << "\n" << yaml;
    EXPECT_EQ(config_to_yaml(*back), yaml);
}

TEST(Config, EmptyDocumentMeansDefaultsButRequiredStillChecked) {
    auto n = parse_yaml("", "empty.yaml");
    ASSERT_TRUE(n.ok());
    EXPECT_TRUE(n->is_null());
    auto empty = bind_config<TrainConfig>(*n);
    ASSERT_FALSE(empty.ok());
    EXPECT_EQ(empty.status().message().rfind("data: required key is missing (in empty.yaml)", 0),
              0u)
        << empty.status().message();
    auto top = parse_yaml("- 1\n- 2\n", "list.yaml");
    ASSERT_TRUE(top.ok());
    auto r = bind_config<TrainConfig>(*top);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message(),
              "the configuration must be a map of keys, got a list (list.yaml:1)");
}

}  // namespace
}  // namespace jenny::base
