// Causal self-attention with grouped-query heads over a paged KV cache. Each query token
// names the cache it reads: a list of blocks of `block_size` positions, each block holding
// keys (block_size, Hkv, D) and values (block_size, Hkv, D) as rows of D elements in `dtype`
// (f32, f16 or q8_0; for q8_0 D is a multiple of 32). Query head h reads kv head
// h / (H / Hkv). The token attends to positions [begin, end): causal attention over a
// sequence gives end = its position + 1 (begin > 0 for a sliding window).
//
// Softmax is taken in f32 with the running-max (online) formulation; reference:: keeps every
// score and works in double.
#pragma once

#include <cstdint>

#include "jenny/base/worker_team.h"
#include "jenny/tensor/dtype.h"

namespace jenny::kernels {

struct KvBlocks {
    tensor::DType dtype = tensor::DType::kF16;
    int block_size = 16;           // positions per block
    const void* const* k = nullptr;  // k[b]: keys of positions [b*block_size, (b+1)*block_size)
    const void* const* v = nullptr;  // v[b]: the values of the same positions
    int begin = 0;                 // first attended position
    int end = 0;                   // one past the last attended position (>= begin + 1)
};

// out: (N, H*D); q: (N, H*D) already rotated; kv: (N) — one per query token.
void attention_forward(float* out, const float* q, const KvBlocks* kv, int64_t N, int H, int Hkv,
                       int D, float scale, base::WorkerTeam* team);

namespace reference {
void attention_forward(float* out, const float* q, const KvBlocks* kv, int64_t N, int H, int Hkv,
                       int D, float scale);
}  // namespace reference

}  // namespace jenny::kernels
