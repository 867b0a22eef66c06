// Continued training from every supported Hugging Face architecture, on the transformers
// fixtures tests/fixtures/model/tiny/{llama3,qwen2,mistral,internlm2} (tools/oracle/
// tiny_models.py; no tokenizer, so token ids directly):
// - zero-step round trip: HF dir -> TrainModel -> save_hf -> load again gives the original
//   model's logits to f32 rounding (the weights themselves are exact; InternLM2's packed wqkv
//   is unpacked for training and packed again);
//   TrainModel's own logits equal the generation model's (LlamaModel) within 1e-5 of scale;
// - a few AdamW steps on a fixed token sequence: the loss falls, and the saved directory
//   loads in the generation model (what `jenny generate` runs) with TrainModel's logits.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "jenny/model/batch.h"
#include "jenny/model/kv_cache.h"
#include "jenny/model/model_loader.h"
#include "jenny/model/model_writer.h"
#include "jenny/train/adamw.h"
#include "jenny/train/train_model.h"

namespace jenny::train {
namespace {

const std::string kTiny = std::string(JENNY_SOURCE_DIR) + "/tests/fixtures/model/tiny/";

// Every position's logits of one sequence, through the generation model.
std::vector<float> generation_logits(model::LlamaModel& m, const std::vector<int32_t>& tokens) {
    const int V = m.config().vocab_size;
    auto kv = model::KvCache::create(m.kv_config(tensor::DType::kF32, 64, 4)).value();
    EXPECT_TRUE(kv->add_sequence(0).ok());
    EXPECT_TRUE(kv->append(0, static_cast<int>(tokens.size())).ok());
    model::Batch b;
    b.add_sequence(tokens, 0, 0, /*all_logits=*/true);
    std::vector<float> out(b.n_outputs() * V);
    auto st = m.forward(b, *kv, out.data());
    EXPECT_TRUE(st.ok()) << st.to_string();
    return out;
}

double max_abs(const std::vector<float>& v) {
    double m = 0;
    for (float x : v) m = std::max(m, static_cast<double>(std::fabs(x)));
    return m;
}

double max_diff(const std::vector<float>& a, const std::vector<float>& b) {
    EXPECT_EQ(a.size(), b.size());
    double m = 0;
    for (size_t i = 0; i < a.size() && i < b.size(); ++i)
        m = std::max(m, std::fabs(double(a[i]) - b[i]));
    return m;
}

base::Result<model::LoadedModel> load(const std::string& dir) {
    model::LoadOptions o;
    o.load_tokenizer = false;
    o.n_threads = 2;
    return model::load_model(dir, o);
}

// Writes the trainer's weights as an HF directory, as run_training does at the end.
base::Status save(const model::LoadedModel& src, TrainModel& tm, const std::string& dir) {
    model::LoadedModel shell;
    shell.path = src.path;
    shell.format = src.format;
    JENNY_ASSIGN_OR_RETURN(shell.model, model::LlamaModel::create(tm.config(), tm.weights_view(), 1));
    return model::save_hf(shell, dir, tensor::DType::kF32);
}

class ContinuedTraining : public ::testing::TestWithParam<std::string> {};

TEST_P(ContinuedTraining, RoundTripAndTraining) {
    const std::string name = GetParam();
    const std::string tmp = ::testing::TempDir() + "/continued_" + name;
    std::filesystem::remove_all(tmp);
    auto src = load(kTiny + name);
    ASSERT_TRUE(src.ok()) << src.status().to_string();
    const model::LlamaConfig& c = src->model->config();
    TrainModelOptions mo;
    mo.n_threads = 2;
    auto made = TrainModel::create(c, mo);
    ASSERT_TRUE(made.ok()) << made.status().to_string();
    TrainModel& tm = **made;
    ASSERT_TRUE(tm.load_weights(src->model->weights()).ok());
    EXPECT_EQ(tm.config().arch, c.arch);

    const int V = c.vocab_size, T = 24;
    std::vector<int32_t> seq(T + 1);
    for (int i = 0; i <= T; ++i) seq[i] = (i * 37 + 11) % V;  // a fixed pattern to learn
    const std::vector<int32_t> prompt(seq.begin(), seq.begin() + T);
    const std::vector<float> original = generation_logits(*src->model, prompt);
    const double scale = max_abs(original);

    // TrainModel computes what the generation model computes.
    std::vector<float> tl(static_cast<size_t>(T) * V);
    tm.forward_logits(prompt.data(), 1, T, tl.data());
    EXPECT_LE(max_diff(tl, original), 1e-5 * scale) << name;

    // Zero steps: saved and loaded again, the very same model.
    ASSERT_TRUE(save(*src, tm, tmp + "/step0").ok());
    {
        auto again = load(tmp + "/step0");
        ASSERT_TRUE(again.ok()) << again.status().to_string();
        EXPECT_EQ(again->model->config().arch, c.arch);
        EXPECT_EQ(again->model->config().packed_wqkv, c.packed_wqkv);
        EXPECT_EQ(again->model->config().sliding_window, c.sliding_window);
        // The saved weights are the stored bf16 values in f32 (exact); the generation model's
        // f32 matmuls may sum in another order than its bf16 ones: f32 rounding only.
        const double d = max_diff(generation_logits(*again->model, prompt), original);
        std::printf("%-10s zero-step round trip: max |logit diff| %.3g (scale %.3g)\n",
                    name.c_str(), d, scale);
        EXPECT_LE(d, 2e-6 * scale) << name;
        // Every stored weight bit for bit (widened to f32), packed wqkv included.
        const model::LlamaWeights &a = src->model->weights(), &b = again->model->weights();
        auto same = [&](const tensor::Tensor& x, const tensor::Tensor& y, const std::string& w) {
            ASSERT_EQ(x.defined(), y.defined()) << name << " " << w;
            if (!x.defined()) return;
            tensor::Tensor fx = x.to_f32(), fy = y.to_f32();
            ASSERT_EQ(fx.numel(), fy.numel()) << name << " " << w;
            EXPECT_EQ(0, std::memcmp(fx.data(), fy.data(), sizeof(float) * fx.numel()))
                << name << " " << w;
        };
        same(a.tok_embeddings, b.tok_embeddings, "tok_embeddings");
        same(a.norm, b.norm, "norm");
        same(a.output, b.output, "output");
        for (size_t l = 0; l < a.layers.size(); ++l) {
            const auto &x = a.layers[l], &y = b.layers[l];
            same(x.wqkv, y.wqkv, "wqkv");
            same(x.wq, y.wq, "wq");
            same(x.wk, y.wk, "wk");
            same(x.wv, y.wv, "wv");
            same(x.bq, y.bq, "bq");
            same(x.bk, y.bk, "bk");
            same(x.bv, y.bv, "bv");
            same(x.wo, y.wo, "wo");
            same(x.w_gate, y.w_gate, "w_gate");
            same(x.w_up, y.w_up, "w_up");
            same(x.w_down, y.w_down, "w_down");
            same(x.attn_norm, y.attn_norm, "attn_norm");
            same(x.ffn_norm, y.ffn_norm, "ffn_norm");
        }
    }

    // A few steps: the loss falls.
    std::vector<int32_t> targets(seq.begin() + 1, seq.end());
    std::vector<AdamWGroup> groups = {{0, tm.n_params(), true}};
    AdamWConfig ac;
    AdamW adamw(ac, tm.n_params(), groups);
    double first = 0, last = 0;
    for (int step = 0; step < 8; ++step) {
        tm.zero_grads();
        auto ce = tm.forward_backward(prompt.data(), targets.data(), 1, T, 1.0f / T);
        const double loss = ce.loss_sum / T;
        if (step == 0) first = loss;
        last = loss;
        adamw.step(tm.params(), tm.grads(), 3e-3, &tm.team());
    }
    std::printf("%-10s loss %.4f -> %.4f over 8 steps\n", name.c_str(), first, last);
    EXPECT_LT(last, 0.8 * first) << name;

    // The trained model saved in HF layout loads in the generation model with its logits.
    ASSERT_TRUE(save(*src, tm, tmp + "/trained").ok());
    auto trained = load(tmp + "/trained");
    ASSERT_TRUE(trained.ok()) << trained.status().to_string();
    tm.forward_logits(prompt.data(), 1, T, tl.data());
    const std::vector<float> gl = generation_logits(*trained->model, prompt);
    EXPECT_LE(max_diff(gl, tl), 1e-5 * max_abs(tl)) << name;
    EXPECT_GT(max_diff(gl, original), 1e-3) << name << ": training changed nothing";
    std::filesystem::remove_all(tmp);
}

INSTANTIATE_TEST_SUITE_P(Hf, ContinuedTraining,
                         ::testing::Values("llama3", "qwen2", "mistral", "internlm2"));

}  // namespace
}  // namespace jenny::train
