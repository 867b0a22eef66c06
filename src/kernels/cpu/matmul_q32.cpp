// Quantised matmul for the 32-element block types against q8_0-quantised activations.
//
// Every type is computed as  sum_b dw_b * da_b * S_b  +  sum_b mw_b * s_b,  where S_b is the
// integer dot product of the block's 32 weight codes with the 32 activation codes. For q8_0
// the codes are signed and mw is 0; for the others they are unsigned (q4: 0..15, q5: 0..31)
// and the offset goes into mw: -8 dw (q4_0), -16 dw (q5_0), m (q4_1, q5_1). That is ggml's
// arithmetic (ggml_vec_dot_q4_0_q8_0 etc.) up to float rounding order; s carries ggml's q8_1
// rounding for the _1 types.
//
// The AVX2 tile takes RM weight rows x RN tokens: each weight block is unpacked to 32 bytes
// once and used for RN tokens; each pair costs one maddubs, one madd, one convert and one FMA.
// The offset term is a small dot product over blocks, done after each tile.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "jenny/base/check.h"
#include "kernels/cpu/matmul_internal.h"
#include "kernels/cpu/simd.h"

namespace jenny::kernels::cpu {

namespace {

using tensor::BlockQ4_0;
using tensor::BlockQ4_1;
using tensor::BlockQ5_0;
using tensor::BlockQ5_1;
using tensor::BlockQ8_0;
using tensor::DType;
using tensor::kQK;

// Weight type traits: block struct, scale and offset per block, and (AVX2) the 32 codes.
template <DType T>
struct Q32;

template <>
struct Q32<DType::kQ8_0> {
    using Block = BlockQ8_0;
    static constexpr bool kSigned = true;
    static float d(const Block& b) { return f16_to_f32(b.d); }
    static float m(const Block&) { return 0.0f; }
    static int code(const Block& b, int j) { return b.qs[j]; }
#if defined(JENNY_KERNELS_AVX2)
    static __m256i codes(const Block& b) {
        return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs));
    }
#endif
};

template <>
struct Q32<DType::kQ4_0> {
    using Block = BlockQ4_0;
    static constexpr bool kSigned = false;
    static float d(const Block& b) { return f16_to_f32(b.d); }
    static float m(const Block& b) { return -8.0f * f16_to_f32(b.d); }
    static int code(const Block& b, int j) {
        return j < 16 ? (b.qs[j] & 0x0F) : (b.qs[j - 16] >> 4);
    }
#if defined(JENNY_KERNELS_AVX2)
    static __m256i codes(const Block& b) {
        const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs));
        const __m256i both = _mm256_set_m128i(_mm_srli_epi16(q, 4), q);
        return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
    }
#endif
};

template <>
struct Q32<DType::kQ4_1> {
    using Block = BlockQ4_1;
    static constexpr bool kSigned = false;
    static float d(const Block& b) { return f16_to_f32(b.d); }
    static float m(const Block& b) { return f16_to_f32(b.m); }
    static int code(const Block& b, int j) {
        return j < 16 ? (b.qs[j] & 0x0F) : (b.qs[j - 16] >> 4);
    }
#if defined(JENNY_KERNELS_AVX2)
    static __m256i codes(const Block& b) {
        const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs));
        const __m256i both = _mm256_set_m128i(_mm_srli_epi16(q, 4), q);
        return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
    }
#endif
};

#if defined(JENNY_KERNELS_AVX2)
// Byte j of the result is 0x10 where bit j of the 32-bit qh is set (ggml's bytes_from_bits_32).
inline __m256i fifth_bits(const uint8_t* qh) {
    uint32_t bits;
    std::memcpy(&bits, qh, 4);
    const __m256i shuf = _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202,
                                           0x0101010101010101, 0x0000000000000000);
    __m256i r = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(bits)), shuf);
    const __m256i bit_mask = _mm256_set1_epi64x(0x7fbfdfeff7fbfdfe);
    r = _mm256_or_si256(r, bit_mask);
    r = _mm256_cmpeq_epi8(r, _mm256_set1_epi64x(-1));
    return _mm256_and_si256(r, _mm256_set1_epi8(0x10));
}
#endif

inline int fifth_bit(const uint8_t* qh, int j) {
    uint32_t bits;
    std::memcpy(&bits, qh, 4);
    return ((bits >> j) & 1) << 4;
}

template <>
struct Q32<DType::kQ5_0> {
    using Block = BlockQ5_0;
    static constexpr bool kSigned = false;
    static float d(const Block& b) { return f16_to_f32(b.d); }
    static float m(const Block& b) { return -16.0f * f16_to_f32(b.d); }
    static int code(const Block& b, int j) {
        return (j < 16 ? (b.qs[j] & 0x0F) : (b.qs[j - 16] >> 4)) | fifth_bit(b.qh, j);
    }
#if defined(JENNY_KERNELS_AVX2)
    static __m256i codes(const Block& b) {
        const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs));
        const __m256i both = _mm256_set_m128i(_mm_srli_epi16(q, 4), q);
        return _mm256_or_si256(_mm256_and_si256(both, _mm256_set1_epi8(0x0F)), fifth_bits(b.qh));
    }
#endif
};

template <>
struct Q32<DType::kQ5_1> {
    using Block = BlockQ5_1;
    static constexpr bool kSigned = false;
    static float d(const Block& b) { return f16_to_f32(b.d); }
    static float m(const Block& b) { return f16_to_f32(b.m); }
    static int code(const Block& b, int j) {
        return (j < 16 ? (b.qs[j] & 0x0F) : (b.qs[j - 16] >> 4)) | fifth_bit(b.qh, j);
    }
#if defined(JENNY_KERNELS_AVX2)
    static __m256i codes(const Block& b) {
        const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs));
        const __m256i both = _mm256_set_m128i(_mm_srli_epi16(q, 4), q);
        return _mm256_or_si256(_mm256_and_si256(both, _mm256_set1_epi8(0x0F)), fifth_bits(b.qh));
    }
#endif
};

// Tokens per pass over a thread's rows: their quantised activations (~K * 1.25 bytes each)
// stay in L2 while the rows stream past.
constexpr int64_t kTokenChunk = 64;
constexpr int kRowTile = 4;  // RM
constexpr int kTokTile = 2;  // RN for prefill

// out[t * M + r] = sum_b dw[r][b] * da[t][b] * S_b(r, t) for an RM x RN tile.
template <DType T, int RM, int RN>
void tile(float* out, int64_t M, const uint8_t* w, size_t wrb, const ActQ8& a, int64_t n,
          const float* dw) {
    using Tr = Q32<T>;
    using Block = typename Tr::Block;
    const int64_t nb = a.nb;
    const float* da = a.d + n * nb;
#if defined(JENNY_KERNELS_AVX2)
    const int8_t* aq = a.qs + n * nb * kQK;
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc[RM][RN];
    for (int r = 0; r < RM; ++r)
        for (int t = 0; t < RN; ++t) acc[r][t] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
        __m256i wv[RM];
        for (int r = 0; r < RM; ++r) {
            const Block& blk = reinterpret_cast<const Block*>(w + r * wrb)[b];
            wv[r] = Tr::codes(blk);
            if constexpr (Tr::kSigned) wv[r] = _mm256_abs_epi8(wv[r]);
        }
        for (int t = 0; t < RN; ++t) {
            const __m256i av =
                _mm256_loadu_si256(reinterpret_cast<const __m256i*>(aq + (t * nb + b) * kQK));
            const float dat = da[t * nb + b];
            for (int r = 0; r < RM; ++r) {
                __m256i p;
                if constexpr (Tr::kSigned) {
                    const Block& blk = reinterpret_cast<const Block*>(w + r * wrb)[b];
                    const __m256i sa = _mm256_sign_epi8(av, Tr::codes(blk));
                    p = _mm256_maddubs_epi16(wv[r], sa);
                } else {
                    p = _mm256_maddubs_epi16(wv[r], av);
                }
                const __m256 f = _mm256_cvtepi32_ps(_mm256_madd_epi16(p, ones));
                acc[r][t] = _mm256_fmadd_ps(_mm256_set1_ps(dw[r * nb + b] * dat), f, acc[r][t]);
            }
        }
    }
    for (int t = 0; t < RN; ++t)
        for (int r = 0; r < RM; ++r) out[t * M + r] = hsum(acc[r][t]);
#else
    for (int t = 0; t < RN; ++t) {
        const int8_t* aq = a.qs + (n + t) * nb * kQK;
        for (int r = 0; r < RM; ++r) {
            const Block* blk = reinterpret_cast<const Block*>(w + r * wrb);
            float sum = 0.0f;
            for (int64_t b = 0; b < nb; ++b) {
                int s = 0;
                for (int j = 0; j < kQK; ++j) s += Tr::code(blk[b], j) * aq[b * kQK + j];
                sum += dw[r * nb + b] * da[t * nb + b] * static_cast<float>(s);
            }
            out[t * M + r] = sum;
        }
    }
#endif
}

float dot_f32(const float* a, const float* b, int64_t n) {
    int64_t i = 0;
    float sum = 0.0f;
#if defined(JENNY_KERNELS_AVX2)
    __m256 acc = _mm256_setzero_ps();
    for (; i + 8 <= n; i += 8)
        acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc);
    sum = hsum(acc);
#endif
    for (; i < n; ++i) sum += a[i] * b[i];
    return sum;
}

template <DType T>
void rows_impl(float* out, const ActQ8& a, const tensor::Tensor& w, int64_t N, int64_t m0,
               int64_t m1) {
    using Tr = Q32<T>;
    using Block = typename Tr::Block;
    const int64_t M = w.rows(), nb = a.nb;
    const size_t wrb = w.row_bytes();
    // Per-thread scratch: the scales and offsets of kRowTile rows as f32.
    thread_local std::vector<float> dw_buf, mw_buf;
    dw_buf.resize(static_cast<size_t>(kRowTile * nb));
    mw_buf.resize(static_cast<size_t>(kRowTile * nb));
    float* dw = dw_buf.data();
    float* mw = mw_buf.data();
    for (int64_t n0 = 0; n0 < N; n0 += kTokenChunk) {
        const int64_t n1 = std::min(N, n0 + kTokenChunk);
        for (int64_t m = m0; m < m1; m += kRowTile) {
            const int rm = static_cast<int>(std::min<int64_t>(kRowTile, m1 - m));
            const uint8_t* wr = w.row(m);
            for (int r = 0; r < rm; ++r) {
                const Block* blk = reinterpret_cast<const Block*>(wr + r * wrb);
                for (int64_t b = 0; b < nb; ++b) {
                    dw[r * nb + b] = Tr::d(blk[b]);
                    mw[r * nb + b] = Tr::m(blk[b]);
                }
            }
            int64_t n = n0;
            if (rm == kRowTile) {
                for (; n + kTokTile <= n1; n += kTokTile) {
                    tile<T, kRowTile, kTokTile>(out + n * M + m, M, wr, wrb, a, n, dw);
                }
                for (; n < n1; ++n) tile<T, kRowTile, 1>(out + n * M + m, M, wr, wrb, a, n, dw);
            } else {
                for (int r = 0; r < rm; ++r) {
                    for (n = n0; n < n1; ++n) {
                        tile<T, 1, 1>(out + n * M + m + r, M, wr + r * wrb, wrb, a, n, dw + r * nb);
                    }
                }
            }
            if constexpr (T != DType::kQ8_0) {
                for (int r = 0; r < rm; ++r) {
                    for (n = n0; n < n1; ++n)
                        out[n * M + m + r] += dot_f32(mw + r * nb, a.s + n * nb, nb);
                }
            }
        }
    }
}

}  // namespace

void quantize_act_q8(const ActQ8& a, const float* x, int64_t n0, int64_t n1, int64_t K,
                     bool q8_1_sums) {
    const int64_t nb = K / kQK;
    for (int64_t n = n0; n < n1; ++n) {
        const float* xn = x + n * K;
        int8_t* qs = a.qs + n * nb * kQK;
        float* d_out = a.d + n * nb;
        float* s_out = a.s + n * nb;
        for (int64_t b = 0; b < nb; ++b) {
            const float* xb = xn + b * kQK;
            int8_t* qb = qs + b * kQK;
            float amax = 0.0f;
            int32_t sum = 0;
#if defined(JENNY_KERNELS_AVX2)
            const __m256 sign = _mm256_set1_ps(-0.0f);
            __m256 v[4];
            __m256 vmax = _mm256_setzero_ps();
            for (int i = 0; i < 4; ++i) {
                v[i] = _mm256_loadu_ps(xb + 8 * i);
                vmax = _mm256_max_ps(vmax, _mm256_andnot_ps(sign, v[i]));
            }
            amax = hmax(vmax);
#else
            for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(xb[j]));
#endif
            const float d = amax / 127.0f;
            const float id = d != 0.0f ? 1.0f / d : 0.0f;
            const tensor::f16_t d16 = tensor::f32_to_f16(d);
            d_out[b] = f16_to_f32(d16);
#if defined(JENNY_KERNELS_AVX2)
            // roundf (half away from zero), exactly: trunc, then +1 where the fraction >= 0.5.
            const __m256 vid = _mm256_set1_ps(id);
            const __m256 half = _mm256_set1_ps(0.5f);
            const __m256 one = _mm256_set1_ps(1.0f);
            __m256i iv[4];
            __m256i isum = _mm256_setzero_si256();
            for (int i = 0; i < 4; ++i) {
                const __m256 y = _mm256_mul_ps(v[i], vid);
                const __m256 ay = _mm256_andnot_ps(sign, y);
                const __m256 t = _mm256_round_ps(ay, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
                const __m256 up =
                    _mm256_and_ps(_mm256_cmp_ps(_mm256_sub_ps(ay, t), half, _CMP_GE_OQ), one);
                const __m256 r = _mm256_or_ps(_mm256_add_ps(t, up), _mm256_and_ps(sign, y));
                iv[i] = _mm256_cvtps_epi32(r);
                isum = _mm256_add_epi32(isum, iv[i]);
            }
            sum = hsum_i32(isum);
            const __m256i p01 = _mm256_packs_epi32(iv[0], iv[1]);
            const __m256i p23 = _mm256_packs_epi32(iv[2], iv[3]);
            const __m256i p = _mm256_packs_epi16(p01, p23);
            const __m256i perm = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(qb),
                                _mm256_permutevar8x32_epi32(p, perm));
#else
            for (int j = 0; j < kQK; ++j) {
                qb[j] = static_cast<int8_t>(std::roundf(xb[j] * id));
                sum += qb[j];
            }
#endif
            s_out[b] = q8_1_sums ? f16_to_f32(tensor::f32_to_f16(d * static_cast<float>(sum)))
                                 : d_out[b] * static_cast<float>(sum);
        }
    }
}

void matmul_q32_rows(float* out, const ActQ8& a, const tensor::Tensor& w, int64_t N, int64_t m0,
                     int64_t m1) {
    switch (w.dtype()) {
        case DType::kQ8_0:
            return rows_impl<DType::kQ8_0>(out, a, w, N, m0, m1);
        case DType::kQ4_0:
            return rows_impl<DType::kQ4_0>(out, a, w, N, m0, m1);
        case DType::kQ4_1:
            return rows_impl<DType::kQ4_1>(out, a, w, N, m0, m1);
        case DType::kQ5_0:
            return rows_impl<DType::kQ5_0>(out, a, w, N, m0, m1);
        case DType::kQ5_1:
            return rows_impl<DType::kQ5_1>(out, a, w, N, m0, m1);
        default:
            JENNY_CHECK(false, "matmul_q32_rows: dtype {}", tensor::dtype_name(w.dtype()));
    }
}

}  // namespace jenny::kernels::cpu
