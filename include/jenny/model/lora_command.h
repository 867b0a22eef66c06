// What `jenny lora merge` and `jenny lora logits` do, as library calls (src/cli/lora.cpp is
// thin). docs/formats/lora_adapter.md.
//
//   jenny lora merge BASE ADAPTER OUT [--dtype f32|f16|bf16]
//       W' = W + scale · B A in f32 for every adapted projection, then OUT is written as a
//       Hugging Face directory in dtype (default f32), tokenizer and generation config copied.
//   jenny lora logits --model BASE [--lora ADAPTER] --tokens "1 2 3" --output FILE
//       every position's logits (n, V) as raw little-endian f32 (tests, interop checks).
#pragma once

#include <cstdio>
#include <string>

#include "jenny/base/env.h"
#include "jenny/base/result.h"
#include "jenny/model/model_loader.h"

namespace jenny::model {

// Loads dir as an adapter for m and attaches it to m.model (run-time side path). Errors as
// load_lora_adapter.
base::Status attach_lora(LoadedModel& m, const std::string& dir, base::Env* env);

// Errors: loading (kNotFound for missing files), the adapter does not fit the base
// (kInvalidArgument), dtype not f32 / f16 / bf16 (kInvalidArgument), writing.
base::Status run_lora_merge(const std::string& base, const std::string& adapter,
                            const std::string& out, const std::string& dtype, std::FILE* log,
                            base::Env* env = base::Env::Default());

base::Status run_lora_logits(const std::string& base, const std::string& adapter,
                             const std::vector<int32_t>& tokens, const std::string& output,
                             int threads, base::Env* env = base::Env::Default());

}  // namespace jenny::model
