// LoRA training state of a TrainModel (internal to src/train; the math is in
// train_model_lora.cpp, the public options in include/jenny/train/lora.h).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "jenny/base/env.h"
#include "jenny/base/status.h"
#include "jenny/model/lora_adapter.h"
#include "jenny/tensor/tensor.h"
#include "jenny/train/lora.h"
#include "jenny/train/train_model.h"

namespace jenny::train {

struct TrainLora {
    LoraOptions opt;
    float scale = 0;
    uint64_t seed = 0;  // dropout key: (seed, step, micro, layer, target, element)
    int64_t step = 0;
    int micro = 0;
    bool dropping = false;        // inside forward_backward with dropout > 0
    std::vector<ParamInfo> info;  // the adapters, PEFT names
    std::vector<float> params, grads;
    std::vector<std::array<int, model::kLoraTargets>> slot;  // [layer][target]: A's info index
    std::vector<tensor::Tensor> frozen;  // [base info index]: quantised weight, or undefined
    // Saved per (layer, target) for backward: us = scale · dropout(x) Aᵀ, (N, r).
    std::vector<float> saved;
    int64_t saved_n = 0;
    std::vector<float> xd, tmp, du;  // scratch: (N, in), (N, max(in, out)), (N, r)
};

// Options a config can take (targets known, base_dtype f32 / q8_0 / q4_0 with rows that fit
// its blocks, dropout in [0, 1)); kInvalidArgument naming the key.
base::Status validate_lora(const model::LlamaConfig& c, const LoraOptions& o);
// tm's adapters as a PEFT adapter directory (adapter_config.json with base_model_name_or_path
// = model.init_from, adapter_model.safetensors).
struct TrainConfig;
base::Status save_lora_adapter_dir(const TrainModel& tm, const TrainConfig& config,
                                   const std::string& dir, base::Env* env);
// The frozen quantised base weight of info index idx.
tensor::Tensor frozen_weight(const TrainLora& lora, int idx);

}  // namespace jenny::train
