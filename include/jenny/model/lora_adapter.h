// LoraAdapter: a LoRA adapter for a LLaMA-family model in PEFT's layout (docs/formats/
// lora_adapter.md) — per adapted projection W (out, in) of a layer, A (r, in) and B (out, r)
// so that y = W x + scale · B A x with scale = lora_alpha / r (lora_alpha / √r with rsLoRA).
//
//   JENNY_ASSIGN_OR_RETURN(LoraAdapter a, load_lora_adapter("runs/sft/adapter", base_config));
//   JENNY_RETURN_IF_ERROR(model.set_lora(std::make_shared<LoraAdapter>(std::move(a))));
//   JENNY_RETURN_IF_ERROR(merge_lora(&weights, adapter, config));     // W' = W + scale · B A
//
// A directory holds adapter_config.json (peft_type LORA) and adapter_model.safetensors with
// PEFT's names: base_model.model.model.layers.{i}.self_attn.q_proj.lora_A.weight (r, in),
// ...lora_B.weight (out, r); target modules q_proj k_proj v_proj o_proj gate_proj up_proj
// down_proj. A and B are held in f32 in Hugging Face's q/k row order (rotate_half RoPE).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "jenny/base/env.h"
#include "jenny/base/result.h"
#include "jenny/base/worker_team.h"
#include "jenny/model/llama_config.h"
#include "jenny/model/llama_weights.h"
#include "jenny/tensor/tensor.h"

namespace jenny::model {

// The adaptable projections of a layer, in PEFT's module names.
enum LoraTarget : int { kLoraQ, kLoraK, kLoraV, kLoraO, kLoraGate, kLoraUp, kLoraDown };
constexpr int kLoraTargets = 7;
// "q_proj" ... "down_proj".
const char* lora_target_name(int target);
// "q_proj" or its short form "q" (also "gate", "up", "down", "o", ...); nullopt if unknown.
std::optional<int> lora_target_from_name(std::string_view name);
// "base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight" (PEFT's saved name).
std::string lora_tensor_name(int layer, int target, bool a);
// (out, in) of the projection in a model of config c.
std::pair<int64_t, int64_t> lora_target_shape(const LlamaConfig& c, int target);
// The projection's weight in w (wq ... w_down).
tensor::Tensor& lora_target_weight(LlamaLayerWeights& w, int target);
const tensor::Tensor& lora_target_weight(const LlamaLayerWeights& w, int target);

struct LoraAdapterConfig {
    int rank = 0;
    double alpha = 16;
    double dropout = 0;
    bool use_rslora = false;
    std::vector<int> targets;  // LoraTarget values, in q k v o gate up down order
    std::string base_model;    // base_model_name_or_path (informational)
    float scale() const;       // alpha / rank, or alpha / sqrt(rank) with rsLoRA
};

struct LoraAdapter {
    LoraAdapterConfig config;
    // [layer][target]: A (r, in) and B (out, r), f32; undefined where the projection is not
    // adapted (a target left out, or PEFT's layers_to_transform).
    std::vector<std::array<tensor::Tensor, kLoraTargets>> a, b;
};

// Reads dir/adapter_config.json and dir/adapter_model.safetensors (f32, f16 or bf16 tensors,
// widened to f32) and checks them against `base`: every tensor's shape, the rank, the
// targets. Errors (kInvalidArgument unless said): a missing file (kNotFound), peft_type other
// than LORA, DoRA / rank_pattern / alpha_pattern / bias other than "none", an unknown target
// module, a tensor for a layer the base does not have, a shape that does not match (the
// adapter was made for another model), a rank different from r.
base::Result<LoraAdapter> load_lora_adapter(const std::string& dir, const LlamaConfig& base,
                                            base::Env* env = base::Env::Default());

// Writes adapter_config.json and adapter_model.safetensors (f32) into dir (created).
base::Status save_lora_adapter(const std::string& dir, const LoraAdapter& adapter,
                               base::Env* env = base::Env::Default());

// The adapter's shapes against a model config (what load_lora_adapter checks).
base::Status check_lora_adapter(const LoraAdapter& adapter, const LlamaConfig& base);

// The adapter for a model whose q/k rows are in `style`'s RoPE order (GGUF "llama" files keep
// the interleaved order): B's q and k rows re-ordered from Hugging Face's. A copy.
LoraAdapter lora_for_rope_style(const LoraAdapter& adapter, const LlamaConfig& base);

// W' = W + scale · B A for every adapted projection, in f32; each adapted weight of *w is
// replaced by an f32 tensor (others are untouched). w must match base.
base::Status merge_lora(LlamaWeights* w, const LoraAdapter& adapter, const LlamaConfig& base);

// The low-rank side path at run time: y (N, out) += scale · (x (N, in) · Aᵀ) · Bᵀ. scratch
// holds N · (r + out) floats.
void lora_apply(float* y, const float* x, const tensor::Tensor& A, const tensor::Tensor& B,
                float scale, int64_t N, float* scratch, base::WorkerTeam* team);

}  // namespace jenny::model
