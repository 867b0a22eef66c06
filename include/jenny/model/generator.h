// generate: one prompt in, generated tokens and text out, streamed — the loop behind
// `jenny generate` and the reference every batched scheduler (serve, eval, label) is tested
// against. The prompt is prefilled in chunks, then tokens are decoded one at a time until an
// end-of-sequence id, a stop id or string, max_tokens, or the model's context.
//
//   GenerateOptions o; o.sampling.temperature = 0; o.sampling.max_tokens = 64;
//   JENNY_ASSIGN_OR_RETURN(auto r, generate(m, prompt_ids, o, [](std::string_view t) {
//       fputs(std::string(t).c_str(), stdout); return true; }));
//
// on_text receives text as soon as it is final (whole UTF-8 characters, never a stop string
// or the start of one); returning false stops generation (finish_reason "cancelled").
// Not thread-safe with other users of the same LoadedModel.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "jenny/base/result.h"
#include "jenny/model/model_loader.h"
#include "jenny/model/sampler.h"
#include "jenny/tensor/dtype.h"

namespace jenny::model {

struct GenerateOptions {
    SamplingParams sampling;
    tensor::DType kv_dtype = tensor::DType::kF16;
    int prefill_chunk = 512;   // prompt tokens per forward call
    bool stop_at_eos = true;   // stop at the model's end-of-sequence ids
    bool skip_special = true;  // control tokens are not part of the text
};

struct GenerateResult {
    std::vector<int32_t> tokens;        // generated ids (a matched stop id included)
    std::vector<SampleResult> samples;  // per generated token (logprob, alternatives)
    std::string text;                   // what on_text received, concatenated
    std::string finish_reason;          // "stop" (eos / stop id / stop string), "length",
                                        // "context" (the model's window is full), "cancelled"
    int n_prompt = 0;
    double prompt_seconds = 0, decode_seconds = 0;
    // The memory budget, fixed before the first token: weights (mapped or owned), the KV
    // cache (every block allocated up front) and the forward pass's scratch arena.
    size_t weight_bytes = 0, kv_bytes = 0, scratch_bytes = 0;
};

// Errors: kInvalidArgument for an empty prompt, ids outside the vocabulary, sampling
// parameters out of range, or a prompt that does not fit the model's context ("prompt has N
// tokens; the model's context is M").
base::Result<GenerateResult> generate(LoadedModel& model, std::span<const int32_t> prompt,
                                      const GenerateOptions& options,
                                      const std::function<bool(std::string_view)>& on_text = {},
                                      base::Env* env = base::Env::Default());

}  // namespace jenny::model
