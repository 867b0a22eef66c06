// Perplexity of a model over a token stream, computed exactly as llama.cpp's llama-perplexity
// does (tools/perplexity/perplexity.cpp without --ppl-stride), so the two can be compared:
//
//   n_chunks = tokens.size() / n_ctx            (the tail shorter than a chunk is dropped)
//   chunk i  = tokens[i*n_ctx, (i+1)*n_ctx), its first token replaced by `bos` when set,
//              evaluated in one batch from an empty KV cache at positions 0..n_ctx-1
//   scored   = for j in [n_ctx/2, n_ctx-1): -log softmax(logits[j])[chunk[j+1]]
//              (n_ctx - n_ctx/2 - 1 tokens per chunk; log-softmax in double)
//   ppl      = exp(nll_sum / n_scored);  stderr = ppl * sqrt(var(nll) / (n_scored - 1))
//
//   JENNY_ASSIGN_OR_RETURN(auto ids, m.tokenizer->encode(text));   // BOS when the model adds it
//   PerplexityOptions o; o.n_ctx = 512; if (m.add_bos) o.bos = m.bos_id;
//   JENNY_ASSIGN_OR_RETURN(PerplexityResult r, perplexity(m, ids, o));
//
// Not thread-safe with other users of the same LoadedModel.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "jenny/base/env.h"
#include "jenny/base/result.h"
#include "jenny/model/model_loader.h"
#include "jenny/tensor/dtype.h"

namespace jenny::model {

struct PerplexityOptions {
    int n_ctx = 512;             // tokens per chunk; at least 4, at most the model's context
    int max_chunks = 0;          // > 0: evaluate only the first max_chunks chunks
    std::optional<int32_t> bos;  // replaces each chunk's first token (llama.cpp: add_bos)
    tensor::DType kv_dtype = tensor::DType::kF16;  // llama.cpp's default cache type
};

struct PerplexityChunk {
    double nll_sum = 0;  // this chunk's scored tokens
    int64_t n_scored = 0;
    double running_ppl = 0;  // exp(mean NLL) over chunks 0..i (llama-perplexity's "[i]x")
    double seconds = 0;
};

struct PerplexityResult {
    double ppl = 0;
    double ppl_stderr = 0;  // llama-perplexity's "+/-"
    double nll_sum = 0;     // over all scored tokens
    double nll2_sum = 0;    // sum of squared NLLs
    int64_t n_scored = 0;
    int64_t n_tokens = 0;  // tokens given
    int n_ctx = 0;
    int n_chunks = 0;  // chunks evaluated
    std::vector<PerplexityChunk> chunks;
    double seconds = 0;
};

// Errors: kInvalidArgument for n_ctx < 4 or beyond the model's context, fewer than 2 * n_ctx
// tokens (what llama-perplexity requires; the message says how many there are and what to
// change), token ids outside the vocabulary; a KV cache allocation failure. `on_chunk` (may
// be empty) is called after each chunk with its index and the result so far.
base::Result<PerplexityResult> perplexity(
    LoadedModel& model, std::span<const int32_t> tokens, const PerplexityOptions& options,
    const std::function<void(int, const PerplexityResult&)>& on_chunk = {},
    base::Env* env = base::Env::Default());

// What `jenny perplexity` does: load the model, read and tokenize the text file (BOS when the
// model adds one, special-token text read as text), run perplexity() and print the running
// estimates ("[1]12.3456,[2]11.9876,...") and "Final estimate: PPL = x +/- y" to `out`, or one
// JSON object with json.
struct PerplexityConfig {
    std::string model;  // HF directory, .gguf, or llama2.c .bin
    std::string file;   // UTF-8 text
    int ctx = 512;
    int threads = 0;  // 0: all cores
    int chunks = 0;   // > 0: only the first N chunks
    std::string kv_dtype = "f16";
    bool json = false;

    template <class V>
    void visit(V& v) {
        v.required("model", model, "model: HF directory, .gguf or llama2.c .bin");
        v.required("file", file, "text file to score");
        v.field("ctx", ctx, "tokens per chunk (llama-perplexity's -c)");
        v.field("threads", threads, "threads (0: all cores)");
        v.field("chunks", chunks, "evaluate only the first N chunks (0: all)");
        v.one_of("kv_dtype", kv_dtype, {"f16", "f32", "q8_0"}, "KV cache element type");
        v.field("json", json, "print one JSON object at the end instead of text");
    }
};

// Errors: loading, a missing or empty text file, an invalid --ctx or a text too short for it
// (kInvalidArgument, saying what to change).
base::Status run_perplexity(const PerplexityConfig& config, std::FILE* out, std::FILE* err,
                            base::Env* env = base::Env::Default());

}  // namespace jenny::model
