#include "jenny/kernels/softmax.h"

#include <cmath>

#include "kernels/cpu/simd.h"

namespace jenny::kernels {

namespace {

float row_max(const float* x, int64_t V) {
    int64_t v = 0;
    float m = -INFINITY;
#if defined(JENNY_KERNELS_AVX2)
    if (V >= 8) {
        __m256 vm = _mm256_loadu_ps(x);
        for (v = 8; v + 8 <= V; v += 8) vm = _mm256_max_ps(vm, _mm256_loadu_ps(x + v));
        m = cpu::hmax(vm);
    }
#endif
    for (; v < V; ++v) m = x[v] > m ? x[v] : m;
    return m;
}

// out[v] = exp(x[v] - max) (when out != nullptr); returns their sum.
float exp_sum(float* out, const float* x, int64_t V, float max) {
    int64_t v = 0;
    float sum = 0.0f;
#if defined(JENNY_KERNELS_AVX2)
    const __m256 vmax = _mm256_set1_ps(max);
    __m256 acc = _mm256_setzero_ps();
    for (; v + 8 <= V; v += 8) {
        const __m256 e = cpu::exp_ps(_mm256_sub_ps(_mm256_loadu_ps(x + v), vmax));
        if (out) _mm256_storeu_ps(out + v, e);
        acc = _mm256_add_ps(acc, e);
    }
    sum = cpu::hsum(acc);
#endif
    // The scalar fallback (and the < 8 tail) sums in double: one long f32 chain over a 49152
    // vocabulary would lose ~1e-5 relative.
    double tail = 0.0;
    for (; v < V; ++v) {
        const float e = std::exp(x[v] - max);
        if (out) out[v] = e;
        tail += e;
    }
    return sum + static_cast<float>(tail);
}

}  // namespace

void softmax_forward(float* out, const float* x, int64_t N, int64_t V) {
    for (int64_t n = 0; n < N; ++n) {
        const float* xn = x + n * V;  // (V)
        float* on = out + n * V;      // (V)
        const float inv = 1.0f / exp_sum(on, xn, V, row_max(xn, V));
        for (int64_t v = 0; v < V; ++v) on[v] *= inv;
    }
}

void log_softmax_forward(float* out, const float* x, int64_t N, int64_t V) {
    for (int64_t n = 0; n < N; ++n) {
        const float* xn = x + n * V;
        float* on = out + n * V;
        const float max = row_max(xn, V);
        const float log_sum = std::log(exp_sum(nullptr, xn, V, max));
        // (x - max) first: exact for x near max, where the precision matters.
        for (int64_t v = 0; v < V; ++v) on[v] = (xn[v] - max) - log_sum;
    }
}

}  // namespace jenny::kernels
