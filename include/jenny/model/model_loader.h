// load_model: a runnable model from whatever a user has — a Hugging Face model directory
// (config.json + safetensors, sharded or not), a GGUF file, or a llama2.c checkpoint (.bin with
// a tokenizer.bin beside it) — together with its tokenizer, chat template and end-of-sequence
// ids.
//
//   JENNY_ASSIGN_OR_RETURN(LoadedModel m, load_model("SmolLM2-135M-Instruct.Q4_1.gguf"));
//   m.model->forward(...); m.tokenizer->encode(...);
//
// Weights stay memory-mapped where the file layout allows (GGUF, safetensors, llama2.c f32);
// nothing is converted that the kernels can read in place. Errors name the file and what is
// wrong: unsupported architecture or dtype, missing or mis-shaped tensors, bad metadata.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "jenny/base/env.h"
#include "jenny/base/result.h"
#include "jenny/model/llama_model.h"
#include "jenny/tokenizer/tokenizer.h"

namespace jenny::model {

struct LoadOptions {
    int n_threads = 0;           // <= 0: default thread count
    std::string tokenizer_path;  // overrides the tokenizer found beside the model
    bool load_tokenizer = true;  // false: weights only (LoadedModel::tokenizer stays null)
    // Widen every weight to f32 at load (an fp32 reference run of a quantised file, as
    // transformers does with gguf_file=); costs 4 bytes per parameter.
    bool dequantize = false;
};

struct LoadedModel {
    std::string path;
    std::string format;  // "gguf", "hf", "llama2c"
    std::unique_ptr<LlamaModel> model;
    std::unique_ptr<tokenizer::Tokenizer> tokenizer;  // null when !LoadOptions::load_tokenizer
    std::optional<std::string> chat_template;         // Jinja source, when the model ships one
    std::vector<int32_t> eos_ids;                     // generation stops at any of these
    std::optional<int32_t> bos_id;
    bool add_bos = false;  // prompts start with BOS
    // Bytes per weight dtype ("q4_1" -> bytes), for reports.
    std::vector<std::pair<std::string, size_t>> bytes_by_dtype;
};

base::Result<LoadedModel> load_model(const std::string& path, const LoadOptions& options = {},
                                     base::Env* env = base::Env::Default());

}  // namespace jenny::model
