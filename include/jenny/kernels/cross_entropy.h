// Fused LM head + cross-entropy (training and evaluation): logits = x · wᵀ, then
// -log softmax(logits)[target] per token, without ever holding the whole (N, V) logits:
// tokens are processed chunk_tokens at a time, so the scratch is chunk_tokens × V floats
// (plus per-thread slices), whatever N is.
//
// targets[n] < 0 means "no target here" (masked out: prompt tokens in SFT, padding); such a
// token adds nothing to the loss or the gradients.
//
// Backward is fused into the same pass (softmax − one-hot is formed chunk by chunk):
//   dx (N, C) = grad_scale · (p − onehot) · w      (assigned; rows without target get 0)
//   dw (V, C) += grad_scale · (p − onehot)ᵀ · x    (parameter gradient: added)
// Pass dx == dw == nullptr for the loss only (evaluation). Callers average over the real
// number of targets in the global batch by passing grad_scale = 1 / n_targets.
#pragma once

#include <cstdint>

#include "jenny/base/worker_team.h"

namespace jenny::kernels {

struct CrossEntropyStats {
    double loss_sum = 0;    // Σ over tokens with a target of -log p(target)
    int64_t n_targets = 0;  // tokens with targets[n] >= 0
};

// x: (N, C) f32; w: (V, C) f32; targets: (N), each < V. chunk_tokens >= 1.
CrossEntropyStats lm_head_cross_entropy(float* dx, float* dw, const float* x, const float* w,
                                        const int32_t* targets, int64_t N, int64_t C, int64_t V,
                                        float grad_scale, int64_t chunk_tokens,
                                        base::WorkerTeam* team);

// Bytes of scratch lm_head_cross_entropy holds for a call with these sizes (an upper bound when
// N < chunk_tokens): the calling thread's logits buffer of chunk_tokens × V floats plus the
// per-row losses, grown on demand and kept for that thread's later calls; team members use
// none. n_threads is accepted for callers that size memory per team; the result does not
// depend on it. Calls on different threads are independent (each has its own scratch).
int64_t lm_head_cross_entropy_scratch_bytes(int64_t chunk_tokens, int64_t V, int n_threads);

namespace reference {
// Materialises the logits of every token (the oracle; fine for test sizes).
CrossEntropyStats lm_head_cross_entropy(float* dx, float* dw, const float* x, const float* w,
                                        const int32_t* targets, int64_t N, int64_t C, int64_t V,
                                        float grad_scale);
}  // namespace reference

}  // namespace jenny::kernels
