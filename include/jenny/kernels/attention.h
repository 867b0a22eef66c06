// Causal self-attention with grouped-query heads over a paged KV cache. A layer's cache is a
// pool of blocks; block b holds the keys of `block_size` positions at k + b * block_bytes, laid
// out (block_size, Hkv, D) as rows of D elements in `dtype` (f32, f16 or q8_0; for q8_0 D is a
// multiple of 32), and their values likewise at v + b * block_bytes. A sequence's block table
// lists its blocks in position order: position p is in blocks[p / block_size], slot
// p % block_size. Query head h reads kv head h / (H / Hkv). A query token attends to
// positions [begin, end): causal attention gives end = its position + 1 (begin > 0 for a
// sliding window).
//
// Softmax is taken in f32 with the running-max (online) formulation; reference:: keeps every
// score and works in double.
#pragma once

#include <cstddef>
#include <cstdint>

#include "jenny/base/worker_team.h"
#include "jenny/tensor/dtype.h"

namespace jenny::kernels {

struct KvBlocks {
    tensor::DType dtype = tensor::DType::kF16;
    int block_size = 16;              // positions per block
    size_t block_bytes = 0;           // block_size * Hkv * row_bytes(dtype, D)
    const uint8_t* k = nullptr;       // the layer's key block pool
    const uint8_t* v = nullptr;       // the layer's value block pool
    const int32_t* blocks = nullptr;  // the sequence's block table
    int begin = 0;                    // first attended position
    int end = 0;                      // one past the last attended position (>= begin + 1)
};

// out: (N, H*D); q: (N, H*D) already rotated; kv: (N) — one per query token.
void attention_forward(float* out, const float* q, const KvBlocks* kv, int64_t N, int H, int Hkv,
                       int D, float scale, base::WorkerTeam* team);

// ---- Training: causal GQA attention over B contiguous sequences of T tokens ----
// q: (B, T, H, D) already rotated; k, v: (B, T, Hkv, D); out: (B, T, H, D);
// probs: (B, H, T, T) saved softmax rows (entries outside the attended keys are 0), kept for
// backward. Query head h reads kv head h / (H / Hkv). Softmax in f32 (reference:: in double).
// seg_begin: (B, T) or nullptr. Query t of sequence b attends keys [seg_begin[b·T + t], t]
// (0 <= seg_begin <= t): with the start of each packed example there, a window of packed
// examples computes what each example would alone. nullptr: every query starts at key 0.
void causal_attention_forward(float* out, float* probs, const float* q, const float* k,
                              const float* v, const int32_t* seg_begin, int B, int T, int H,
                              int Hkv, int D, float scale, base::WorkerTeam* team);
// dq (B, T, H, D), dk, dv (B, T, Hkv, D): assigned. dout: (B, T, H, D). The segments need no
// argument: they are in probs, whose zeros give zero score gradients (dS = P ∘ (dP − Σ dP P)).
void causal_attention_backward(float* dq, float* dk, float* dv, const float* dout,
                               const float* probs, const float* q, const float* k,
                               const float* v, int B, int T, int H, int Hkv, int D, float scale,
                               base::WorkerTeam* team);

namespace reference {
void attention_forward(float* out, const float* q, const KvBlocks* kv, int64_t N, int H, int Hkv,
                       int D, float scale);
void causal_attention_forward(float* out, float* probs, const float* q, const float* k,
                              const float* v, const int32_t* seg_begin, int B, int T, int H,
                              int Hkv, int D, float scale);
void causal_attention_backward(float* dq, float* dk, float* dv, const float* dout,
                               const float* probs, const float* q, const float* k,
                               const float* v, int B, int T, int H, int Hkv, int D, float scale);
}  // namespace reference

}  // namespace jenny::kernels
