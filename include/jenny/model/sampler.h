// Sampler: picks the next token of one sequence from the model's logits, the way vLLM does.
//
//   Sampler s(params, V);                      // params checked with validate() first
//   SampleResult r = s.sample(logits, history, n_prompt, step);
//
// The logits (V) of one position go through, in this order:
//   1. repetition_penalty (CTRL): for every distinct token of the history (prompt and
//      generated), logit > 0 -> logit / p, else logit * p;
//   2. presence and frequency penalties (OpenAI) over the generated tokens only
//      (history[n_prompt:]): logit -= presence * (count > 0) + frequency * count;
//   3. logit_bias: logit += bias (-100 effectively bans a token, +100 forces it);
//   -> these "processed" logits define the distribution whose log-probabilities are reported
//      (SampleResult::logprob and ::top): log_softmax of the penalised, biased logits, before
//      temperature and truncation — OpenAI's and vLLM's "processed logits" choice, so a
//      token's reported logprob does not depend on the sampling knobs;
//   4. temperature: temperature < 1e-5 is greedy — argmax of the processed logits, ties to the
//      lowest id, O(V) with no sort, no random draw — else logits / temperature;
//   5. top_k (0 or -1: off) keeps the k most likely tokens; top_p keeps the smallest set, in
//      descending probability, whose renormalised mass reaches top_p (at least one token);
//      min_p drops tokens with p < min_p * p_max;
//   6. one uniform draw u in [0, 1) from a counter-based generator that is a pure function of
//      (seed, step), inverted through the cumulative distribution of the survivors taken in
//      token-id order (so the pick depends on the distribution only, not on how the
//      truncation was computed).
// Truncation selects (nth_element), it never sorts the vocabulary: O(V) expected.
// So the same (seed, logits, history) gives the same token whatever else is in the batch and
// however requests are scheduled. Ties in truncation order are broken by lower token id.
//
// Allocation: every scratch buffer (O(V)) is made by the constructor; sample() allocates only
// the returned `top` vector when n_logprobs > 0. Not thread-safe: one Sampler per sequence (or
// per thread). Logits must not be NaN; -inf logits are never sampled (if every logit is -inf
// the result is token 0 with logprob -inf).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "jenny/base/status.h"

namespace jenny::model {

struct SamplingParams {
    float temperature = 1.0f;                           // 0 (< 1e-5): greedy
    int top_k = 0;                                      // 0 or -1: off
    float top_p = 1.0f;                                 // (0, 1]
    float min_p = 0.0f;                                 // [0, 1]
    float repetition_penalty = 1.0f;                    // > 0; 1: off
    float presence_penalty = 0.0f;                      // [-2, 2]
    float frequency_penalty = 0.0f;                     // [-2, 2]
    std::vector<std::pair<int32_t, float>> logit_bias;  // (token, bias in [-100, 100])
    uint64_t seed = 0;
    int n_logprobs = 0;             // top alternatives to report, [0, 20] (OpenAI's limit)
    std::vector<std::string> stop;  // stop strings (see StopMatcher), not in the output
    std::vector<int32_t> stop_ids;  // tokens that end the sequence (besides EOS)
    int max_tokens = 16;            // vLLM's and OpenAI /v1/completions' default

    // logit_bias has no config spelling: the API layer fills it from the request.
    template <class V>
    void visit(V& v) {
        v.field("temperature", temperature, "softmax temperature; 0 is greedy");
        v.field("top_k", top_k, "keep the k most likely tokens; 0 keeps all");
        v.field("top_p", top_p, "nucleus sampling: keep the smallest set with this mass");
        v.field("min_p", min_p, "drop tokens less likely than min_p times the most likely");
        v.field("repetition_penalty", repetition_penalty,
                "divide positive (multiply negative) logits of seen tokens; 1 is off");
        v.field("presence_penalty", presence_penalty, "subtract from generated tokens' logits");
        v.field("frequency_penalty", frequency_penalty,
                "subtract this times each generated token's count");
        v.field("seed", seed, "random seed: same seed, same text");
        v.field("n_logprobs", n_logprobs, "report this many most likely alternatives");
        v.field("stop", stop, "stop strings (not included in the output)");
        v.field("stop_ids", stop_ids, "token ids that end generation");
        v.field("max_tokens", max_tokens, "most tokens to generate");
    }
};

// kInvalidArgument naming the first field out of its range (see SamplingParams), a
// logit_bias or stop id outside [0, vocab_size), or an empty stop string.
base::Status validate(const SamplingParams& params, int vocab_size);
// True when the temperature selects greedy decoding.
bool is_greedy(const SamplingParams& params);

struct TokenLogprob {
    int32_t token;
    float logprob;
};

struct SampleResult {
    int32_t token = 0;
    float logprob = 0.0f;           // of `token` under the processed distribution (see above)
    std::vector<TokenLogprob> top;  // n_logprobs most likely, descending, ties by lower id
};

class Sampler {
public:
    // params must pass validate(params, vocab_size) (JENNY_CHECK).
    Sampler(SamplingParams params, int vocab_size);

    const SamplingParams& params() const { return params_; }
    int vocab_size() const { return vocab_; }

    // logits: (V) f32 of the position being generated. history: the sequence's tokens so far,
    // the first n_prompt of them the prompt (ids in [0, V), JENNY_CHECK). step: index of the
    // generated token (0 for the first), which with the seed fixes the random draw.
    SampleResult sample(const float* logits, std::span<const int32_t> history, int n_prompt,
                        uint64_t step);

    // True when `token` is one of params.stop_ids.
    bool is_stop_token(int32_t token) const;

    // The draw of step `step`: uniform in [0, 1) with 53 bits, a splitmix64 hash of
    // (seed, step). Pure function; exposed for tests and for reproducing a draw.
    static double uniform(uint64_t seed, uint64_t step);

private:
    struct Candidate {
        float logit;
        int32_t token;
    };
    void apply_penalties(float* w, std::span<const int32_t> history, int n_prompt);
    void top_logprobs(const float* lp, int n, std::vector<TokenLogprob>* out);
    int32_t sample_truncated(const float* w, int32_t best, uint64_t step);

    SamplingParams params_;
    int vocab_;
    std::vector<float> work_;       // (V) processed logits
    std::vector<Candidate> cand_;   // (V)
    std::vector<float> logprobs_;   // (V) log_softmax of work_
    std::vector<float> weight_;     // (V) softmax(work_ / T)
    std::vector<int32_t> counts_;   // (V) zero between calls
    std::vector<uint8_t> seen_;     // (V) zero between calls
    std::vector<int32_t> touched_;  // ids whose counts_/seen_ are set
};

}  // namespace jenny::model
