// LlamaConfig: the hyper-parameters of one LLaMA-family transformer. Llama 2/3, Mistral,
// Qwen2, InternLM2 and TinyLlama are one architecture with switches (GQA, RoPE theta and
// scaling, qkv bias, packed wqkv, tied embeddings, RMS eps, sliding window); this struct holds
// them, whatever file they came from (HF config.json, GGUF metadata, a llama2.c header).
//
// Dimension letters used across src/model: B batch, T time, C channels (dim), F ffn hidden,
// H query heads, K kv heads (Hkv), D head dim, V vocab, L layers, N tokens in a batch.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "jenny/base/result.h"
#include "jenny/kernels/rope.h"

namespace jenny::model {

struct LlamaConfig {
    std::string arch = "llama";  // "llama", "mistral", "qwen2", "internlm2"
    int vocab_size = 0;          // V
    int dim = 0;                 // C (hidden_size)
    int hidden_dim = 0;          // F (intermediate_size)
    int n_layers = 0;            // L
    int n_heads = 0;             // H
    int n_kv_heads = 0;          // Hkv
    int head_dim = 0;            // D (usually C / H)
    float rms_eps = 1e-5f;
    double rope_theta = 10000.0;
    kernels::RopeScaling rope_scaling;
    kernels::RopeStyle rope_style = kernels::RopeStyle::kHalf;
    int max_seq_len = 2048;       // the context the model was trained for
    int sliding_window = 0;       // 0: full causal attention
    bool tie_embeddings = false;  // lm head = token embeddings
    bool qkv_bias = false;        // Qwen2
    bool packed_wqkv = false;     // InternLM2: one (H + 2 Hkv) D x C weight, grouped per kv head

    int q_dim() const { return n_heads * head_dim; }
    int kv_dim() const { return n_kv_heads * head_dim; }
    // Checks the numbers fit together (positive, heads divisible, ...); errors name the field.
    base::Status validate() const;
    // "llama: L=30 C=576 F=1536 H=9 Hkv=3 D=64 V=49152 ctx=8192 theta=100000 ..."
    std::string summary() const;
};

// From a Hugging Face config.json (text): architectures / model_type llama, mistral, qwen2,
// internlm2; rope_scaling or transformers-5 rope_parameters (default, linear, llama3).
// Anything else that changes the math (e.g. rope_type yarn, attention bias on o_proj,
// mlp_bias) is kUnsupported naming the key.
base::Result<LlamaConfig> config_from_hf_json(std::string_view json, std::string_view origin);
// The config.json text transformers writes for this config (LlamaForCausalLM, Qwen2ForCausalLM,
// MistralForCausalLM; InternLM2 as its remote-code model names it). bos/eos from the caller.
std::string config_to_hf_json(const LlamaConfig& config, int32_t bos_id, int32_t eos_id);

}  // namespace jenny::model
