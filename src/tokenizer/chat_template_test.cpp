// ChatTemplate against Hugging Face transformers: every fixture under
// tests/fixtures/chat_templates/ (written by tools/oracle/chat_template_fixtures.py) holds a
// template, the special tokens it saw and conversations with the prompt transformers'
// apply_chat_template rendered, or the error it raised. jenny must match byte for byte.
#include "jenny/tokenizer/chat_template.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "jenny/base/env.h"

namespace jenny::tokenizer {
namespace {

using nlohmann::ordered_json;

const std::string kFixtureDir = std::string(JENNY_SOURCE_DIR) + "/tests/fixtures/chat_templates";

std::vector<std::string> fixture_names() {
    std::vector<std::string> names;
    auto entries = base::Env::Default()->list_dir(kFixtureDir);
    if (!entries.ok()) return names;
    for (const auto& e : *entries) {
        if (e.size() > 5 && e.substr(e.size() - 5) == ".json")
            names.push_back(e.substr(0, e.size() - 5));
    }
    return names;
}

ordered_json load_fixture(const std::string& name) {
    auto text = base::Env::Default()->read_file(kFixtureDir + "/" + name + ".json");
    EXPECT_TRUE(text.ok()) << text.status().to_string();
    return text.ok() ? ordered_json::parse(*text) : ordered_json();
}

// Renders every case of a fixture with `tmpl` and compares with transformers' output.
void check_cases(const ChatTemplate& tmpl, const ordered_json& fixture) {
    int checked = 0;
    for (const auto& c : fixture["cases"]) {
        SCOPED_TRACE("case " + c["name"].get<std::string>());
        ChatRenderOptions opts;
        opts.add_generation_prompt = c["add_generation_prompt"].get<bool>();
        if (c.contains("tools")) opts.tools = c["tools"];
        opts.extra = fixture["special_tokens"];
        if (c.contains("extra"))
            for (const auto& [k, v] : c["extra"].items()) opts.extra[k] = v;
        auto rendered = tmpl.render(c["messages"], opts);
        if (c.contains("expected")) {
            ASSERT_TRUE(rendered.ok()) << rendered.status().to_string();
            EXPECT_EQ(*rendered, c["expected"].get<std::string>());
        } else {
            ASSERT_FALSE(rendered.ok()) << "expected an error, rendered:\n" << *rendered;
            const std::string error = c["error"].get<std::string>();
            if (c["error_kind"] == "TemplateError") {
                // raise_exception(): the template's message, verbatim.
                EXPECT_EQ(rendered.status().code(), base::StatusCode::kInvalidArgument);
                EXPECT_EQ(rendered.status().message(), error);
            } else {
                EXPECT_NE(rendered.status().message().find(error), std::string::npos)
                    << rendered.status().to_string() << "\nwant: " << error;
            }
        }
        ++checked;
    }
    EXPECT_GT(checked, 0);
}

class ChatTemplateFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(ChatTemplateFixture, MatchesTransformers) {
    ordered_json fixture = load_fixture(GetParam());
    ASSERT_TRUE(fixture.is_object());
    auto tmpl = ChatTemplate::parse(fixture["source"].get<std::string>());
    ASSERT_TRUE(tmpl.ok()) << tmpl.status().to_string();
    check_cases(*tmpl, fixture);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ChatTemplateFixture, ::testing::ValuesIn(fixture_names()),
                         [](const auto& info) { return info.param; });

// The shared-data tokenizers load through from_tokenizer_config, special tokens included.
class SharedTokenizerChatTemplate : public ::testing::TestWithParam<std::string> {};

TEST_P(SharedTokenizerChatTemplate, LoadsFromTokenizerConfig) {
    ordered_json fixture = load_fixture(GetParam());
    ASSERT_TRUE(fixture.contains("tokenizer_config"));
    std::string dir =
        std::string(JENNY_SHARED_DATA) + "/" + fixture["tokenizer_config"].get<std::string>();
    auto tmpl = ChatTemplate::from_tokenizer_config(dir);
    ASSERT_TRUE(tmpl.ok()) << tmpl.status().to_string();
    EXPECT_EQ(tmpl->source(), fixture["source"].get<std::string>());
    EXPECT_EQ(tmpl->special_tokens(), fixture["special_tokens"]);
    check_cases(*tmpl, fixture);
}

INSTANTIATE_TEST_SUITE_P(SharedData, SharedTokenizerChatTemplate,
                         ::testing::Values("llama3", "qwen2_5", "internlm2"),
                         [](const auto& info) { return info.param; });

TEST(ChatTemplateTest, FixturesArePresent) {
    std::vector<std::string> names = fixture_names();
    for (const char* want : {"llama3", "qwen2_5", "internlm2", "smollm2", "chatml", "llama2_chat",
                             "llama3_1", "mistral_v0_1", "mistral_v0_3"}) {
        EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
    }
}

TEST(ChatTemplateTest, RaiseExceptionIsTheStatusMessage) {
    auto tmpl = ChatTemplate::parse("{{ raise_exception('roles must alternate') }}");
    ASSERT_TRUE(tmpl.ok());
    auto r = tmpl->render(ordered_json::parse(R"([{"role": "user", "content": "hi"}])"), {});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), base::StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(), "roles must alternate");
}

TEST(ChatTemplateTest, RejectsEmptyOrMalformedMessages) {
    auto tmpl = ChatTemplate::parse("{{ messages }}");
    ASSERT_TRUE(tmpl.ok());
    EXPECT_FALSE(tmpl->render(ordered_json::array(), {}).ok());
    EXPECT_FALSE(tmpl->render(ordered_json::parse(R"(["hi"])"), {}).ok());
    EXPECT_FALSE(tmpl->render(ordered_json::object(), {}).ok());
}

TEST(ChatTemplateTest, DropsNullKeysAndAliasesReasoning) {
    auto tmpl = ChatTemplate::parse(
        "{% for m in messages %}{{ m.keys() | list }}|{{ m.thinking }}|{{ m.reasoning_content }}"
        "{% endfor %}");
    ASSERT_TRUE(tmpl.ok());
    auto r = tmpl->render(
        ordered_json::parse(R"([{"role": "assistant", "content": null, "reasoning": "r1"}])"), {});
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(*r, "['thinking', 'role', 'reasoning', 'reasoning_content']|r1|r1");
}

class ScratchDir {
public:
    ScratchDir() {
        path_ = ::testing::TempDir() + "chat_template_test_" + std::to_string(::getpid());
        EXPECT_TRUE(base::Env::Default()->create_dirs(path_).ok());
    }
    const std::string& path() const { return path_; }
    void write(const std::string& name, const std::string& text) const {
        EXPECT_TRUE(base::Env::Default()->write_file_atomic(path_ + "/" + name, text).ok());
    }

private:
    std::string path_;
};

TEST(ChatTemplateTest, FromTokenizerConfigHandlesNamedTemplatesAndTokenObjects) {
    ScratchDir dir;
    dir.write("tokenizer_config.json", R"({
        "bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": false},
        "eos_token": "</s>", "pad_token": null,
        "chat_template": [{"name": "default", "template": "{{ bos_token }}D{{ eos_token }}"},
                          {"name": "tool_use", "template": "T"}]})");
    auto d = ChatTemplate::from_tokenizer_config(dir.path());
    ASSERT_TRUE(d.ok()) << d.status().to_string();
    EXPECT_EQ(d->special_tokens(),
              ordered_json::parse(R"({"bos_token": "<s>", "eos_token": "</s>"})"));
    auto msgs = ordered_json::parse(R"([{"role": "user", "content": "hi"}])");
    EXPECT_EQ(d->render(msgs, {}).value_or("?"), "<s>D</s>");
    auto t = ChatTemplate::from_tokenizer_config(dir.path() + "/tokenizer_config.json",
                                                 base::Env::Default(), "tool_use");
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->render(msgs, {}).value_or("?"), "T");
    auto missing = ChatTemplate::from_tokenizer_config(dir.path(), base::Env::Default(), "rag");
    EXPECT_EQ(missing.status().code(), base::StatusCode::kNotFound);
    EXPECT_NE(missing.status().message().find("default, tool_use"), std::string::npos);

    // chat_template.jinja beside the config wins, as in transformers.
    dir.write("chat_template.jinja", "J{{ eos_token }}");
    auto j = ChatTemplate::from_tokenizer_config(dir.path());
    ASSERT_TRUE(j.ok());
    EXPECT_EQ(j->render(msgs, {}).value_or("?"), "J</s>");
}

TEST(ChatTemplateTest, FromTokenizerConfigErrors) {
    ScratchDir dir;
    auto none = ChatTemplate::from_tokenizer_config(dir.path() + "/nope.json");
    EXPECT_EQ(none.status().code(), base::StatusCode::kNotFound);
    dir.write("bad.json", "{not json");
    EXPECT_EQ(ChatTemplate::from_tokenizer_config(dir.path() + "/bad.json").status().code(),
              base::StatusCode::kCorruption);
    dir.write("plain.json", R"({"eos_token": "</s>"})");
    EXPECT_EQ(ChatTemplate::from_tokenizer_config(dir.path() + "/plain.json").status().code(),
              base::StatusCode::kNotFound);
    dir.write("unsupported.json", R"({"chat_template": "line one\n{% include 'x' %}"})");
    auto u = ChatTemplate::from_tokenizer_config(dir.path() + "/unsupported.json");
    EXPECT_EQ(u.status().code(), base::StatusCode::kUnsupported);
    EXPECT_NE(
        u.status().message().find("unsupported construct '{% include %}' at line 2, column 4"),
        std::string::npos)
        << u.status().to_string();
}

}  // namespace
}  // namespace jenny::tokenizer
