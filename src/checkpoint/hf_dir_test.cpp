// HfDirectory: the sharded fixture transformers wrote (tests/fixtures/checkpoint/hf_tiny), a
// single-file directory jenny writes, and every kind of broken directory.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cstring>

#include "jenny/base/env.h"
#include "jenny/checkpoint/hf_dir.h"

namespace jenny::checkpoint {
namespace {

using base::StatusCode;
using tensor::DType;
using tensor::Tensor;
using ::testing::HasSubstr;

const std::string kTiny = JENNY_SOURCE_DIR "/tests/fixtures/checkpoint/hf_tiny";

base::Env* env() { return base::Env::Default(); }

std::string read(const std::string& path) {
    auto r = env()->read_file(path);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? *r : std::string();
}

// A fresh directory holding a copy of hf_tiny's files except `skip`.
std::string copy_tiny(std::string_view tag, std::string_view skip = "") {
    std::string dir =
        testing::TempDir() + "/" + std::to_string(::getpid()) + "_hf_" + std::string(tag);
    EXPECT_TRUE(env()->create_dirs(dir).ok());
    auto names = env()->list_dir(kTiny);
    EXPECT_TRUE(names.ok());
    for (const std::string& n : *names) {
        if (n == skip) continue;
        EXPECT_TRUE(env()->write_file_atomic(dir + "/" + n, read(kTiny + "/" + n)).ok());
    }
    return dir;
}

void write(const std::string& path, std::string_view text) {
    ASSERT_TRUE(env()->write_file_atomic(path, text).ok());
}

TEST(HfDirectory, ShardedFixture) {
    auto r = HfDirectory::open(kTiny + "/");
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    const HfDirectory& hf = **r;
    EXPECT_EQ(hf.path(), kTiny);
    EXPECT_EQ(hf.config_json(), read(kTiny + "/config.json"));
    ASSERT_TRUE(hf.generation_config_json().has_value());
    EXPECT_THAT(*hf.generation_config_json(), HasSubstr("max_new_tokens"));
    EXPECT_FALSE(hf.has_tokenizer());
    EXPECT_TRUE(hf.tokenizer_files().empty());
    EXPECT_EQ(hf.shards().size(), 2u);

    auto index = nlohmann::json::parse(read(kTiny + "/model.safetensors.index.json"));
    const auto& wm = index["weight_map"];
    ASSERT_EQ(hf.num_tensors(), wm.size());
    EXPECT_TRUE(std::is_sorted(hf.tensor_names().begin(), hf.tensor_names().end()));
    for (auto& [name, shard] : wm.items()) {
        ASSERT_NE(hf.find(name), nullptr) << name;
        EXPECT_EQ(hf.shard_of(name)->name(), kTiny + "/" + shard.get<std::string>());
        auto t = hf.tensor(name);
        ASSERT_TRUE(t.ok()) << t.status().to_string();
        EXPECT_EQ(t->dtype(), DType::kF32);
        EXPECT_EQ(t->data(), hf.find(name)->data);
    }
    auto q = hf.tensor("model.layers.1.self_attn.k_proj.weight");
    ASSERT_TRUE(q.ok());
    EXPECT_EQ(q->shape(), (tensor::Shape{8, 16}));  // 2 kv heads x head dim 4, hidden 16
    auto missing = hf.tensor("model.nope");
    EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
    EXPECT_THAT(missing.status().message(), HasSubstr("'model.nope'"));
}

TEST(HfDirectory, SingleFileAndTokenizerFiles) {
    std::string dir = copy_tiny("single", "none");
    auto names = env()->list_dir(dir);
    ASSERT_TRUE(names.ok());
    for (const std::string& n : *names) {
        if (n.ends_with(".safetensors") || n.ends_with(".index.json")) {
            ASSERT_TRUE(env()->remove_file(dir + "/" + n).ok());
        }
    }
    Tensor w = Tensor::empty(DType::kBF16, {4, 2});
    std::vector<NamedTensor> tensors = {{"model.norm.weight", w}};
    ASSERT_TRUE(write_safetensors(dir + "/model.safetensors", tensors, {{"format", "pt"}}).ok());
    write(dir + "/tokenizer.json", "{}");
    write(dir + "/tokenizer_config.json", "{}");
    auto r = HfDirectory::open(dir);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ((*r)->shards().size(), 1u);
    EXPECT_EQ((*r)->tensor_names().size(), 1u);
    EXPECT_EQ((*r)->tensor("model.norm.weight")->dtype(), DType::kBF16);
    EXPECT_TRUE((*r)->has_tokenizer());
    EXPECT_EQ((*r)->tokenizer_files(),
              (std::vector<std::string>{"tokenizer.json", "tokenizer_config.json"}));
    EXPECT_EQ((*r)->file_path("tokenizer.json"), dir + "/tokenizer.json");

    // Both layouts: the single file wins, as in transformers.
    write(dir + "/model.safetensors.index.json", "not json");
    EXPECT_TRUE(HfDirectory::open(dir).ok());
}

void expect_error(const std::string& dir, StatusCode code,
                  std::initializer_list<std::string_view> parts) {
    auto r = HfDirectory::open(dir);
    ASSERT_FALSE(r.ok()) << "opened a bad directory " << dir;
    EXPECT_EQ(r.status().code(), code) << r.status().to_string();
    for (std::string_view p : parts) {
        EXPECT_THAT(r.status().message(), HasSubstr(std::string(p)));
    }
}

TEST(HfDirectoryBad, MissingThings) {
    expect_error("/nonexistent/model", StatusCode::kNotFound, {"/nonexistent/model", "no such"});
    std::string no_config = copy_tiny("noconfig", "config.json");
    expect_error(no_config, StatusCode::kNotFound, {"no config.json"});
    std::string no_shard = copy_tiny("noshard", "model-00002-of-00002.safetensors");
    expect_error(no_shard, StatusCode::kNotFound,
                 {"shard model-00002-of-00002.safetensors is missing", "incomplete"});
    std::string no_weights = copy_tiny("noweights", "model.safetensors.index.json");
    expect_error(no_weights, StatusCode::kNotFound,
                 {"no weights", "model-00001-of-00002.safetensors"});
}

TEST(HfDirectoryBad, PytorchPickles) {
    std::string dir = copy_tiny("pickle", "model.safetensors.index.json");
    write(dir + "/pytorch_model.bin", "PK\3\4");
    expect_error(dir, StatusCode::kUnsupported,
                 {"pytorch_model.bin", "convert them to safetensors", "safe_serialization"});
}

TEST(HfDirectoryBad, Index) {
    std::string dir = copy_tiny("index");
    const std::string index = dir + "/model.safetensors.index.json";
    const std::string good = read(index);
    write(index, "{\"weight_map\": ");
    expect_error(dir, StatusCode::kCorruption, {"model.safetensors.index.json", "not valid JSON"});
    write(index, R"({"weight_map": []})");
    expect_error(dir, StatusCode::kCorruption, {"\"weight_map\" object"});
    write(index, R"({"weight_map": {}})");
    expect_error(dir, StatusCode::kCorruption, {"weight_map is empty"});
    write(index, R"({"weight_map": {"a": "../model-00001-of-00002.safetensors"}})");
    expect_error(dir, StatusCode::kCorruption, {"weight_map[\"a\"]", "file name of a shard"});
    write(index, R"({"weight_map": {"a": 3}})");
    expect_error(dir, StatusCode::kCorruption, {"weight_map[\"a\"] is 3"});

    auto j = nlohmann::json::parse(good);
    j["weight_map"]["model.ghost.weight"] = "model-00001-of-00002.safetensors";
    write(index, j.dump());
    expect_error(
        dir, StatusCode::kCorruption,
        {"tensor 'model.ghost.weight'", "model-00001-of-00002.safetensors", "no such tensor"});

    // A tensor in two shards.
    j = nlohmann::json::parse(good);
    Tensor t = Tensor::empty(DType::kF32, {2});
    std::vector<NamedTensor> dup = {{"model.norm.weight", t}};
    ASSERT_TRUE(write_safetensors(dir + "/extra.safetensors", dup).ok());
    j["weight_map"]["model.norm.weight"] = "extra.safetensors";
    write(index, j.dump());
    expect_error(dir, StatusCode::kCorruption, {"'model.norm.weight' is in two shards"});

    // A corrupt shard: the shard's own error, naming it.
    write(index, good);
    std::string shard = read(dir + "/model-00001-of-00002.safetensors");
    write(dir + "/model-00001-of-00002.safetensors", shard.substr(0, shard.size() - 1));
    expect_error(dir, StatusCode::kCorruption, {"model-00001-of-00002.safetensors", "truncated"});
}

}  // namespace
}  // namespace jenny::checkpoint
