#include "jenny/kernels/activation.h"

#include <cmath>
#include <cstring>

#include "kernels/cpu/simd.h"

namespace jenny::kernels {

void swiglu_forward(float* out, const float* gate, const float* up, int64_t n) {
    int64_t i = 0;
#if defined(JENNY_KERNELS_AVX2)
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 neg = _mm256_set1_ps(-0.0f);
    for (; i + 8 <= n; i += 8) {
        const __m256 g = _mm256_loadu_ps(gate + i);
        const __m256 e = cpu::exp_ps(_mm256_xor_ps(g, neg));
        const __m256 silu = _mm256_div_ps(g, _mm256_add_ps(one, e));
        _mm256_storeu_ps(out + i, _mm256_mul_ps(silu, _mm256_loadu_ps(up + i)));
    }
#endif
    for (; i < n; ++i) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

void add_forward(float* out, const float* a, const float* b, int64_t n) {
    int64_t i = 0;
#if defined(JENNY_KERNELS_AVX2)
    for (; i + 8 <= n; i += 8) {
        _mm256_storeu_ps(out + i, _mm256_add_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
    }
#endif
    for (; i < n; ++i) out[i] = a[i] + b[i];
}

// s = sigmoid(g): silu(g) = g s, silu'(g) = s (1 + g (1 − s)). gate / up are read before
// dgate / dup are written at each index, so the documented aliasing is safe.
void swiglu_backward(float* dgate, float* dup, const float* dout, const float* gate,
                     const float* up, int64_t n) {
    int64_t i = 0;
#if defined(JENNY_KERNELS_AVX2)
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 neg = _mm256_set1_ps(-0.0f);
    for (; i + 8 <= n; i += 8) {
        const __m256 g = _mm256_loadu_ps(gate + i);
        const __m256 u = _mm256_loadu_ps(up + i);
        const __m256 d = _mm256_loadu_ps(dout + i);
        const __m256 s = _mm256_div_ps(one, _mm256_add_ps(one, cpu::exp_ps(_mm256_xor_ps(g, neg))));
        const __m256 silu = _mm256_mul_ps(g, s);
        const __m256 dsilu = _mm256_mul_ps(s, _mm256_fmadd_ps(g, _mm256_sub_ps(one, s), one));
        _mm256_storeu_ps(dgate + i, _mm256_mul_ps(_mm256_mul_ps(d, u), dsilu));
        _mm256_storeu_ps(dup + i, _mm256_mul_ps(d, silu));
    }
#endif
    for (; i < n; ++i) {
        const float g = gate[i], u = up[i], d = dout[i];
        const float s = 1.0f / (1.0f + std::exp(-g));
        dgate[i] = d * u * (s * (1.0f + g * (1.0f - s)));
        dup[i] = d * (g * s);
    }
}

void add_backward(float* da, float* db, const float* dout, int64_t n) {
    const size_t bytes = static_cast<size_t>(n) * sizeof(float);
    if (da && da != dout) std::memcpy(da, dout, bytes);
    if (db && db != dout) std::memcpy(db, dout, bytes);
}

}  // namespace jenny::kernels
