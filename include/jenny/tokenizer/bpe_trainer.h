// BPE trainer: learns a byte-level BPE vocabulary (GPT-2 / Llama-3 style) from text files and
// writes a Hugging Face `tokenizer.json` + `tokenizer_config.json` that Hugging Face
// `tokenizers`, `transformers.PreTrainedTokenizerFast` and jenny's Tokenizer::load all read.
//
//   BpeTrainerConfig cfg;
//   cfg.input = {"corpus.txt"};  cfg.vocab_size = 32000;  cfg.out = "tok";
//   JENNY_ASSIGN_OR_RETURN(TrainReport report, train_bpe(cfg, base::Env::Default()));
//
// The algorithm:
//  1. Words. Input files are cut into ~1 MiB chunks at a line break followed by a printable
//     ASCII character (a match boundary of the GPT-2 and Llama-3 patterns, so chunking never
//     changes the pieces); threads split each chunk around the special tokens' strings, then
//     into pieces with the pre-tokenizer regex (Hugging Face `Split`, behaviour Isolated), and
//     count pieces per thread; the counts are merged and sorted, so the result does not depend
//     on the thread count.
//  2. Merges. Every piece is a sequence of byte symbols. The trainer repeatedly merges the most
//     frequent adjacent pair (counted over words, weighted by word frequency) into a new token,
//     updating only the words that contain the pair (pair -> count, pair -> words, and a
//     max-heap with lazy invalidation). Ties are broken like Hugging Face's BpeTrainer: the
//     pair with the smallest (left id, right id) wins, where ids number the 256 byte tokens in
//     the byte-level alphabet's code point order and then new tokens in creation order.
//     It stops when the vocabulary is full, no pair is left, or the best pair occurs fewer than
//     `min_frequency` times. A merge whose result string already exists (e.g. "a"+"bc" after
//     "ab"+"c") is recorded but adds no token.
//
// Vocabulary layout: ids 0..255 are the byte tokens in GPT-2's byte-level alphabet order ("!"
// is 0, like GPT-2 and Llama 3), then the learned tokens in the order they were created, then
// the special tokens in the order given (so a full vocabulary puts them at the top ids, like
// Llama 3). `vocab_size` counts all three.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "jenny/base/env.h"
#include "jenny/base/result.h"

namespace jenny::tokenizer {

// The Llama-3 pre-tokenizer pattern.
inline constexpr const char* kLlama3PretokenizerRegex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

struct BpeTrainerConfig {
    std::vector<std::string> input;  // text files (UTF-8) or directories (all files beneath)
    std::string out;                 // directory to write tokenizer.json and tokenizer_config.json
    int64_t vocab_size = 32000;      // byte tokens + learned tokens + special tokens
    int64_t min_frequency = 2;       // stop when the best pair occurs fewer times than this
    std::vector<std::string> special_tokens = {"<|begin_of_text|>", "<|end_of_text|>",
                                               "<|start_header_id|>", "<|end_header_id|>",
                                               "<|eot_id|>"};
    std::string bos_token = "<|begin_of_text|>";  // "" for none; must be a special token
    std::string eos_token = "<|end_of_text|>";    // "" for none; must be a special token
    std::string pad_token;                        // "" for none; must be a special token
    bool add_bos = false;  // the post-processor prepends bos_token (TemplateProcessing)
    std::string pretokenizer_regex = kLlama3PretokenizerRegex;
    int64_t model_max_length = 8192;  // tokenizer_config.json's model_max_length
    int threads = 0;                  // <= 0: base::ThreadPool::default_thread_count()
    int64_t max_input_bytes = 0;      // read at most this many bytes of input; 0: all of it
    // What to do with a line holding invalid UTF-8: "error" stops with the file and offset,
    // "skip" drops the line and counts it in the report.
    std::string invalid_utf8 = "error";
    bool progress = true;  // draw progress bars on stderr

    template <class V>
    void visit(V& v) {
        v.required("input", input, "text files or directories to train on");
        v.required("out", out, "output directory for tokenizer.json and tokenizer_config.json");
        v.field("vocab_size", vocab_size, "total vocabulary size, special tokens included");
        v.field("min_frequency", min_frequency, "minimum count of a pair to merge it");
        v.field("special_tokens", special_tokens, "special tokens, placed at the top ids");
        v.field("bos_token", bos_token, "beginning-of-text token (one of special_tokens)");
        v.field("eos_token", eos_token, "end-of-text token (one of special_tokens)");
        v.field("pad_token", pad_token, "padding token (one of special_tokens), or empty");
        v.field("add_bos", add_bos, "prepend bos_token when encoding");
        v.field("pretokenizer_regex", pretokenizer_regex, "pre-tokenizer split pattern (PCRE2)");
        v.field("model_max_length", model_max_length, "model_max_length in tokenizer_config");
        v.field("threads", threads, "worker threads; 0: all cores or JENNY_THREADS");
        v.field("max_input_bytes", max_input_bytes, "read at most this many bytes; 0: all");
        v.one_of("invalid_utf8", invalid_utf8, {"error", "skip"},
                 "lines with invalid UTF-8: stop with an error, or skip them");
        v.field("progress", progress, "show progress on stderr");
    }
};

// What a training run did.
struct TrainReport {
    std::string tokenizer_json;    // path written
    std::string tokenizer_config;  // path written
    int64_t input_files = 0;
    int64_t input_bytes = 0;    // bytes read (after max_input_bytes)
    int64_t skipped_bytes = 0;  // bytes of lines dropped for invalid UTF-8
    int64_t pieces = 0;         // pre-tokenized pieces counted
    int64_t unique_words = 0;   // distinct pieces
    int64_t vocab_size = 0;     // final size; below the requested one when training ran out
    int64_t merges = 0;         // merge rules written
    int64_t learned_tokens = 0;
    double count_seconds = 0;  // reading and pre-tokenizing
    double merge_seconds = 0;  // learning merges
    double total_seconds = 0;
};

// Checks the config's values without touching files: vocab_size leaves room for the 256 byte
// tokens and the specials, special tokens are distinct and non-empty, bos/eos/pad name
// specials, the regex compiles. Returns kInvalidArgument naming the key on failure.
base::Status validate_bpe_trainer_config(const BpeTrainerConfig& config);

// Trains and writes `<out>/tokenizer.json` and `<out>/tokenizer_config.json` (creating `out`,
// replacing those two files atomically). Errors: kInvalidArgument for a bad config, kNotFound /
// kIoError naming the input path, kCorruption naming file and byte offset for invalid UTF-8
// (when invalid_utf8 is "error"), kInvalidArgument when the input holds no text. The result is
// identical for every thread count. Thread-compatible: uses its own thread pool.
base::Result<TrainReport> train_bpe(const BpeTrainerConfig& config, base::Env* env);

}  // namespace jenny::tokenizer
