#include "jenny/kernels/norm.h"

#include <cmath>

#include "kernels/cpu/simd.h"

namespace jenny::kernels {

void rmsnorm_forward(float* out, const float* x, const float* weight, int64_t N, int64_t C,
                     float eps) {
    for (int64_t n = 0; n < N; ++n) {
        const float* xn = x + n * C;  // (C)
        float* on = out + n * C;      // (C)
        int64_t c = 0;
        float ss = 0.0f;
#if defined(JENNY_KERNELS_AVX2)
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
        for (; c + 16 <= C; c += 16) {
            const __m256 v0 = _mm256_loadu_ps(xn + c), v1 = _mm256_loadu_ps(xn + c + 8);
            a0 = _mm256_fmadd_ps(v0, v0, a0);
            a1 = _mm256_fmadd_ps(v1, v1, a1);
        }
        ss = cpu::hsum(_mm256_add_ps(a0, a1));
#endif
        for (; c < C; ++c) ss += xn[c] * xn[c];
        const float scale = 1.0f / std::sqrt(ss / static_cast<float>(C) + eps);
        c = 0;
#if defined(JENNY_KERNELS_AVX2)
        const __m256 vs = _mm256_set1_ps(scale);
        for (; c + 8 <= C; c += 8) {
            const __m256 v = _mm256_mul_ps(_mm256_loadu_ps(xn + c), vs);
            _mm256_storeu_ps(on + c, _mm256_mul_ps(v, _mm256_loadu_ps(weight + c)));
        }
#endif
        for (; c < C; ++c) on[c] = xn[c] * scale * weight[c];
    }
}

}  // namespace jenny::kernels
