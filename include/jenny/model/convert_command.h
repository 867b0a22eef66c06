// What `jenny convert` and `jenny quantize` do, as a library call the thin CLI file uses: load
// a model (HF directory, GGUF, llama2.c), write it as an HF directory or a GGUF file
// (model_writer.h), and report what was written.
#pragma once

#include <cstdio>
#include <string>

#include "jenny/base/env.h"
#include "jenny/base/result.h"

namespace jenny::model {

struct ConvertConfig {
    std::string input;   // HF directory, .gguf, or llama2.c .bin
    std::string output;  // a directory (to hf) or a .gguf path (to gguf)
    std::string to = "gguf";
    std::string dtype =
        "auto";             // auto: the source's weight dtype when the target holds it, else f16
    std::string tokenizer;  // optional override of the tokenizer beside the model
    int threads = 0;

    template <class V>
    void visit(V& v) {
        v.required("input", input, "model to read: HF directory, .gguf or llama2.c .bin");
        v.required("output", output, "where to write: a directory (hf) or a .gguf file");
        v.one_of("to", to, {"hf", "gguf"}, "output format");
        v.one_of("dtype", dtype, {"auto", "f32", "f16", "bf16", "q8_0", "q4_0"},
                 "weight dtype (hf: f32, f16, bf16)");
        v.field("tokenizer", tokenizer, "tokenizer path (default: the model's own)");
        v.field("threads", threads, "threads (0: all cores)");
    }
};

// Converts, printing one line per file written and a summary (tensors, bytes, seconds) to
// `out` and notes/warnings to `err`. The output is written atomically: a GGUF file through a
// temporary file renamed over it; a directory into "<output>.tmp" renamed to <output> (an
// existing non-empty output directory is refused, never merged). Errors: kInvalidArgument for
// an output that is the input (or inside it), a dtype the target cannot hold; those of
// load_model and the writers. On error nothing at `output` has changed.
base::Status run_convert(const ConvertConfig& config, std::FILE* out, std::FILE* err,
                         base::Env* env = base::Env::Default());

}  // namespace jenny::model
