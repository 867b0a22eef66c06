// Attention reset (TrainModel's seg_begin): a window of packed examples computes exactly what
// each example computes alone — logits, loss and every parameter gradient — for GQA with and
// without qkv bias, with and without recompute, across two windows of a micro-batch. And
// BatchSource's seg_begin: each token's document start in its window, for train and val reads;
// data.attention_reset's default (on with SFT sources only).
//
// Tolerances: the packed and the separate runs do the same arithmetic except that the matmuls
// see a different number of rows (the sgemm may block them differently) and the attention's
// masked probabilities are exact zeros, so results agree to f32 rounding: logits within
// 1e-5 (1 + |x|), gradients within 1e-5 of the largest gradient of each tensor.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <vector>

#include "jenny/data/token_dataset.h"
#include "jenny/train/batch_source.h"
#include "jenny/train/train_model.h"

namespace jenny::train {
namespace {

model::LlamaConfig packed_config(bool bias) {
    model::LlamaConfig c;
    c.arch = bias ? "qwen2" : "llama";
    c.vocab_size = 41;
    c.dim = 24;
    c.hidden_dim = 40;
    c.n_layers = 2;
    c.n_heads = 4;
    c.n_kv_heads = 2;
    c.head_dim = 6;
    c.max_seq_len = 64;
    c.qkv_bias = bias;
    return c;
}

// Two windows of T = 24; example boundaries inside each (a window always starts one).
constexpr int kB = 2, kT = 24;
const std::vector<std::vector<int>> kBounds = {{0, 7, 8, 20, 24}, {0, 13, 24}};

std::vector<int32_t> seg_begin_of(const std::vector<std::vector<int>>& bounds) {
    std::vector<int32_t> seg;
    for (const auto& b : bounds)
        for (size_t s = 0; s + 1 < b.size(); ++s)
            for (int t = b[s]; t < b[s + 1]; ++t) seg.push_back(b[s]);
    return seg;
}

void check_packed(bool bias, bool recompute) {
    SCOPED_TRACE(testing::Message() << "bias=" << bias << " recompute=" << recompute);
    TrainModelOptions options;
    options.n_threads = 2;
    options.recompute = recompute;
    auto made = TrainModel::create(packed_config(bias), options);
    ASSERT_TRUE(made.ok()) << made.status().to_string();
    TrainModel& m = **made;
    m.init_random(11, 0.2);
    const int V = m.config().vocab_size;
    std::vector<int32_t> in(kB * kT), tg(kB * kT);
    for (int i = 0; i < kB * kT; ++i) {
        in[i] = (i * 13 + 5) % V;
        tg[i] = i % 6 == 4 ? -1 : (i * 7 + 2) % V;  // some positions without loss
    }
    const std::vector<int32_t> seg = seg_begin_of(kBounds);

    std::vector<float> logits(static_cast<size_t>(kB) * kT * V);
    m.forward_logits(in.data(), kB, kT, logits.data(), seg.data());
    m.zero_grads();
    const kernels::CrossEntropyStats packed =
        m.forward_backward(in.data(), tg.data(), kB, kT, 1.0f, seg.data());
    const std::vector<float> g_packed(m.grads(), m.grads() + m.n_params());

    // Each example alone: its own (1, n) batch, positions from 0, gradients summed.
    m.zero_grads();
    double loss_sum = 0;
    int64_t n_targets = 0;
    for (int b = 0; b < kB; ++b) {
        for (size_t s = 0; s + 1 < kBounds[b].size(); ++s) {
            const int t0 = kBounds[b][s], n = kBounds[b][s + 1] - t0;
            const size_t at = static_cast<size_t>(b) * kT + t0;
            std::vector<float> alone(static_cast<size_t>(n) * V);
            m.forward_logits(in.data() + at, 1, n, alone.data());
            for (size_t i = 0; i < alone.size(); ++i) {
                const float got = logits[at * V + i];
                ASSERT_NEAR(got, alone[i], 1e-5 * (1 + std::fabs(alone[i])))
                    << "window " << b << " example at " << t0 << " logit " << i;
            }
            auto ce = m.forward_backward(in.data() + at, tg.data() + at, 1, n, 1.0f);
            loss_sum += ce.loss_sum;
            n_targets += ce.n_targets;
        }
    }
    EXPECT_EQ(packed.n_targets, n_targets);
    EXPECT_NEAR(packed.loss_sum, loss_sum, 1e-5 * std::fabs(loss_sum));
    for (const ParamInfo& p : m.params_info()) {
        double md = 0, mr = 0;
        for (int64_t i = p.offset; i < p.offset + p.size; ++i) {
            md = std::max(md, std::fabs(double(g_packed[i]) - m.grads()[i]));
            mr = std::max(mr, std::fabs(double(m.grads()[i])));
        }
        EXPECT_LE(md, 1e-5 * std::max(mr, 1e-6)) << p.name;
    }

    // Without segments the same window computes something else (the reset is not a no-op).
    std::vector<float> plain(logits.size());
    m.forward_logits(in.data(), kB, kT, plain.data());
    double diff = 0;
    for (size_t i = 0; i < plain.size(); ++i) diff = std::max(diff, double(std::fabs(plain[i] - logits[i])));
    EXPECT_GT(diff, 1e-3);
    // And nullptr after a segmented call is today's behaviour again (positions reset).
    std::vector<float> plain2(logits.size());
    m.forward_logits(in.data(), kB, kT, logits.data(), seg.data());
    m.forward_logits(in.data(), kB, kT, plain2.data());
    EXPECT_EQ(plain, plain2);
}

TEST(TrainModelPackedExamples, EqualsEachExampleAlone) { check_packed(false, false); }
TEST(TrainModelPackedExamples, EqualsEachExampleAloneQkvBias) { check_packed(true, false); }
TEST(TrainModelPackedExamples, EqualsEachExampleAloneRecompute) { check_packed(true, true); }

// Documents whose tokens are all their own id (d + 1), so a token's document start in a window
// is where its run of equal tokens begins (or 0): an independent check of BatchSource's
// seg_begin from the dataset's .idx.
TEST(BatchSourceSegments, DocumentStartsInEveryWindow) {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("jenny_segments_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    const std::string prefix = (dir / "docs").string();
    {
        auto w = data::TokenDatasetWriter::create(prefix, 100, "", false).value();
        const int lengths[] = {5, 9, 3, 20, 1, 7, 12, 2, 2, 30, 4, 6, 11};
        for (int d = 0; d < 13; ++d) {
            std::vector<int32_t> t(lengths[d], d + 1);
            ASSERT_TRUE(w->add_document(t).ok());
        }
        ASSERT_TRUE(w->finish().ok());
    }
    TrainConfig config;
    config.data.train = {{prefix, 1.0, "tokens"}};
    config.data.val_fraction = 0.2;
    config.batch.seq_len = 8;
    EXPECT_FALSE(config.data.reset_attention());
    config.data.attention_reset = true;
    EXPECT_TRUE(config.data.reset_attention());
    auto src = BatchSource::open(config, 100, "");
    ASSERT_TRUE(src.ok()) << src.status().to_string();
    const int B = 3, T = 8;
    std::vector<int32_t> in(B * T), tg(B * T), seg(B * T, -7);
    auto expect_runs = [&](const char* what, int64_t g) {
        for (int b = 0; b < B; ++b) {
            for (int t = 0; t < T; ++t) {
                int start = t;
                while (start > 0 && in[b * T + start - 1] == in[b * T + t]) --start;
                ASSERT_EQ(seg[b * T + t], start) << what << " " << g << " row " << b << " t " << t;
            }
        }
    };
    for (int64_t g = 0; g < 12; g += B) {
        (*src)->read_train(g, B, in.data(), tg.data(), seg.data());
        expect_runs("train", g);
    }
    (*src)->read_val(0, B, in.data(), tg.data(), seg.data());
    expect_runs("val", 0);
    fs::remove_all(dir);
}

TEST(BatchSourceSegments, AttentionResetDefaultsOnWithSft) {
    DataSection d;
    d.train = {{"a", 1.0, "tokens"}};
    EXPECT_FALSE(d.reset_attention());
    d.val = {{"b.jsonl", 1.0, "sft"}};
    EXPECT_TRUE(d.reset_attention());
    d.attention_reset = false;
    EXPECT_FALSE(d.reset_attention());
}

}  // namespace
}  // namespace jenny::train
