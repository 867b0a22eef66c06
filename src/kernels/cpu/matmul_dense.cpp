// f32 / f16 / bf16 weights for small N: each weight chunk of 8 is widened once and used for RN
// tokens (large N goes through OpenBLAS in cpu/matmul.cpp).
#include <algorithm>

#include "jenny/base/check.h"
#include "kernels/cpu/matmul_internal.h"
#include "kernels/cpu/simd.h"

namespace jenny::kernels::cpu {

namespace {

using tensor::DType;

template <DType T>
float widen(const uint8_t* row, int64_t k) {
    if constexpr (T == DType::kF32) return reinterpret_cast<const float*>(row)[k];
    if constexpr (T == DType::kF16) return f16_to_f32(reinterpret_cast<const uint16_t*>(row)[k]);
    return tensor::bf16_to_f32(reinterpret_cast<const uint16_t*>(row)[k]);
}

#if defined(JENNY_KERNELS_AVX2)
template <DType T>
__m256 widen8(const uint8_t* row, int64_t k) {
    if constexpr (T == DType::kF32) return _mm256_loadu_ps(reinterpret_cast<const float*>(row) + k);
    if constexpr (T == DType::kF16) return load_f16(reinterpret_cast<const uint16_t*>(row) + k);
    return load_bf16(reinterpret_cast<const uint16_t*>(row) + k);
}
#endif

// out[t * M + r] = w row r · x row t, for RM rows and RN tokens.
template <DType T, int RM, int RN>
void tile(float* out, int64_t M, const uint8_t* w, size_t wrb, const float* x, int64_t K) {
    int64_t k = 0;
    float sum[RM][RN] = {};
#if defined(JENNY_KERNELS_AVX2)
    __m256 acc[RM][RN];
    for (int r = 0; r < RM; ++r)
        for (int t = 0; t < RN; ++t) acc[r][t] = _mm256_setzero_ps();
    for (; k + 8 <= K; k += 8) {
        __m256 wv[RM];
        for (int r = 0; r < RM; ++r) wv[r] = widen8<T>(w + r * wrb, k);
        for (int t = 0; t < RN; ++t) {
            const __m256 xv = _mm256_loadu_ps(x + t * K + k);
            for (int r = 0; r < RM; ++r) acc[r][t] = _mm256_fmadd_ps(wv[r], xv, acc[r][t]);
        }
    }
    for (int r = 0; r < RM; ++r)
        for (int t = 0; t < RN; ++t) sum[r][t] = hsum(acc[r][t]);
#endif
    for (; k < K; ++k) {
        for (int r = 0; r < RM; ++r) {
            const float wk = widen<T>(w + r * wrb, k);
            for (int t = 0; t < RN; ++t) sum[r][t] += wk * x[t * K + k];
        }
    }
    for (int r = 0; r < RM; ++r)
        for (int t = 0; t < RN; ++t) out[t * M + r] = sum[r][t];
}

template <DType T>
void rows_impl(float* out, const float* x, const tensor::Tensor& w, int64_t N, int64_t m0,
               int64_t m1) {
    const int64_t M = w.rows(), K = w.cols();
    const size_t wrb = w.row_bytes();
    constexpr int kRM = 4;
    int64_t m = m0;
    for (; m + kRM <= m1; m += kRM) {
        int64_t n = 0;
        for (; n + 2 <= N; n += 2) tile<T, kRM, 2>(out + n * M + m, M, w.row(m), wrb, x + n * K, K);
        for (; n < N; ++n) tile<T, kRM, 1>(out + n * M + m, M, w.row(m), wrb, x + n * K, K);
    }
    for (; m < m1; ++m) {
        for (int64_t n = 0; n < N; ++n)
            tile<T, 1, 1>(out + n * M + m, M, w.row(m), wrb, x + n * K, K);
    }
}

}  // namespace

void matmul_dense_rows(float* out, const float* x, const tensor::Tensor& w, int64_t N, int64_t m0,
                       int64_t m1) {
    switch (w.dtype()) {
        case DType::kF32:
            return rows_impl<DType::kF32>(out, x, w, N, m0, m1);
        case DType::kF16:
            return rows_impl<DType::kF16>(out, x, w, N, m0, m1);
        case DType::kBF16:
            return rows_impl<DType::kBF16>(out, x, w, N, m0, m1);
        default:
            JENNY_CHECK(false, "matmul_dense_rows: dtype {}", tensor::dtype_name(w.dtype()));
    }
}

}  // namespace jenny::kernels::cpu
