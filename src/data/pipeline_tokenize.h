// The `tokenize` block of `jenny data run` (private to src/data): kept documents -> a token
// dataset per task (docs/formats/tokens.md) that `jenny train` reads.
#pragma once

#include <string>

namespace jenny::data {

struct PipelineTokenizeOptions {
    std::string tokenizer;       // model dir, tokenizer.json, .model, .gguf or llama2.c .bin
    bool eos = true;             // append EOS after every document
    bool parse_special = false;  // special-token text in documents becomes control tokens
    int threads = 0;             // encoding threads per task (0: all cores / tasks run at once)
    template <class V>
    void visit(V& v) {
        v.required("tokenizer", tokenizer, "tokenizer: model dir, tokenizer.json, .model, .gguf");
        v.field("eos", eos, "append EOS after each document");
        v.field("parse_special", parse_special, "read special-token text as control tokens");
        v.field("threads", threads, "encoding threads per task (0: cores / tasks run at once)");
    }
};

}  // namespace jenny::data
