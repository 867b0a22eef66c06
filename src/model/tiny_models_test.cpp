// jenny's logits against PyTorch/transformers for tiny random models of each architecture
// switch (tools/oracle/tiny_models.py writes tests/fixtures/model/tiny/): Llama 3 (GQA, llama3
// rope scaling, tied embeddings), Qwen2 (qkv bias), Mistral, InternLM2 (packed wqkv), and the
// Llama 3 model stored as f16 and bf16. All prompts run as one batch of sequences.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "jenny/model/model_loader.h"

namespace jenny::model {
namespace {

const std::string kTiny = std::string(JENNY_SOURCE_DIR) + "/tests/fixtures/model/tiny/";

struct Fixture {
    std::vector<std::vector<int32_t>> prompts;
    std::vector<float> logits;  // every position of every prompt, (T, V) each
    nlohmann::json meta;
};

Fixture read_fixture(const std::string& name) {
    Fixture f;
    std::ifstream js(kTiny + name + "/prompts.json");
    f.meta = nlohmann::json::parse(js);
    f.prompts = f.meta["prompts"].get<std::vector<std::vector<int32_t>>>();
    std::ifstream bin(kTiny + name + "/logits.bin", std::ios::binary);
    f.logits.resize(f.meta["n_floats"].get<size_t>());
    bin.read(reinterpret_cast<char*>(f.logits.data()), f.logits.size() * sizeof(float));
    EXPECT_TRUE(bin.good()) << name;
    return f;
}

// All prompts as sequences 0..n-1 of one batch; returns every position's logits in prompt
// order (the fixture's layout).
std::vector<float> run_batch(LlamaModel& model, const Fixture& f) {
    const int V = model.config().vocab_size;
    auto kv = KvCache::create(model.kv_config(tensor::DType::kF32, 64, 4)).value();
    Batch b;
    for (size_t s = 0; s < f.prompts.size(); ++s) {
        EXPECT_TRUE(kv->add_sequence(static_cast<int>(s)).ok());
        EXPECT_TRUE(kv->append(static_cast<int>(s), static_cast<int>(f.prompts[s].size())).ok());
        b.add_sequence(f.prompts[s], 0, static_cast<int>(s), /*all_logits=*/true);
    }
    std::vector<float> out(b.n_outputs() * V);
    auto st = model.forward(b, *kv, out.data());
    EXPECT_TRUE(st.ok()) << st.to_string();
    return out;
}

double max_abs(const std::vector<float>& v) {
    double m = 0;
    for (float x : v) m = std::max(m, static_cast<double>(std::fabs(x)));
    return m;
}

double max_diff(const std::vector<float>& a, const std::vector<float>& b) {
    double m = 0;
    for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(double(a[i]) - b[i]));
    return m;
}

class TinyModel : public ::testing::TestWithParam<std::string> {};

// f32 compute from the stored weights, as the reference did: within 1e-4 of the largest
// logit (the reference's own f32-vs-f64 noise is ~1e-5 absolute at |logit| ~20).
TEST_P(TinyModel, LogitsMatchTransformers) {
    const std::string name = GetParam();
    Fixture f = read_fixture(name);
    LoadOptions o;
    o.load_tokenizer = false;
    o.n_threads = 2;
    auto m = load_model(kTiny + name, o);
    ASSERT_TRUE(m.ok()) << m.status().to_string();
    EXPECT_EQ(m->format, "hf");
    std::vector<float> got = run_batch(*m->model, f);
    ASSERT_EQ(got.size(), f.logits.size());
    const double scale = max_abs(f.logits), diff = max_diff(got, f.logits);
    EXPECT_LE(diff, 1e-4 * scale) << name << ": max |diff| " << diff << " scale " << scale;
    std::printf("%-12s %s max|diff| %.3g (scale %.3g)\n", name.c_str(),
                m->model->config().summary().c_str(), diff, scale);
}

INSTANTIATE_TEST_SUITE_P(Oracle, TinyModel,
                         ::testing::Values("llama3", "llama3_f16", "llama3_bf16", "qwen2",
                                           "mistral", "internlm2"));

// The rounded copies against the f32 model: the error rounding the weights costs, bounded by
// what PyTorch measured for the same rounding (unrounded_max_abs_diff), with 25% slack.
TEST(TinyModelRounded, HalfPrecisionWeightsStayNearF32) {
    Fixture f32 = read_fixture("llama3");
    for (const char* name : {"llama3_f16", "llama3_bf16"}) {
        Fixture f = read_fixture(name);
        LoadOptions o;
        o.load_tokenizer = false;
        auto m = load_model(kTiny + name, o);
        ASSERT_TRUE(m.ok()) << m.status().to_string();
        std::vector<float> got = run_batch(*m->model, f);
        const double bound = 1.25 * f.meta["unrounded_max_abs_diff"].get<double>();
        const double diff = max_diff(got, f32.logits);
        EXPECT_LE(diff, bound) << name;
        EXPECT_GT(diff, 0.0) << name << ": rounding must change something";
        std::printf("%s vs f32: max|diff| %.3g (bound %.3g)\n", name, diff, bound);
    }
}

}  // namespace
}  // namespace jenny::model
