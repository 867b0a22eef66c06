// Row re-orderings the format converters need (internal to src/model): RoPE pair order of
// q/k projections (llama.cpp's permute and its inverse), InternLM2's packed wqkv split and
// packed, the llama3 rope-scaling factors llama.cpp stores as rope_freqs.weight, and the
// target-dtype conversion with its block-size fallback. All functions work row by row on any
// dtype (quantised rows are moved, never re-quantised) and return new tensors; inputs are
// not modified.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "jenny/kernels/rope.h"
#include "jenny/tensor/tensor.h"

namespace jenny::model {

// w: (n_heads * D, C) or a bias (n_heads * D). Rows of each head re-ordered from one RoPE
// pairing to the other. kHalf -> kInterleaved is convert_hf_to_gguf.py's permute
// (w.reshape(H, 2, D/2, C).swapaxes(1, 2)): row h*D + 2i + s takes row h*D + s*D/2 + i.
// Returns w itself when from == to.
tensor::Tensor permute_rope_rows(const tensor::Tensor& w, int n_heads, int head_dim,
                                 kernels::RopeStyle from, kernels::RopeStyle to);

// InternLM2's wqkv ((H + 2 Hkv) D, C), grouped per kv head [q x H/Hkv, k, v], split into
// wq (H D, C), wk (Hkv D, C), wv (Hkv D, C); and the inverse (all three of one dtype).
struct QkvSplit {
    tensor::Tensor wq, wk, wv;
};
QkvSplit split_wqkv(const tensor::Tensor& wqkv, int n_heads, int n_kv_heads, int head_dim);
tensor::Tensor pack_wqkv(const tensor::Tensor& wq, const tensor::Tensor& wk,
                         const tensor::Tensor& wv, int n_heads, int n_kv_heads, int head_dim);

// llama.cpp's rope_freqs.weight for rope_type llama3 (convert_hf_to_gguf.py, LlamaModel):
// per-frequency divisors, (D/2).
std::vector<float> llama3_rope_factors(int head_dim, double theta,
                                       const kernels::RopeScaling& scaling);
// The llama3 scaling whose factors equal `factors` (within 1e-5 relative), trying Llama 3.x's
// published parameters; nullopt when none matches. All ones gives Kind::kNone.
std::optional<kernels::RopeScaling> llama3_scaling_from_factors(const std::vector<float>& factors,
                                                                int head_dim, double theta);

// `t` in dtype `want` (t itself when it already is). When a row is not a whole number of
// `want`'s blocks the tensor is converted to `fallback` instead, and *note (if given) says so.
tensor::Tensor to_dtype(const tensor::Tensor& t, tensor::DType want, tensor::DType fallback,
                        const std::string& name, std::vector<std::string>* notes);

}  // namespace jenny::model
