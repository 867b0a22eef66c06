// Fused LM head + cross-entropy, chunk_tokens rows at a time. Per chunk (R rows):
//   region 1, rows split over the team: logits (R, V) = x_chunk · wᵀ (sgemm), each row turned
//     into grad_scale · (softmax − onehot) in place, then dx rows = dlogits · w (sgemm);
//   region 2, vocabulary rows split over the team: dw (V, C) += dlogitsᵀ · x_chunk (sgemm).
// Per-row losses go to scratch and are summed in row order on the calling thread, so the loss
// does not depend on the team size.
#include "jenny/kernels/cross_entropy.h"

#include <algorithm>
#include <cmath>

#include "jenny/base/check.h"
#include "kernels/cpu/blas.h"
#include "kernels/cpu/simd.h"

namespace jenny::kernels {

namespace {

struct CrossEntropyScratch {};  // thread_scratch tag

size_t align64(size_t n) { return (n + 63) & ~size_t{63}; }

size_t logits_bytes(int64_t rows, int64_t V) {
    return align64(static_cast<size_t>(rows * V) * sizeof(float));
}

float row_max(const float* row, int64_t V) {
    int64_t v = 0;
    float m = -INFINITY;
#if defined(JENNY_KERNELS_AVX2)
    __m256 vm = _mm256_set1_ps(-INFINITY);
    for (; v + 8 <= V; v += 8) vm = _mm256_max_ps(vm, _mm256_loadu_ps(row + v));
    m = cpu::hmax(vm);
#endif
    for (; v < V; ++v) m = std::max(m, row[v]);
    return m;
}

// Σ exp(row - max); with `store`, row[v] = exp(row[v] - max) as well.
float exp_sum(float* row, int64_t V, float max, bool store) {
    int64_t v = 0;
    float sum = 0.0f;
#if defined(JENNY_KERNELS_AVX2)
    const __m256 vmax = _mm256_set1_ps(max);
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    for (; v + 16 <= V; v += 16) {
        const __m256 e0 = cpu::exp_ps(_mm256_sub_ps(_mm256_loadu_ps(row + v), vmax));
        const __m256 e1 = cpu::exp_ps(_mm256_sub_ps(_mm256_loadu_ps(row + v + 8), vmax));
        if (store) {
            _mm256_storeu_ps(row + v, e0);
            _mm256_storeu_ps(row + v + 8, e1);
        }
        a0 = _mm256_add_ps(a0, e0);
        a1 = _mm256_add_ps(a1, e1);
    }
    sum = cpu::hsum(_mm256_add_ps(a0, a1));
#endif
    for (; v < V; ++v) {
        const float e = std::exp(row[v] - max);
        if (store) row[v] = e;
        sum += e;
    }
    return sum;
}

void scale_row(float* row, int64_t V, float s) {
    int64_t v = 0;
#if defined(JENNY_KERNELS_AVX2)
    const __m256 vs = _mm256_set1_ps(s);
    for (; v + 8 <= V; v += 8)
        _mm256_storeu_ps(row + v, _mm256_mul_ps(_mm256_loadu_ps(row + v), vs));
#endif
    for (; v < V; ++v) row[v] *= s;
}

// -log softmax(row)[target]; with `grad`, row becomes grad_scale · (softmax − onehot). Rows
// without a target return 0 and (with `grad`) become zeros.
double row_loss(float* row, int64_t V, int32_t target, float grad_scale, bool grad) {
    if (target < 0) {
        if (grad) std::fill(row, row + V, 0.0f);
        return 0.0;
    }
    JENNY_CHECK(target < V, "cross-entropy: target {} outside [0, {})", target, V);
    const float logit = row[target];
    const float max = row_max(row, V);
    const float sum = exp_sum(row, V, max, grad);
    if (grad) {
        scale_row(row, V, grad_scale / sum);
        row[target] -= grad_scale;
    }
    return std::log(static_cast<double>(sum)) + static_cast<double>(max) - logit;
}

}  // namespace

int64_t lm_head_cross_entropy_scratch_bytes(int64_t chunk_tokens, int64_t V, int /*n_threads*/) {
    return static_cast<int64_t>(logits_bytes(chunk_tokens, V) +
                                align64(static_cast<size_t>(chunk_tokens) * sizeof(double)));
}

CrossEntropyStats lm_head_cross_entropy(float* dx, float* dw, const float* x, const float* w,
                                        const int32_t* targets, int64_t N, int64_t C, int64_t V,
                                        float grad_scale, int64_t chunk_tokens,
                                        base::WorkerTeam* team) {
    JENNY_CHECK(chunk_tokens >= 1, "cross-entropy: chunk_tokens {} must be >= 1", chunk_tokens);
    JENNY_CHECK(V >= 1 && C >= 0, "cross-entropy: V={} C={}", V, C);
    CrossEntropyStats stats;
    if (N <= 0) return stats;
    const int64_t chunk = std::min(chunk_tokens, N);
    float* logits = cpu::thread_scratch<CrossEntropyScratch>(
        static_cast<size_t>(lm_head_cross_entropy_scratch_bytes(chunk, V, 1)));  // (chunk, V)
    double* losses = reinterpret_cast<double*>(reinterpret_cast<uint8_t*>(logits) +
                                               logits_bytes(chunk, V));  // (chunk)
    const bool grad = dx || dw;
    // Below ~64k multiply-adds per chunk, waking the team costs more than it saves.
    if (chunk * V * std::max<int64_t>(C, 1) < (1 << 16)) team = nullptr;
    cpu::blas_single_thread();
    for (int64_t c0 = 0; c0 < N; c0 += chunk) {
        const int64_t R = std::min(chunk, N - c0);
        const float* xc = x + c0 * C;  // (R, C)
        cpu::split_range(team, R, 1, [&](int64_t r0, int64_t r1) {
            float* lr = logits + r0 * V;  // (r1 - r0, V)
            cpu::sgemm(false, true, r1 - r0, V, C, 1.0f, xc + r0 * C, C, w, C, 0.0f, lr, V);
            for (int64_t r = r0; r < r1; ++r) {
                losses[r] = row_loss(logits + r * V, V, targets[c0 + r], grad_scale, grad);
            }
            if (dx) {
                cpu::sgemm(false, false, r1 - r0, C, V, 1.0f, lr, V, w, C, 0.0f, dx + (c0 + r0) * C,
                           C);
            }
        });
        if (dw) {
            cpu::split_range(team, V, 16, [&](int64_t v0, int64_t v1) {
                // dw[v0:v1] (v1 - v0, C) += dlogits[:, v0:v1]ᵀ · x_chunk
                cpu::sgemm(true, false, v1 - v0, C, R, 1.0f, logits + v0, V, xc, C, 1.0f,
                           dw + v0 * C, C);
            });
        }
        for (int64_t r = 0; r < R; ++r) {
            if (targets[c0 + r] < 0) continue;
            stats.loss_sum += losses[r];
            ++stats.n_targets;
        }
    }
    return stats;
}

}  // namespace jenny::kernels
