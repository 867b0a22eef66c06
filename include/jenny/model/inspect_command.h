// What `jenny inspect PATH` does, as a library call: describe a model file or directory — its
// format, architecture and config, tokenizer, chat template, every tensor the file holds
// (name, dtype, shape, bytes), bytes per dtype, the parameter count and the KV-cache bytes
// one position takes — as text or as one JSON object.
//
//   InspectConfig c; c.model = "SmolLM2-135M-Instruct.Q4_1.gguf"; c.json = true;
//   JENNY_RETURN_IF_ERROR(run_inspect(c, stdout));
//
// The tensor table is the file's own list (GgufFile, HfDirectory or Llama2cFile), in file
// order, with shapes outermost dimension first (PyTorch order; a GGUF's ne reversed).
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "jenny/base/env.h"
#include "jenny/base/result.h"

namespace jenny::model {

struct InspectConfig {
    std::string model;    // HF directory, .gguf, or llama2.c .bin
    bool json = false;    // one JSON object instead of text
    bool tensors = true;  // list every tensor

    template <class V>
    void visit(V& v) {
        v.required("model", model, "model: HF directory, .gguf or llama2.c .bin");
        v.field("json", json, "print one JSON object instead of text");
        v.field("tensors", tensors, "list every tensor");
    }
};

struct InspectTensor {
    std::string name;
    std::string dtype;           // as the file names it: "Q4_1", "F16", "BF16", "f32"
    std::vector<int64_t> shape;  // outermost first
    uint64_t n_elements = 0;
    uint64_t bytes = 0;
};

struct InspectReport {
    std::string path;
    std::string format;         // "gguf", "hf", "llama2c"
    std::string format_detail;  // "GGUF v3, 25 metadata keys", "safetensors, 2 shards", ...
    uint64_t file_bytes = 0;    // the file, or every file of the directory
    std::vector<InspectTensor> tensors;
    std::vector<std::pair<std::string, uint64_t>> bytes_by_dtype;  // sorted by dtype name
    uint64_t n_params = 0;  // elements of every tensor the file holds
    // From the loaded model; empty (and load_error set) when the file does not load.
    std::string architecture;
    std::string config_summary;
    int vocab_size = 0, n_layers = 0, dim = 0, hidden_dim = 0, n_heads = 0, n_kv_heads = 0,
        head_dim = 0, max_seq_len = 0;
    double rope_theta = 0;
    bool tie_embeddings = false;
    std::string tokenizer_type;
    int tokenizer_vocab = 0;
    std::optional<int32_t> bos_id;
    std::vector<int32_t> eos_ids;
    bool add_bos = false;
    bool has_chat_template = false;
    // KV-cache bytes per position for "f16", "f32", "q8_0" (absent when the head dim does
    // not fit the type, e.g. q8_0 needs D % 32 == 0).
    std::vector<std::pair<std::string, uint64_t>> kv_bytes_per_token;
    std::string load_error;
};

// Reads the file's tensor list and loads the model (weights mapped, one thread) for the rest.
// Errors: kNotFound for a missing path; the checkpoint layer's errors for a file that does not
// parse; kInvalidArgument for a path that is no model format. A file that parses but does not
// load as a model (unsupported architecture or dtype) is not an error here: the report holds
// its tensors and load_error.
base::Result<InspectReport> inspect_model(const std::string& path,
                                          base::Env* env = base::Env::Default());

// The report as text (a summary, then the tensor table when `tensors`) or as one JSON object.
std::string format_inspect_text(const InspectReport& report, bool tensors);
std::string format_inspect_json(const InspectReport& report, bool tensors);

// Prints the report to `out`. Errors: those of inspect_model; a report with a load_error is
// printed and then returned as kInvalidArgument (so the command exits non-zero).
base::Status run_inspect(const InspectConfig& config, std::FILE* out,
                         base::Env* env = base::Env::Default());

}  // namespace jenny::model
