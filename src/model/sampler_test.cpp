#include "jenny/model/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <vector>

#include "jenny/base/config_bind.h"
#include "jenny/base/rng.h"
#include "jenny/kernels/softmax.h"

namespace jenny::model {
namespace {

using base::StatusCode;

SamplingParams params_with(float temperature, uint64_t seed = 1) {
    SamplingParams p;
    p.temperature = temperature;
    p.seed = seed;
    return p;
}

std::vector<float> log_softmax(const std::vector<float>& x) {
    const double m = *std::max_element(x.begin(), x.end());
    double s = 0;
    for (float v : x) s += std::exp(v - m);
    std::vector<float> out;
    for (float v : x) out.push_back(static_cast<float>(v - m - std::log(s)));
    return out;
}

// Tokens sampled at steps [0, n) with no history.
std::vector<int> draw(Sampler& s, const std::vector<float>& logits, int n, uint64_t step0 = 0) {
    std::vector<int> counts(logits.size(), 0);
    for (int i = 0; i < n; ++i) ++counts[s.sample(logits.data(), {}, 0, step0 + i).token];
    return counts;
}

std::set<int> support(const std::vector<int>& counts) {
    std::set<int> s;
    for (size_t i = 0; i < counts.size(); ++i) {
        if (counts[i] > 0) s.insert(static_cast<int>(i));
    }
    return s;
}

std::vector<float> log_probs_of(const std::vector<double>& p) {
    std::vector<float> l;
    for (double v : p) l.push_back(static_cast<float>(std::log(v)));
    return l;
}

TEST(Sampler, ValidateNamesTheBadField) {
    const int V = 100;
    EXPECT_TRUE(validate(SamplingParams{}, V).ok());
    const auto bad = [&](auto mutate, const char* field) {
        SamplingParams p;
        mutate(p);
        const base::Status st = validate(p, V);
        EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << field;
        EXPECT_NE(st.message().find(field), std::string::npos) << st.message();
    };
    bad([](SamplingParams& p) { p.temperature = -1; }, "temperature");
    bad([](SamplingParams& p) { p.top_k = -2; }, "top_k");
    bad([](SamplingParams& p) { p.top_p = 0; }, "top_p");
    bad([](SamplingParams& p) { p.top_p = 1.5f; }, "top_p");
    bad([](SamplingParams& p) { p.min_p = 2; }, "min_p");
    bad([](SamplingParams& p) { p.repetition_penalty = 0; }, "repetition_penalty");
    bad([](SamplingParams& p) { p.presence_penalty = 3; }, "presence_penalty");
    bad([](SamplingParams& p) { p.frequency_penalty = -3; }, "frequency_penalty");
    bad([](SamplingParams& p) { p.logit_bias = {{100, 1.0f}}; }, "logit_bias token 100");
    bad([](SamplingParams& p) { p.logit_bias = {{1, 101.0f}}; }, "logit_bias");
    bad([](SamplingParams& p) { p.n_logprobs = 21; }, "n_logprobs");
    bad([](SamplingParams& p) { p.stop = {"x", ""}; }, "stop string");
    bad([](SamplingParams& p) { p.stop_ids = {-1}; }, "stop id");
    bad([](SamplingParams& p) { p.max_tokens = 0; }, "max_tokens");
    SamplingParams p;
    p.top_k = -1;
    EXPECT_TRUE(validate(p, V).ok());
}

TEST(Sampler, BindsFromConfig) {
    auto node = base::parse_yaml("temperature: 0.7\ntop_k: 40\nstop: [\"\\n\\n\"]\nseed: 9\n",
                                 "sampling.yaml");
    ASSERT_TRUE(node.ok()) << node.status().to_string();
    auto p = base::bind_config<SamplingParams>(*node);
    ASSERT_TRUE(p.ok()) << p.status().to_string();
    EXPECT_FLOAT_EQ(p->temperature, 0.7f);
    EXPECT_EQ(p->top_k, 40);
    EXPECT_EQ(p->seed, 9u);
    ASSERT_EQ(p->stop.size(), 1u);
    EXPECT_EQ(p->stop[0], "\n\n");
}

TEST(Sampler, GreedyIsArgmaxWithLowestIdOnTies) {
    Sampler s(params_with(0.0f), 6);
    const std::vector<float> logits = {1, 3, -2, 3, 0, 2.5f};
    const SampleResult r = s.sample(logits.data(), {}, 0, 0);
    EXPECT_EQ(r.token, 1);
    EXPECT_NEAR(r.logprob, log_softmax(logits)[1], 1e-5);
    EXPECT_TRUE(r.top.empty());
    for (uint64_t step = 0; step < 50; ++step) {
        EXPECT_EQ(s.sample(logits.data(), {}, 0, step).token, 1);
    }
    EXPECT_TRUE(is_greedy(params_with(5e-6f)));
    EXPECT_FALSE(is_greedy(params_with(1e-3f)));
}

TEST(Sampler, DrawIsAPureFunctionOfSeedAndStep) {
    EXPECT_EQ(Sampler::uniform(3, 17), Sampler::uniform(3, 17));
    EXPECT_NE(Sampler::uniform(3, 17), Sampler::uniform(3, 18));
    EXPECT_NE(Sampler::uniform(3, 17), Sampler::uniform(4, 17));
    double lo = 1, hi = 0;
    for (uint64_t i = 0; i < 10000; ++i) {
        const double u = Sampler::uniform(0, i);
        lo = std::min(lo, u);
        hi = std::max(hi, u);
    }
    EXPECT_GE(lo, 0.0);
    EXPECT_LT(lo, 0.001);
    EXPECT_LT(hi, 1.0);
    EXPECT_GT(hi, 0.999);

    // Two samplers with the same seed agree step by step however their calls interleave; a
    // third with another seed does not.
    std::vector<float> logits(50);
    base::Rng rng(5);
    for (float& l : logits) l = static_cast<float>(rng.normal());
    Sampler a(params_with(1.0f, 11), 50), b(params_with(1.0f, 11), 50),
        c(params_with(1.0f, 12), 50);
    std::vector<int32_t> ta, tb, tc;
    for (uint64_t step = 0; step < 64; ++step)
        ta.push_back(a.sample(logits.data(), {}, 0, step).token);
    for (uint64_t step = 64; step-- > 0;) tb.push_back(b.sample(logits.data(), {}, 0, step).token);
    std::reverse(tb.begin(), tb.end());
    for (uint64_t step = 0; step < 64; ++step)
        tc.push_back(c.sample(logits.data(), {}, 0, step).token);
    EXPECT_EQ(ta, tb);
    EXPECT_NE(ta, tc);
}

double chi_square(const std::vector<int>& counts, const std::vector<double>& p, int n) {
    double chi = 0;
    for (size_t i = 0; i < p.size(); ++i) {
        const double e = p[i] * n;
        chi += (counts[i] - e) * (counts[i] - e) / e;
    }
    return chi;
}

TEST(Sampler, FollowsTheSoftmaxAtTheTemperature) {
    const std::vector<float> logits = {0.5f, -1.0f, 2.0f, 0.0f, 1.0f, -0.5f, 1.5f, 0.2f};
    const int n = 40000;
    for (float t : {1.0f, 0.6f, 2.0f}) {
        std::vector<float> scaled;
        for (float l : logits) scaled.push_back(l / t);
        std::vector<double> p;
        for (float l : log_softmax(scaled)) p.push_back(std::exp(static_cast<double>(l)));
        Sampler s(params_with(t, 1234), 8);
        // 7 degrees of freedom: P(chi2 > 24.3) = 0.001. Deterministic (fixed seed).
        EXPECT_LT(chi_square(draw(s, logits, n), p, n), 24.3) << "temperature " << t;
    }
}

TEST(Sampler, TopKKeepsTheKMostLikely) {
    const std::vector<float> logits = {0.1f, 2.0f, 0.3f, 1.9f, -1.0f, 1.8f, 0.0f, 0.2f};
    SamplingParams p = params_with(1.0f);
    p.top_k = 3;
    Sampler s(p, 8);
    EXPECT_EQ(support(draw(s, logits, 3000)), (std::set<int>{1, 3, 5}));
    p.top_k = 1;
    Sampler one(p, 8);
    EXPECT_EQ(support(draw(one, logits, 200)), (std::set<int>{1}));
    p.top_k = 100;  // more than V: everything
    Sampler all(p, 8);
    EXPECT_EQ(support(draw(all, logits, 20000)).size(), 8u);
}

TEST(Sampler, TopPKeepsTheSmallestNucleus) {
    const std::vector<float> logits = log_probs_of({0.1, 0.5, 0.05, 0.3, 0.05});
    SamplingParams p = params_with(1.0f);
    p.top_p = 0.75f;  // 0.5 + 0.3 reaches it
    EXPECT_EQ(support(draw(*std::make_unique<Sampler>(p, 5), logits, 3000)), (std::set<int>{1, 3}));
    p.top_p = 0.85f;
    EXPECT_EQ(support(draw(*std::make_unique<Sampler>(p, 5), logits, 3000)),
              (std::set<int>{0, 1, 3}));
    p.top_p = 0.01f;  // at least one token
    EXPECT_EQ(support(draw(*std::make_unique<Sampler>(p, 5), logits, 300)), (std::set<int>{1}));
    // With top_k the nucleus is taken over the renormalised top-k: 0.5 / 0.8 < 0.7.
    p.top_k = 2;
    p.top_p = 0.7f;
    EXPECT_EQ(support(draw(*std::make_unique<Sampler>(p, 5), logits, 3000)), (std::set<int>{1, 3}));
    p.top_p = 0.6f;
    EXPECT_EQ(support(draw(*std::make_unique<Sampler>(p, 5), logits, 300)), (std::set<int>{1}));
}

TEST(Sampler, MinPDropsUnlikelyTokens) {
    const std::vector<float> logits = log_probs_of({0.5, 0.3, 0.1, 0.06, 0.04});
    SamplingParams p = params_with(1.0f);
    p.min_p = 0.15f;  // p >= 0.075
    EXPECT_EQ(support(draw(*std::make_unique<Sampler>(p, 5), logits, 5000)),
              (std::set<int>{0, 1, 2}));
    p.temperature = 0.5f;  // p ~ (0.5^2, 0.3^2, 0.1^2, ...): 0.01 / 0.25 = 0.04 < 0.15
    EXPECT_EQ(support(draw(*std::make_unique<Sampler>(p, 5), logits, 5000)), (std::set<int>{0, 1}));
}

// The sampler against a plain implementation (sort everything, truncate, then walk the
// survivors in id order) with the same draw: identical tokens.
TEST(Sampler, MatchesAFullSortReferenceOnALargeVocabulary) {
    const int V = 32000;
    base::Rng rng(99);
    std::vector<float> logits(V);
    for (float& l : logits) l = static_cast<float>(rng.normal() * 2.0);
    for (int i = 0; i < 30; ++i) logits[rng.below(V)] += 8.0f;  // a few likely tokens
    logits[100] = logits[200] = logits[300] = 9.5f;             // ties at the top
    struct Case {
        float t, top_p, min_p;
        int top_k;
    };
    for (const Case& c :
         {Case{1.0f, 0.9f, 0.0f, 0}, Case{0.7f, 0.95f, 0.0f, 50}, Case{1.3f, 0.5f, 0.01f, 0},
          Case{1.0f, 0.999f, 0.0f, 0}, Case{1.0f, 1.0f, 0.0f, 2}, Case{2.0f, 1.0f, 0.05f, 0},
          Case{1.0f, 1.0f, 0.0f, 0}}) {
        SamplingParams p = params_with(c.t, 77);
        p.top_p = c.top_p;
        p.min_p = c.min_p;
        p.top_k = c.top_k;
        Sampler s(p, V);
        std::vector<int32_t> order(V);
        std::iota(order.begin(), order.end(), 0);
        std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
            return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
        });
        if (c.top_k > 0) order.resize(c.top_k);
        // The probabilities the sampler computes (the softmax kernel is tested in kernels/).
        std::vector<float> prob(V);
        const float inv_t = 1.0f / c.t;
        for (int i = 0; i < V; ++i) prob[i] = logits[i] * inv_t;
        kernels::softmax_forward(prob.data(), prob.data(), 1, V);
        std::vector<double> w;
        for (int32_t t : order) w.push_back(prob[t]);
        const double total = std::accumulate(w.begin(), w.end(), 0.0);
        size_t keep = 0;
        for (double acc = 0; keep < w.size() && acc < c.top_p * total;) acc += w[keep++];
        std::vector<double> weight(V, 0.0);  // by id, 0 when truncated
        for (size_t i = 0; i < keep; ++i) {
            if (prob[order[i]] >= c.min_p * prob[order[0]]) weight[order[i]] = w[i];
        }
        const double kept_total = std::accumulate(weight.begin(), weight.end(), 0.0);
        for (uint64_t step = 0; step < 100; ++step) {
            const double target = Sampler::uniform(77, step) * kept_total;
            double acc = 0;
            int32_t expect = -1;
            for (int32_t i = 0; i < V && expect < 0; ++i) {
                acc += weight[i];
                if (weight[i] > 0 && acc > target) expect = i;
            }
            ASSERT_EQ(s.sample(logits.data(), {}, 0, step).token, expect)
                << "step " << step << " top_p " << c.top_p << " kept " << keep;
        }
    }
}

TEST(Sampler, PenaltiesAndBiasArithmetic) {
    const std::vector<float> logits = {2.0f, -1.0f, 0.5f, 3.0f, -2.0f, 1.0f};
    SamplingParams p = params_with(0.0f);
    p.repetition_penalty = 2.0f;
    p.presence_penalty = 0.5f;
    p.frequency_penalty = 0.25f;
    p.logit_bias = {{5, -100.0f}, {4, 1.0f}};
    p.n_logprobs = 6;
    Sampler s(p, 6);
    const std::vector<int32_t> history = {0, 1, 2, 2, 1};  // prompt {0, 1}; generated {2, 2, 1}
    const SampleResult r = s.sample(logits.data(), history, 2, 0);
    // 0: seen in the prompt, 2 / 2. 1: -1 * 2 - 0.5 - 0.25. 2: 0.5 / 2 - 0.5 - 2 * 0.25.
    // 3: untouched. 4: -2 + 1. 5: 1 - 100.
    const std::vector<float> expect = log_softmax({1.0f, -2.75f, -0.75f, 3.0f, -1.0f, -99.0f});
    ASSERT_EQ(r.top.size(), 6u);
    for (const TokenLogprob& t : r.top) EXPECT_NEAR(t.logprob, expect[t.token], 1e-5) << t.token;
    EXPECT_EQ(r.token, 3);
    EXPECT_NEAR(r.logprob, expect[3], 1e-5);

    // Penalties read the history afresh each call: nothing leaks into the next one.
    const SampleResult clean = s.sample(logits.data(), {}, 0, 1);
    const std::vector<float> biased = log_softmax({2.0f, -1.0f, 0.5f, 3.0f, -1.0f, -99.0f});
    for (const TokenLogprob& t : clean.top) EXPECT_NEAR(t.logprob, biased[t.token], 1e-5);
}

TEST(Sampler, NegativeHundredBiasBansAToken) {
    const std::vector<float> logits = {0.0f, 10.0f, 1.0f, 0.5f};
    SamplingParams p = params_with(1.0f, 3);
    p.logit_bias = {{1, -100.0f}};
    Sampler s(p, 4);
    EXPECT_EQ(draw(s, logits, 5000)[1], 0);
    p.temperature = 0;
    Sampler g(p, 4);
    EXPECT_EQ(g.sample(logits.data(), {}, 0, 0).token, 2);
    p.logit_bias = {{3, 100.0f}};
    Sampler forced(p, 4);
    EXPECT_EQ(forced.sample(logits.data(), {}, 0, 0).token, 3);
}

TEST(Sampler, TopLogprobsAreSortedAndNormalised) {
    const int V = 16;
    base::Rng rng(8);
    std::vector<float> logits(V);
    for (float& l : logits) l = static_cast<float>(rng.normal() * 3);
    logits[4] = logits[9];  // a tie: lower id first
    SamplingParams p = params_with(0.8f, 2);
    p.n_logprobs = 20;  // more than V: all of them
    Sampler s(p, V);
    const SampleResult r = s.sample(logits.data(), {}, 0, 0);
    ASSERT_EQ(r.top.size(), static_cast<size_t>(V));
    double sum = 0;
    for (size_t i = 0; i < r.top.size(); ++i) {
        sum += std::exp(static_cast<double>(r.top[i].logprob));
        if (i > 0) {
            EXPECT_GE(r.top[i - 1].logprob, r.top[i].logprob);
            if (r.top[i - 1].logprob == r.top[i].logprob) {
                EXPECT_LT(r.top[i - 1].token, r.top[i].token);
            }
        }
    }
    EXPECT_NEAR(std::log(sum), 0.0, 1e-5);  // logsumexp = 0
    const auto chosen = std::find_if(r.top.begin(), r.top.end(),
                                     [&](const TokenLogprob& t) { return t.token == r.token; });
    ASSERT_NE(chosen, r.top.end());
    EXPECT_FLOAT_EQ(chosen->logprob, r.logprob);

    p.n_logprobs = 3;
    Sampler three(p, V);
    const SampleResult r3 = three.sample(logits.data(), {}, 0, 0);
    ASSERT_EQ(r3.top.size(), 3u);
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(r3.top[i].token, r.top[i].token);
        EXPECT_FLOAT_EQ(r3.top[i].logprob, r.top[i].logprob);
    }
}

TEST(Sampler, EveryTokenBannedGivesTokenZero) {
    const float inf = std::numeric_limits<float>::infinity();
    const std::vector<float> logits = {-inf, -inf, -inf};
    Sampler s(params_with(1.0f), 3);
    const SampleResult r = s.sample(logits.data(), {}, 0, 0);
    EXPECT_EQ(r.token, 0);
    EXPECT_EQ(r.logprob, -inf);
    // A single finite logit is always chosen.
    const std::vector<float> one = {-inf, 0.0f, -inf};
    EXPECT_EQ(draw(s, one, 100)[1], 100);
}

TEST(Sampler, StopTokens) {
    SamplingParams p;
    p.stop_ids = {2, 7};
    Sampler s(p, 10);
    EXPECT_TRUE(s.is_stop_token(7));
    EXPECT_FALSE(s.is_stop_token(3));
}

}  // namespace
}  // namespace jenny::model
