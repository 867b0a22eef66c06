// Quantised matmul for the K super-block types (q4_K, q5_K, q6_K) against q8_K activations,
// one (row, token) dot product at a time, mirroring ggml_vec_dot_q4_K_q8_K / q5_K / q6_K: the
// integer sums of each 32 (16 for q6_K) codes are weighted by the sub-block scales in int32,
// the mins / the -32 offset go through q8_K's bsums, and one FMA per super-block applies
// d_w * d_a.
#include <cstring>
#include <type_traits>

#include "jenny/base/check.h"
#include "kernels/cpu/matmul_internal.h"
#include "kernels/cpu/simd.h"

namespace jenny::kernels::cpu {

namespace {

using tensor::BlockQ4_K;
using tensor::BlockQ5_K;
using tensor::BlockQ6_K;
using tensor::BlockQ8_K;
using tensor::DType;
using tensor::kQKK;

// The 8 six-bit scales and mins of a q4_K / q5_K super-block (ggml's get_scale_min_k4).
inline void scales_mins(const uint8_t* q, uint8_t* sc, uint8_t* mn) {
    for (int j = 0; j < 8; ++j) {
        if (j < 4) {
            sc[j] = q[j] & 63;
            mn[j] = q[j + 4] & 63;
        } else {
            sc[j] = static_cast<uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
            mn[j] = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
        }
    }
}

// sum_j mn[j] * (sum of activation codes of sub-block j), from the 16 bsums.
inline int32_t min_sum(const uint8_t* mn, const int16_t* bsums) {
    int32_t s = 0;
    for (int j = 0; j < 8; ++j) s += mn[j] * (bsums[2 * j] + bsums[2 * j + 1]);
    return s;
}

// q4_K and q5_K share everything but the fifth bit.
template <bool kFive>
float dot_q45_K(const void* vx, const BlockQ8_K* y, int64_t nb) {
    using Block = std::conditional_t<kFive, BlockQ5_K, BlockQ4_K>;
    const Block* x = static_cast<const Block*>(vx);
    float sum_min = 0.0f;
#if defined(JENNY_KERNELS_AVX2)
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    const __m256i b1 = _mm256_set1_epi8(0x01);
    __m256 acc = _mm256_setzero_ps();
#else
    float sum = 0.0f;
#endif
    for (int64_t i = 0; i < nb; ++i) {
        uint8_t sc[8], mn[8];
        scales_mins(x[i].scales, sc, mn);
        const float d = y[i].d * f16_to_f32(x[i].d);
        const float dmin = y[i].d * f16_to_f32(x[i].dmin);
        sum_min += dmin * static_cast<float>(min_sum(mn, y[i].bsums));
        const int8_t* q8 = y[i].qs;
#if defined(JENNY_KERNELS_AVX2)
        __m256i hb = _mm256_setzero_si256();
        if constexpr (kFive) hb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[i].qh));
        __m256i sumi = _mm256_setzero_si256();
        for (int j = 0; j < 4; ++j) {
            const __m256i q4 =
                _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[i].qs + 32 * j));
            __m256i lo = _mm256_and_si256(q4, m4);
            __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q4, 4), m4);
            if constexpr (kFive) {
                const __m256i hl = _mm256_and_si256(_mm256_srli_epi16(hb, 2 * j), b1);
                const __m256i hh = _mm256_and_si256(_mm256_srli_epi16(hb, 2 * j + 1), b1);
                lo = _mm256_or_si256(lo, _mm256_slli_epi16(hl, 4));
                hi = _mm256_or_si256(hi, _mm256_slli_epi16(hh, 4));
            }
            const __m256i a0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q8 + 64 * j));
            const __m256i a1 =
                _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q8 + 64 * j + 32));
            const __m256i p0 =
                _mm256_madd_epi16(_mm256_maddubs_epi16(lo, a0), _mm256_set1_epi16(sc[2 * j]));
            const __m256i p1 =
                _mm256_madd_epi16(_mm256_maddubs_epi16(hi, a1), _mm256_set1_epi16(sc[2 * j + 1]));
            sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(p0, p1));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc);
#else
        int32_t sumi = 0;
        for (int j = 0; j < 4; ++j) {
            int32_t s0 = 0, s1 = 0;
            for (int l = 0; l < 32; ++l) {
                int lo = x[i].qs[32 * j + l] & 0xF, hi = x[i].qs[32 * j + l] >> 4;
                if constexpr (kFive) {
                    lo |= ((x[i].qh[l] >> (2 * j)) & 1) << 4;
                    hi |= ((x[i].qh[l] >> (2 * j + 1)) & 1) << 4;
                }
                s0 += lo * q8[64 * j + l];
                s1 += hi * q8[64 * j + 32 + l];
            }
            sumi += sc[2 * j] * s0 + sc[2 * j + 1] * s1;
        }
        sum += d * static_cast<float>(sumi);
#endif
    }
#if defined(JENNY_KERNELS_AVX2)
    return hsum(acc) - sum_min;
#else
    return sum - sum_min;
#endif
}

float dot_q6_K(const void* vx, const BlockQ8_K* y, int64_t nb) {
    const BlockQ6_K* x = static_cast<const BlockQ6_K*>(vx);
    float sum_off = 0.0f;
#if defined(JENNY_KERNELS_AVX2)
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    const __m256i m2 = _mm256_set1_epi8(0x03);
    __m256 acc = _mm256_setzero_ps();
#else
    float sum = 0.0f;
#endif
    for (int64_t i = 0; i < nb; ++i) {
        const float d = y[i].d * f16_to_f32(x[i].d);
        int32_t off = 0;  // sum_g sc[g] * bsum[g]: the -32 offset of every code
        for (int g = 0; g < 16; ++g) off += x[i].scales[g] * y[i].bsums[g];
        sum_off += d * 32.0f * static_cast<float>(off);
#if defined(JENNY_KERNELS_AVX2)
        __m256i sumi = _mm256_setzero_si256();
        for (int half = 0; half < 2; ++half) {
            const uint8_t* ql = x[i].ql + 64 * half;
            const uint8_t* qh = x[i].qh + 32 * half;
            const int8_t* sc = x[i].scales + 8 * half;
            const int8_t* q8 = y[i].qs + 128 * half;
            const __m256i l0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql));
            const __m256i l1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql + 32));
            const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qh));
            __m256i q[4];
            q[0] = _mm256_or_si256(_mm256_and_si256(l0, m4),
                                   _mm256_slli_epi16(_mm256_and_si256(h, m2), 4));
            q[1] = _mm256_or_si256(
                _mm256_and_si256(l1, m4),
                _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 2), m2), 4));
            q[2] = _mm256_or_si256(
                _mm256_and_si256(_mm256_srli_epi16(l0, 4), m4),
                _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 4), m2), 4));
            q[3] = _mm256_or_si256(
                _mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 6), m2), 4));
            for (int k = 0; k < 4; ++k) {
                const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q8 + 32 * k));
                const __m256i s =
                    _mm256_set_m128i(_mm_set1_epi16(sc[2 * k + 1]), _mm_set1_epi16(sc[2 * k]));
                sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(_mm256_maddubs_epi16(q[k], a), s));
            }
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc);
#else
        int32_t sumi = 0;
        for (int half = 0; half < 2; ++half) {
            const uint8_t* ql = x[i].ql + 64 * half;
            const uint8_t* qh = x[i].qh + 32 * half;
            const int8_t* sc = x[i].scales + 8 * half;
            const int8_t* q8 = y[i].qs + 128 * half;
            for (int l = 0; l < 32; ++l) {
                const int q0 = (ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4);
                const int q1 = (ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4);
                const int q2 = (ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4);
                const int q3 = (ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4);
                const int g = l / 16;
                sumi += sc[g] * q0 * q8[l] + sc[g + 2] * q1 * q8[l + 32] +
                        sc[g + 4] * q2 * q8[l + 64] + sc[g + 6] * q3 * q8[l + 96];
            }
        }
        sum += d * static_cast<float>(sumi);
#endif
    }
#if defined(JENNY_KERNELS_AVX2)
    return hsum(acc) - sum_off;
#else
    return sum - sum_off;
#endif
}

}  // namespace

void matmul_qk_rows(float* out, const BlockQ8_K* a, const tensor::Tensor& w, int64_t N, int64_t m0,
                    int64_t m1) {
    const int64_t M = w.rows(), nb = w.cols() / kQKK;
    float (*dot)(const void*, const BlockQ8_K*, int64_t) = nullptr;
    switch (w.dtype()) {
        case DType::kQ4_K:
            dot = dot_q45_K<false>;
            break;
        case DType::kQ5_K:
            dot = dot_q45_K<true>;
            break;
        case DType::kQ6_K:
            dot = dot_q6_K;
            break;
        default:
            JENNY_CHECK(false, "matmul_qk_rows: dtype {}", tensor::dtype_name(w.dtype()));
    }
    // Tokens outer in chunks so a chunk of q8_K rows stays in cache while the weights stream.
    constexpr int64_t kChunk = 16;
    for (int64_t n0 = 0; n0 < N; n0 += kChunk) {
        const int64_t n1 = n0 + kChunk < N ? n0 + kChunk : N;
        for (int64_t m = m0; m < m1; ++m) {
            for (int64_t n = n0; n < n1; ++n) out[n * M + m] = dot(w.row(m), a + n * nb, nb);
        }
    }
}

}  // namespace jenny::kernels::cpu
