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

// With r = 1 / sqrt(mean(x²) + eps) and u = dout ∘ weight:
//   dx = r · u − (r³ / C) · (u · x) · x,    dweight += r · dout ∘ x.
// Sums of squares in f32 as the forward takes them; dx may alias dout (each dx[c] is written
// after both reductions have read the row).
void rmsnorm_backward(float* dx, float* dweight, const float* dout, const float* x,
                      const float* weight, int64_t N, int64_t C, float eps) {
    for (int64_t n = 0; n < N; ++n) {
        const float* xn = x + n * C;     // (C)
        const float* gn = dout + n * C;  // (C)
        float* dn = dx + n * C;          // (C)
        float ss = 0.0f, ux = 0.0f;
        int64_t c = 0;
#if defined(JENNY_KERNELS_AVX2)
        __m256 a_ss = _mm256_setzero_ps(), a_ux = _mm256_setzero_ps();
        for (; c + 8 <= C; c += 8) {
            const __m256 v = _mm256_loadu_ps(xn + c);
            const __m256 u = _mm256_mul_ps(_mm256_loadu_ps(gn + c), _mm256_loadu_ps(weight + c));
            a_ss = _mm256_fmadd_ps(v, v, a_ss);
            a_ux = _mm256_fmadd_ps(u, v, a_ux);
        }
        ss = cpu::hsum(a_ss);
        ux = cpu::hsum(a_ux);
#endif
        for (; c < C; ++c) {
            ss += xn[c] * xn[c];
            ux += gn[c] * weight[c] * xn[c];
        }
        const float r = 1.0f / std::sqrt(ss / static_cast<float>(C) + eps);
        const float k = r * r * r * ux / static_cast<float>(C);
        for (c = 0; c < C; ++c) {
            const float g = gn[c];
            if (dweight) dweight[c] += r * g * xn[c];
            dn[c] = r * g * weight[c] - k * xn[c];
        }
    }
}

}  // namespace jenny::kernels
