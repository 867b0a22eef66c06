// LoRA adapters in PEFT's layout: the committed PEFT-saved adapter (tests/fixtures/train/
// tiny_lora, tools/oracle/lora_oracle.py) loads; save -> load is exact; bad input is a clear
// error (missing files, an adapter for another model, an unknown target module, a rank that
// does not match r, unsupported PEFT options); attaching to a GGUF-order (interleaved RoPE)
// model re-orders B's q/k rows.
#include "jenny/model/lora_adapter.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "jenny/model/model_loader.h"

namespace jenny::model {
namespace {

namespace fs = std::filesystem;
const std::string kTrain = std::string(JENNY_SOURCE_DIR) + "/tests/fixtures/train";

LlamaConfig base_config() {
    LoadOptions lo;
    lo.load_tokenizer = false;
    auto m = load_model(kTrain + "/tiny_llama", lo);
    EXPECT_TRUE(m.ok()) << m.status().to_string();
    return m->model->config();
}

// A copy of the fixture adapter in a fresh temp dir, with its config edited by `edit`.
std::string copy_adapter(const std::string& name, void (*edit)(nlohmann::json&) = nullptr) {
    const fs::path dir = fs::path(::testing::TempDir()) / ("lora_" + name);
    fs::remove_all(dir);
    fs::create_directories(dir);
    fs::copy_file(kTrain + "/tiny_lora/adapter_model.safetensors",
                  dir / "adapter_model.safetensors");
    std::ifstream in(kTrain + "/tiny_lora/adapter_config.json");
    nlohmann::json js = nlohmann::json::parse(in);
    if (edit) edit(js);
    std::ofstream(dir / "adapter_config.json") << js.dump(2);
    return dir.string();
}

TEST(LoraAdapter, LoadsWhatPeftSaved) {
    auto ad = load_lora_adapter(kTrain + "/tiny_lora", base_config());
    ASSERT_TRUE(ad.ok()) << ad.status().to_string();
    EXPECT_EQ(ad->config.rank, 4);
    EXPECT_EQ(ad->config.alpha, 8);
    EXPECT_FLOAT_EQ(ad->config.scale(), 2.0f);
    EXPECT_EQ(ad->config.targets, (std::vector<int>{kLoraQ, kLoraV}));
    ASSERT_EQ(ad->a.size(), 2u);
    EXPECT_EQ(ad->a[1][kLoraV].shape(), (tensor::Shape{4, 48}));
    EXPECT_EQ(ad->b[1][kLoraV].shape(), (tensor::Shape{16, 4}));
    EXPECT_FALSE(ad->a[0][kLoraK].defined());
}

TEST(LoraAdapter, SaveThenLoadIsExact) {
    const LlamaConfig c = base_config();
    auto ad = load_lora_adapter(kTrain + "/tiny_lora", c);
    ASSERT_TRUE(ad.ok());
    const std::string dir = ::testing::TempDir() + "/lora_roundtrip";
    fs::remove_all(dir);
    ASSERT_TRUE(save_lora_adapter(dir, *ad).ok());
    auto back = load_lora_adapter(dir, c);
    ASSERT_TRUE(back.ok()) << back.status().to_string();
    EXPECT_EQ(back->config.targets, ad->config.targets);
    for (size_t l = 0; l < 2; ++l)
        for (int t : {kLoraQ, kLoraV})
            for (bool a : {true, false}) {
                const tensor::Tensor& x = (a ? ad->a : ad->b)[l][t];
                const tensor::Tensor& y = (a ? back->a : back->b)[l][t];
                ASSERT_EQ(x.numel(), y.numel());
                EXPECT_EQ(0, std::memcmp(x.data(), y.data(), x.nbytes()));
            }
    std::ifstream in(dir + "/adapter_config.json");
    nlohmann::json js = nlohmann::json::parse(in);
    EXPECT_EQ(js["peft_type"], "LORA");
    EXPECT_EQ(js["task_type"], "CAUSAL_LM");
    EXPECT_EQ(js["bias"], "none");
    EXPECT_EQ(js["target_modules"], nlohmann::json({"q_proj", "v_proj"}));
}

void expect_error(const base::Result<LoraAdapter>& r, base::StatusCode code,
                  const std::string& says) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), code) << r.status().to_string();
    EXPECT_NE(r.status().message().find(says), std::string::npos) << r.status().message();
}

TEST(LoraAdapter, BadInputIsAClearError) {
    const LlamaConfig c = base_config();
    const std::string empty = ::testing::TempDir() + "/lora_empty";
    fs::create_directories(empty);
    expect_error(load_lora_adapter(empty, c), base::StatusCode::kNotFound, "adapter_config.json");
    const std::string no_st = copy_adapter("no_st");
    fs::remove(no_st + "/adapter_model.safetensors");
    expect_error(load_lora_adapter(no_st, c), base::StatusCode::kNotFound,
                 "adapter_model.safetensors");
    // An adapter made for another model: the shapes do not fit.
    LlamaConfig other = c;
    other.dim = 64;
    other.hidden_dim = 128;
    expect_error(load_lora_adapter(kTrain + "/tiny_lora", other),
                 base::StatusCode::kInvalidArgument, "another model");
    LlamaConfig one_layer = c;
    one_layer.n_layers = 1;
    expect_error(load_lora_adapter(kTrain + "/tiny_lora", one_layer),
                 base::StatusCode::kInvalidArgument, "layer 1");
    expect_error(load_lora_adapter(copy_adapter("unknown",
                                                [](nlohmann::json& j) {
                                                    j["target_modules"] = {"q_proj", "qkv_proj"};
                                                }),
                                   c),
                 base::StatusCode::kInvalidArgument, "unknown target module \"qkv_proj\"");
    expect_error(load_lora_adapter(copy_adapter("rank", [](nlohmann::json& j) { j["r"] = 8; }), c),
                 base::StatusCode::kInvalidArgument, "rank mismatch");
    expect_error(load_lora_adapter(
                     copy_adapter("type", [](nlohmann::json& j) { j["peft_type"] = "IA3"; }), c),
                 base::StatusCode::kInvalidArgument, "not LORA");
    expect_error(
        load_lora_adapter(copy_adapter("dora", [](nlohmann::json& j) { j["use_dora"] = true; }), c),
        base::StatusCode::kUnsupported, "DoRA");
    expect_error(load_lora_adapter(copy_adapter("json", [](nlohmann::json& j) { j = "[1,"; }), c),
                 base::StatusCode::kInvalidArgument, "adapter_config.json");
}

TEST(LoraAdapter, InterleavedRopeModelsGetBRowsReordered) {
    LlamaConfig c = base_config();
    auto ad = load_lora_adapter(kTrain + "/tiny_lora", c);
    ASSERT_TRUE(ad.ok());
    c.rope_style = kernels::RopeStyle::kInterleaved;
    const LoraAdapter g = lora_for_rope_style(*ad, c);
    const int D = c.head_dim, r = 4;
    const float* src = ad->b[0][kLoraQ].data_as<float>();
    const float* dst = g.b[0][kLoraQ].data_as<float>();
    // Row h*D + 2i + s of the interleaved order is row h*D + s*D/2 + i of HF's.
    for (int h = 0; h < c.n_heads; ++h)
        for (int i = 0; i < D / 2; ++i)
            for (int s = 0; s < 2; ++s)
                for (int k = 0; k < r; ++k)
                    EXPECT_EQ(dst[(h * D + 2 * i + s) * r + k],
                              src[(h * D + s * D / 2 + i) * r + k]);
    // v is not rotated: unchanged.
    EXPECT_EQ(
        0, std::memcmp(g.b[0][kLoraV].data(), ad->b[0][kLoraV].data(), ad->b[0][kLoraV].nbytes()));
}

}  // namespace
}  // namespace jenny::model
