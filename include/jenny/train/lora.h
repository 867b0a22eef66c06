// LoRA / QLoRA training options: what TrainModel needs to train low-rank adapters on a
// frozen base (train_config.h's `lora:` section resolved; docs/train.md).
//
//   TrainModelOptions mo;
//   mo.lora = {.rank = 8, .alpha = 16, .targets = {model::kLoraQ, model::kLoraV},
//              .base_dtype = tensor::DType::kQ8_0};
//   auto tm = TrainModel::create(config, mo);   // then load_weights(base), init_lora(seed)
//
// With rank > 0 the base weights are frozen (no gradients, no AdamW state) and TrainModel's
// params() / grads() / params_info() are the adapters only, in PEFT's names and order:
// per layer, per target (q k v o gate up down), lora_A (r, in) then lora_B (out, r).
// y = W x + (alpha / r) · B A dropout(x); A starts kaiming-uniform (a = √5, PEFT's init), B at
// zero. base_dtype other than f32 holds the layer projections quantised (QLoRA-style: forward
// through the quantised matmul kernels, dx through dequantised row tiles); embeddings, norms
// and the LM head stay f32.
#pragma once

#include <vector>

#include "jenny/model/lora_adapter.h"
#include "jenny/tensor/dtype.h"

namespace jenny::train {

struct LoraOptions {
    int rank = 0;  // 0: off (full fine-tuning)
    double alpha = 16;
    double dropout = 0;        // on the adapter's input, training forward only
    std::vector<int> targets;  // model::LoraTarget values
    tensor::DType base_dtype = tensor::DType::kF32;  // f32, q8_0 or q4_0
    bool enabled() const { return rank > 0; }
    float scale() const { return rank > 0 ? static_cast<float>(alpha / rank) : 0.0f; }
};

struct LoraSection;
// The `lora:` config section resolved (target names to model::LoraTarget, sorted; base_dtype).
LoraOptions lora_options(const LoraSection& section);

}  // namespace jenny::train
