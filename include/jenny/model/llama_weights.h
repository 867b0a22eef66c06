// LlamaWeights: the tensors of a LLaMA-family model, named by role. Matmul weights keep the
// dtype they were stored in (f32, f16, bf16 or a GGUF block type) and are views into the
// memory-mapped file when the file's layout allows; norms and biases are always f32 copies.
// Shapes use PyTorch order (out, in).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "jenny/tensor/tensor.h"

namespace jenny::model {

struct LlamaLayerWeights {
    tensor::Tensor attn_norm;   // (C) f32
    tensor::Tensor wq;          // (H*D, C)
    tensor::Tensor wk;          // (Hkv*D, C)
    tensor::Tensor wv;          // (Hkv*D, C)
    tensor::Tensor wqkv;        // InternLM2 packed ((H + 2 Hkv) D, C); then wq/wk/wv are empty
    tensor::Tensor bq, bk, bv;  // Qwen2 biases (H*D), (Hkv*D), (Hkv*D) f32; else empty
    tensor::Tensor wo;          // (C, H*D)
    tensor::Tensor ffn_norm;    // (C) f32
    tensor::Tensor w_gate;      // (F, C)  w1
    tensor::Tensor w_up;        // (F, C)  w3
    tensor::Tensor w_down;      // (C, F)  w2
};

struct LlamaWeights {
    tensor::Tensor tok_embeddings;  // (V, C)
    std::vector<LlamaLayerWeights> layers;
    tensor::Tensor norm;        // (C) f32
    tensor::Tensor output;      // (V, C); the same tensor as tok_embeddings when tied
    tensor::Tensor rope_freqs;  // (D/2) optional: llama.cpp's per-frequency rope divisors
    // Whatever keeps the views alive (mapped files).
    std::vector<std::shared_ptr<const void>> owners;

    // Bytes of every tensor, counted once even when tied.
    size_t bytes() const;
};

}  // namespace jenny::model
