// The per-format halves of load_model (model_loader.cpp dispatches by what the path is).
#pragma once

#include <string>

#include "jenny/base/env.h"
#include "jenny/base/result.h"
#include "jenny/model/model_loader.h"

namespace jenny::model {

// Fills path, format, model (via LlamaModel::create), tokenizer, template, eos/bos.
base::Result<LoadedModel> load_gguf_model(const std::string& path, const LoadOptions& options,
                                          base::Env* env);
base::Result<LoadedModel> load_hf_model(const std::string& dir, const LoadOptions& options,
                                        base::Env* env);
base::Result<LoadedModel> load_llama2c_model(const std::string& path, const LoadOptions& options,
                                             base::Env* env);

}  // namespace jenny::model
