// What `jenny tokenize` and `jenny detokenize` do, as library calls the thin CLI files use.
#pragma once

#include <string>
#include <string_view>

#include "jenny/base/env.h"
#include "jenny/base/result.h"

namespace jenny::tokenizer {

struct TokenizeConfig {
    std::string tokenizer;       // model dir, tokenizer.json, .model, .gguf, llama2.c .bin
    std::string output = "ids";  // ids | pieces | count
    std::string input_format =
        "text";               // text (the whole input is one text) | jsonl ({"text": ...} per line)
    bool add_special = true;  // BOS/EOS per the tokenizer
    bool parse_special = true;  // "<|im_start|>" in text becomes the control token
    int threads = 0;            // jsonl: documents encoded in parallel (0: all cores)
    template <class V>
    void visit(V& v) {
        v.required("tokenizer", tokenizer, "tokenizer path");
        v.one_of("output", output, {"ids", "pieces", "count"}, "what to print");
        v.one_of("input_format", input_format, {"text", "jsonl"}, "how stdin is read");
        v.field("add_special", add_special, "add BOS/EOS as the tokenizer does");
        v.field("parse_special", parse_special, "match special-token text");
        v.field("threads", threads, "threads for jsonl input (0: all cores)");
    }
};

// Tokenizes `input` and returns the printed form: for text input one line (ids separated by
// spaces, a JSON list of pieces, or the count); for jsonl one such line per document, ids and
// pieces as JSON lists. Errors name the jsonl line.
base::Result<std::string> run_tokenize(const TokenizeConfig& config, std::string_view input,
                                       base::Env* env = base::Env::Default());

struct DetokenizeConfig {
    std::string tokenizer;
    bool skip_special = false;
    template <class V>
    void visit(V& v) {
        v.required("tokenizer", tokenizer, "tokenizer path");
        v.field("skip_special", skip_special, "drop control tokens");
    }
};

// `input` holds ids separated by whitespace (or a JSON list); returns the decoded text.
base::Result<std::string> run_detokenize(const DetokenizeConfig& config, std::string_view input,
                                         base::Env* env = base::Env::Default());

}  // namespace jenny::tokenizer
