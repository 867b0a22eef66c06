#include "jenny/kernels/activation.h"

#include <cmath>

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

}  // namespace jenny::kernels
