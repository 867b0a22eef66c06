// Small SIMD helpers shared by the cpu/ kernels: horizontal sums, a vector exp, f16/bf16
// widening. Internal to src/kernels; every helper has a scalar twin so the fallback build
// compiles everywhere.
#pragma once

#include <cmath>
#include <cstdint>

#include "jenny/tensor/fp16.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define JENNY_KERNELS_AVX2 1
#endif
#if defined(__F16C__)
#include <immintrin.h>
#define JENNY_KERNELS_F16C 1
#endif

namespace jenny::kernels::cpu {

inline float f16_to_f32(uint16_t h) {
#if defined(JENNY_KERNELS_F16C)
    return _cvtsh_ss(h);
#else
    return tensor::f16_to_f32(h);
#endif
}

#if defined(JENNY_KERNELS_AVX2)

inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

inline float hmax(__m256 v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

inline int32_t hsum_i32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 1));
    return _mm_cvtsi128_si32(s);
}

// exp(x) for 8 floats (Cephes' expf polynomial, as in avx_mathfun): within 2 ulp of expf on
// [-87.3, 88.3]; above, inputs are clamped to 88.3 (callers never pass more: softmax inputs
// are <= 0), below -87.3 (where expf is denormal or 0, and for -inf) the result is 0.
inline __m256 exp_ps(__m256 x) {
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 underflow = _mm256_cmp_ps(x, _mm256_set1_ps(-87.3365447504019f), _CMP_LT_OQ);
    x = _mm256_min_ps(x, _mm256_set1_ps(88.3762626647949f));
    x = _mm256_max_ps(x, _mm256_set1_ps(-87.3365447504019f));
    __m256 fx = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f));
    fx = _mm256_floor_ps(fx);
    x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
    x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
    const __m256 z = _mm256_mul_ps(x, x);
    __m256 y = _mm256_set1_ps(1.9875691500e-4f);
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507e-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073e-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894e-2f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459e-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201e-1f));
    y = _mm256_fmadd_ps(y, z, _mm256_add_ps(x, one));
    // 2^fx; fx in [-126, 128] after the clamp, so the biased exponent stays in range except
    // fx == 128, which the clamp at 88.376 never reaches after the floor(x*log2e + 0.5).
    __m256i e = _mm256_cvttps_epi32(fx);
    e = _mm256_slli_epi32(_mm256_add_epi32(e, _mm256_set1_epi32(127)), 23);
    return _mm256_andnot_ps(underflow, _mm256_mul_ps(y, _mm256_castsi256_ps(e)));
}

// 8 f16 / bf16 values widened to f32.
inline __m256 load_f16(const uint16_t* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
inline __m256 load_bf16(const uint16_t* p) {
    const __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
}

#endif  // JENNY_KERNELS_AVX2

}  // namespace jenny::kernels::cpu
