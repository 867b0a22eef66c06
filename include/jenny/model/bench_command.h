// What `jenny bench generate` does, as a library call: inference speed the way llama-bench
// measures it, so the two can be put side by side.
//
//   pp N : one batch of N prompt tokens (random ids) into an empty KV cache, logits for the
//          last one; tok/s = N / seconds.
//   tg N : after a short prompt of `tg_prompt` random tokens (not timed), N single-token
//          decode steps, each feeding a random id; tok/s = N / seconds.
//
// One untimed warm-up run of each test comes first (it also grows the model's scratch arena
// to its final size); then `reps` timed runs, reported with their median. Peak RSS is the
// process's VmHWM at the end (weights are memory-mapped: pages of the model that
// were touched count).
//
//   BenchGenerateConfig c; c.model = "m.gguf"; c.pp = 512; c.tg = 64; c.threads = 2;
//   JENNY_RETURN_IF_ERROR(run_bench_generate(c, stdout, stderr));
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "jenny/base/env.h"
#include "jenny/base/result.h"
#include "jenny/model/model_loader.h"
#include "jenny/tensor/dtype.h"

namespace jenny::model {

struct BenchGenerateConfig {
    std::string model;  // HF directory, .gguf, or llama2.c .bin
    int pp = 512;       // prompt tokens in one batch (0: skip)
    int tg = 64;        // decode steps (0: skip)
    int tg_prompt = 8;  // tokens in the cache before the decode steps
    int threads = 0;    // 0: all cores
    int reps = 3;
    std::string kv_dtype = "f16";
    uint64_t seed = 1234;
    bool json = false;

    template <class V>
    void visit(V& v) {
        v.required("model", model, "model: HF directory, .gguf or llama2.c .bin");
        v.field("pp", pp, "prompt tokens evaluated in one batch (0: skip)");
        v.field("tg", tg, "tokens decoded one at a time (0: skip)");
        v.field("tg_prompt", tg_prompt, "tokens in the cache before decoding starts");
        v.field("threads", threads, "threads (0: all cores)");
        v.field("reps", reps, "timed repetitions (the median is reported)");
        v.one_of("kv_dtype", kv_dtype, {"f16", "f32", "q8_0"}, "KV cache element type");
        v.field("seed", seed, "seed of the random token ids");
        v.field("json", json, "print one JSON object instead of a table");
    }
};

struct BenchTest {
    std::string name;  // "pp512", "tg64"
    int n_tokens = 0;
    std::vector<double> seconds;  // per timed rep
    double median_tok_s = 0;
    double mean_tok_s = 0;
    double stddev_tok_s = 0;
};

struct BenchGenerateResult {
    std::string model, format, weights_dtypes;  // weights_dtypes: "q4_1+f32"
    uint64_t n_params = 0;
    uint64_t model_bytes = 0;
    int threads = 0;
    std::vector<BenchTest> tests;
    uint64_t peak_rss_bytes = 0;
    double load_seconds = 0;
};

// Runs the tests on a loaded model (config.model is only reported). Errors: kInvalidArgument
// for negative sizes, reps < 1, a prompt or tg_prompt + tg beyond the model's context.
base::Result<BenchGenerateResult> bench_generate(LoadedModel& model,
                                                 const BenchGenerateConfig& config,
                                                 base::Env* env = base::Env::Default());

// Loads the model, runs bench_generate, prints a llama-bench-like table (or JSON) to `out`.
base::Status run_bench_generate(const BenchGenerateConfig& config, std::FILE* out, std::FILE* err,
                                base::Env* env = base::Env::Default());

// The process's peak resident set size in bytes (/proc/self/status VmHWM, else getrusage),
// 0 when unknown.
uint64_t peak_rss_bytes();

}  // namespace jenny::model
