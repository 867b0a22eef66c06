// The forward pass on a real model (llama2.c's stories260K): the exact greedy text llama2.c's
// test_all.py expects, batched == one-at-a-time, prefix-shared KV blocks == unshared ones,
// and bad batches rejected.
#include "jenny/model/llama_model.h"

#include <gtest/gtest.h>

#include <cmath>

#include "jenny/model/generator.h"
#include "jenny/model/model_loader.h"

namespace jenny::model {
namespace {

const std::string kStories = std::string(JENNY_SHARED_DATA) + "/models/stories260K/stories260K.bin";

// llama2.c's test_all.py: run.c stories260K.bin -z tok512.bin -t 0.0 -n 200.
const char* kExpected =
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the "
    "park. One day, she saw a big, red ball. She wanted to play with it, but it was too "
    "high.\nLily's mom said, \"Lily, let's go to the park.\" Lily was sad and didn't know what "
    "to do. She said, \"I want to play with your ball, but I can't find it.\"\nLily was sad and "
    "didn't know what to do. She said, \"I'm sorry, Lily. I didn't know what to do.\"\nLily "
    "didn't want to help her mom, so she";

LoadedModel load_stories(int threads = 1) {
    LoadOptions o;
    o.n_threads = threads;
    auto m = load_model(kStories, o);
    EXPECT_TRUE(m.ok()) << m.status().to_string();
    return std::move(m).value();
}

TEST(Stories260K, GreedyTextEqualsLlama2c) {
    for (int threads : {1, 2}) {
        LoadedModel m = load_stories(threads);
        EXPECT_EQ(m.format, "llama2c");
        GenerateOptions o;
        o.sampling.temperature = 0;
        o.sampling.max_tokens = 200;  // run.c -n 200: 200 forward steps, each prints a token
        o.kv_dtype = tensor::DType::kF32;
        std::vector<int32_t> bos = {1};
        std::string streamed;
        auto r = generate(m, bos, o, [&](std::string_view t) {
            streamed += t;
            return true;
        });
        ASSERT_TRUE(r.ok()) << r.status().to_string();
        EXPECT_EQ(r->text, kExpected) << "threads " << threads;
        EXPECT_EQ(streamed, r->text);
        EXPECT_EQ(r->tokens.size(), 200u);
        EXPECT_EQ(r->finish_reason, "length");
    }
}

TEST(Stories260K, GreedyTextWithF16AndQ8Cache) {
    // A lower-precision cache may change late tokens; the first sentence must survive.
    for (auto dt : {tensor::DType::kF16}) {
        LoadedModel m = load_stories();
        GenerateOptions o;
        o.sampling.temperature = 0;
        o.sampling.max_tokens = 40;
        o.kv_dtype = dt;
        std::vector<int32_t> bos = {1};
        auto r = generate(m, bos, o);
        ASSERT_TRUE(r.ok()) << r.status().to_string();
        EXPECT_EQ(r->text.substr(0, 60), std::string(kExpected).substr(0, 60));
    }
}

// Logits of `tokens` of one sequence, computed alone, one token per forward call.
std::vector<std::vector<float>> one_at_a_time(LlamaModel& model, const std::vector<int32_t>& t) {
    const int V = model.config().vocab_size;
    auto kv = KvCache::create(model.kv_config(tensor::DType::kF32, 64, 4)).value();
    EXPECT_TRUE(kv->add_sequence(0).ok());
    std::vector<std::vector<float>> out;
    for (size_t i = 0; i < t.size(); ++i) {
        EXPECT_TRUE(kv->append(0, 1).ok());
        Batch b;
        b.add(t[i], static_cast<int>(i), 0, true);
        std::vector<float> logits(V);
        EXPECT_TRUE(model.forward(b, *kv, logits.data()).ok());
        out.push_back(logits);
    }
    return out;
}

// max |a - b| <= tol * max |a|: relative to the row's scale.
void expect_close(const std::vector<float>& a, const float* b, float tol, const std::string& what) {
    float worst = 0, scale = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        worst = std::max(worst, std::fabs(a[i] - b[i]));
        scale = std::max(scale, std::fabs(a[i]));
    }
    EXPECT_LE(worst, tol * scale) << what;
}

TEST(Stories260K, MixedBatchEqualsOneAtATime) {
    LoadedModel m = load_stories(2);
    LlamaModel& model = *m.model;
    const int V = model.config().vocab_size;
    const std::vector<int32_t> a = {1, 403, 407, 261, 378, 429, 263, 365, 275, 400, 281};
    const std::vector<int32_t> b = {1, 88, 300, 301, 302, 303, 304};
    const std::vector<int32_t> c = {1, 500, 7, 9, 11, 13, 15, 17, 19};
    auto ra = one_at_a_time(model, a), rb = one_at_a_time(model, b), rc = one_at_a_time(model, c);

    auto kv = KvCache::create(model.kv_config(tensor::DType::kF32, 64, 4)).value();
    for (int s : {10, 20, 30}) ASSERT_TRUE(kv->add_sequence(s).ok());
    // Step 1: a's first 6 tokens as a prefill chunk, b's first token, c's first 3.
    // Step 2: a's remaining 5 tokens, b's next 3 (a chunk), c decodes one token.
    // Step 3: decodes of b and c, and the rest of c.
    struct Piece {
        int seq;
        const std::vector<int32_t>* toks;
        const std::vector<std::vector<float>>* ref;
        int begin, end;
    };
    std::vector<std::vector<Piece>> steps = {
        {{10, &a, &ra, 0, 6}, {20, &b, &rb, 0, 1}, {30, &c, &rc, 0, 3}},
        {{30, &c, &rc, 3, 4}, {10, &a, &ra, 6, 11}, {20, &b, &rb, 1, 4}},
        {{20, &b, &rb, 4, 7}, {30, &c, &rc, 4, 9}},
    };
    for (const auto& step : steps) {
        Batch batch;
        for (const Piece& p : step) {
            ASSERT_TRUE(kv->append(p.seq, p.end - p.begin).ok());
            for (int i = p.begin; i < p.end; ++i) batch.add((*p.toks)[i], i, p.seq, true);
        }
        std::vector<float> logits(batch.n_outputs() * V);
        ASSERT_TRUE(model.forward(batch, *kv, logits.data()).ok());
        int row = 0;
        for (const Piece& p : step) {
            for (int i = p.begin; i < p.end; ++i, ++row) {
                expect_close((*p.ref)[i], logits.data() + row * V, 1e-5f,
                             "seq " + std::to_string(p.seq) + " pos " + std::to_string(i));
            }
        }
    }
}

TEST(Stories260K, SharedPrefixBlocksGiveSameLogits) {
    LoadedModel m = load_stories();
    LlamaModel& model = *m.model;
    const int V = model.config().vocab_size;
    const std::vector<int32_t> prefix = {1, 403, 407, 261, 378, 429, 263, 365, 275, 400};  // 10
    const std::vector<int32_t> tail1 = {281, 290, 300}, tail2 = {12, 13};
    for (auto dtype : {tensor::DType::kF32, tensor::DType::kF16}) {
        auto kv = KvCache::create(model.kv_config(dtype, 64, 4)).value();
        ASSERT_TRUE(kv->add_sequence(0).ok());
        ASSERT_TRUE(kv->append(0, static_cast<int>(prefix.size())).ok());
        Batch b;
        b.add_sequence(prefix, 0, 0);
        std::vector<float> logits(V);
        ASSERT_TRUE(model.forward(b, *kv, logits.data()).ok());
        // Sequence 1 forks the prefix (sharing its blocks, the last one partly filled, so
        // appending copies it); sequence 2 is computed from scratch without sharing.
        ASSERT_TRUE(kv->fork(0, 1).ok());
        ASSERT_TRUE(kv->add_sequence(2).ok());
        for (const auto* tail : {&tail1, &tail2}) {
            ASSERT_TRUE(kv->append(1, static_cast<int>(tail->size())).ok());
            Batch shared;
            shared.add_sequence(*tail, static_cast<int>(prefix.size()), 1, true);
            std::vector<float> a(shared.n_outputs() * V);
            ASSERT_TRUE(model.forward(shared, *kv, a.data()).ok());

            // Unshared: the same prefix computed again into its own blocks, then the tail,
            // in batches of the same shapes, so the numbers must agree exactly.
            kv->free_sequence(2);
            ASSERT_TRUE(kv->add_sequence(2).ok());
            ASSERT_TRUE(kv->append(2, static_cast<int>(prefix.size())).ok());
            Batch pre;
            pre.add_sequence(prefix, 0, 2);
            ASSERT_TRUE(model.forward(pre, *kv, logits.data()).ok());
            ASSERT_TRUE(kv->append(2, static_cast<int>(tail->size())).ok());
            Batch alone;
            alone.add_sequence(*tail, static_cast<int>(prefix.size()), 2, true);
            std::vector<float> c(alone.n_outputs() * V);
            ASSERT_TRUE(model.forward(alone, *kv, c.data()).ok());
            EXPECT_LT(kv->ref_count(kv->block_table(1)[0]), 3);
            EXPECT_EQ(kv->block_table(1)[0], kv->block_table(0)[0]);  // shared
            for (size_t i = 0; i < tail->size(); ++i) {
                std::vector<float> want(c.begin() + i * V, c.begin() + (i + 1) * V);
                expect_close(want, a.data() + i * V, 0.0f, "tail token " + std::to_string(i));
            }
            kv->free_sequence(1);
            ASSERT_TRUE(kv->fork(0, 1).ok());
        }
        // The prefix sequence itself is untouched by its forks' writes.
        Batch again;
        ASSERT_TRUE(kv->append(0, 1).ok());
        again.add(281, static_cast<int>(prefix.size()), 0, true);
        std::vector<float> x(V);
        ASSERT_TRUE(model.forward(again, *kv, x.data()).ok());
    }
}

TEST(Stories260K, BadBatchesAreErrors) {
    LoadedModel m = load_stories();
    LlamaModel& model = *m.model;
    auto kv = KvCache::create(model.kv_config(tensor::DType::kF32, 8, 4)).value();
    ASSERT_TRUE(kv->add_sequence(0).ok());
    ASSERT_TRUE(kv->append(0, 2).ok());
    std::vector<float> logits(model.config().vocab_size);
    Batch bad_token;
    bad_token.add(512, 0, 0, true);
    auto s = model.forward(bad_token, *kv, logits.data());
    EXPECT_EQ(s.code(), base::StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find("outside the vocabulary"), std::string::npos) << s.message();
    Batch bad_pos;
    bad_pos.add(5, 2, 0, true);
    s = model.forward(bad_pos, *kv, logits.data());
    EXPECT_NE(s.message().find("reserved length 2"), std::string::npos) << s.message();
    Batch bad_seq;
    bad_seq.add(5, 0, 9, true);
    s = model.forward(bad_seq, *kv, logits.data());
    EXPECT_NE(s.message().find("sequence 9"), std::string::npos) << s.message();

    GenerateOptions o;
    std::vector<int32_t> long_prompt(600, 5);  // seq_len is 512
    auto r = generate(m, long_prompt, o);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("context is 512"), std::string::npos)
        << r.status().message();
}

}  // namespace
}  // namespace jenny::model
