// What `jenny generate` does, as a library call the thin CLI file uses: load a model, build
// the prompt (raw text, or a chat turn through the model's chat template), stream the
// generated text, and report speed.
#pragma once

#include <cstdio>
#include <string>

#include "jenny/base/env.h"
#include "jenny/base/result.h"
#include "jenny/model/sampler.h"

namespace jenny::model {

struct GenerateConfig {
    std::string model;      // HF directory, .gguf, or llama2.c .bin
    std::string tokenizer;  // optional override of the tokenizer beside the model
    std::string lora;       // a LoRA adapter directory applied at run time (PEFT layout)
    std::string prompt;     // the text (or, with chat, the user message)
    bool chat = false;      // wrap the prompt in the model's chat template
    std::string system;     // chat only: a system message
    bool bos = true;        // raw prompts start with BOS when the tokenizer adds one
    int threads = 0;        // 0: all cores
    std::string kv_dtype = "f16";
    bool stats = true;  // print prompt/decode speed to stderr at the end
    SamplingParams sampling;

    template <class V>
    void visit(V& v) {
        v.required("model", model, "model: HF directory, .gguf or llama2.c .bin");
        v.field("tokenizer", tokenizer, "tokenizer path (default: the model's own)");
        v.field("lora", lora, "LoRA adapter directory (PEFT layout), applied without merging");
        v.field("prompt", prompt, "prompt text (the user message with chat)");
        v.field("chat", chat, "render the prompt with the model's chat template");
        v.field("system", system, "system message (chat only)");
        v.field("bos", bos, "start a raw prompt with BOS when the tokenizer adds one");
        v.field("threads", threads, "threads (0: all cores)");
        v.one_of("kv_dtype", kv_dtype, {"f16", "f32", "q8_0"}, "KV cache element type");
        v.field("stats", stats, "report speed on stderr");
        v.field("sampling", sampling, "sampling parameters");
    }
};

// Generates, writing text to `out` as it is produced (flushed per piece) and the stats line
// to `err`. Errors: loading, prompt too long, bad sampling parameters.
base::Status run_generate(const GenerateConfig& config, std::FILE* out, std::FILE* err,
                          base::Env* env = base::Env::Default());

}  // namespace jenny::model
