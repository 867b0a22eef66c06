// What `jenny tokenize-dataset` does, as a library call: text corpora -> a token dataset
// (token_dataset.h, docs/formats/tokens.md).
//
// Inputs are files or directories (recursed, entries sorted by name):
// - .jsonl / .json: one JSON object per line, the document is its `text_field` string; blank
//   lines are skipped.
// - any other file: plain text; the whole file is one document, or, with a separator, the
//   documents are the runs of lines between lines equal to it ("%" for fortune files).
// A trailing .gz or .zst is decompressed first (data.jsonl.zst is JSONL). Inside
// directories only .jsonl, .json, .txt, .md, .text files (optionally compressed) are taken,
// hidden entries skipped; a file named on the command line is always taken.
//
// Each document becomes [BOS if the tokenizer adds one] + encode(text) + [EOS unless eos is
// false or the tokenizer has none]. Empty documents are skipped and counted. Documents are
// encoded in parallel and written in input order, so the output is byte-identical for any
// thread count.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "jenny/base/env.h"
#include "jenny/base/result.h"
#include "jenny/data/token_dataset.h"

namespace jenny::data {

struct TokenizeDatasetConfig {
    std::string tokenizer;            // model dir, tokenizer.json, .model, .gguf, llama2.c .bin
    std::string output;               // dataset prefix: writes PREFIX.bin/.idx/.meta.json
    std::vector<std::string> inputs;  // files and directories
    std::string text_field = "text";  // JSONL: the field holding the document
    std::string separator;            // plain text: the document separator line ("" = none)
    bool eos = true;                  // append EOS after every document
    bool parse_special = false;  // "<|endoftext|>" in text becomes the control token (not text)
    bool overwrite = false;      // replace an existing dataset at `output`
    int threads = 0;             // encoding threads (0: all cores)
    template <class V>
    void visit(V& v) {
        v.required("tokenizer", tokenizer, "tokenizer path");
        v.required("output", output, "output dataset prefix");
        v.field("inputs", inputs, "input files and directories");
        v.field("text_field", text_field, "JSONL field holding the document text");
        v.field("separator", separator, "plain text: line that separates documents");
        v.field("eos", eos, "append EOS after each document");
        v.field("parse_special", parse_special, "match special-token text in documents");
        v.field("overwrite", overwrite, "replace an existing dataset at the output prefix");
        v.field("threads", threads, "encoding threads (0: all cores)");
    }
};

struct TokenizeDatasetSummary {
    int64_t n_files = 0;
    int64_t n_documents = 0;      // written
    int64_t n_empty_skipped = 0;  // documents with no text
    int64_t n_tokens = 0;
    int64_t n_bytes = 0;  // input bytes read (decompressed)
    double seconds = 0;
    int threads = 1;
    bool bos_added = false, eos_added = false;
    TokenDatasetMeta meta;
    std::vector<std::string> outputs;  // the files written, meta last
};

// Runs the whole job. Progress goes to stderr when show_progress. Errors: kInvalidArgument
// for bad input, naming the file and line (malformed JSON, a missing or non-string text
// field, invalid UTF-8 with its byte offset) or a bad config (no inputs); kNotFound for a
// missing input; kAlreadyExists when a dataset is at `output` and overwrite is false;
// the tokenizer's load error. On any error the partial output files are removed; a run
// killed midway leaves files without PREFIX.meta.json, which TokenDataset::open refuses.
base::Result<TokenizeDatasetSummary> run_tokenize_dataset(const TokenizeDatasetConfig& config,
                                                          base::Env* env = base::Env::Default(),
                                                          bool show_progress = true);

// The summary as printed by the command: documents, tokens, bytes, tokens/s, output files.
std::string format_tokenize_dataset_summary(const TokenizeDatasetSummary& summary);

}  // namespace jenny::data
