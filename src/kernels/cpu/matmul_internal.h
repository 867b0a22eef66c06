// Pieces of kernels::matmul_forward (cpu/matmul.cpp) that live in their own files: the
// quantised-activation buffers and the per-thread row-range workers. Internal to src/kernels.
#pragma once

#include <cstddef>
#include <cstdint>

#include "jenny/tensor/quant.h"
#include "jenny/tensor/tensor.h"

namespace jenny::kernels::cpu {

// Activations quantised to q8_0 blocks for the 32-element weight types, split into planes so
// the tiles read each part contiguously.
struct ActQ8 {
    int64_t nb = 0;        // blocks per token row (K / 32)
    int8_t* qs = nullptr;  // (N, nb * 32) the int8 values
    float* d = nullptr;    // (N, nb) the f16-rounded scales, as f32
    float* s = nullptr;    // (N, nb) d * sum(qs): exact for the _0 types; ggml's q8_1 s
                           // (f16 of the f32 scale times the sum) for q4_1 / q5_1
};

// Quantises token rows [n0, n1) of x (N, K) into a, as ggml's quantize_row_q8_0_ref (the
// values and d are bit-exact with tensor::quantize_row(kQ8_0)); q8_1_sums picks which s.
void quantize_act_q8(const ActQ8& a, const float* x, int64_t n0, int64_t n1, int64_t K,
                     bool q8_1_sums);

// out (N, M) columns [m0, m1) for the 32-element block types (q8_0, q4_0, q4_1, q5_0, q5_1).
void matmul_q32_rows(float* out, const ActQ8& a, const tensor::Tensor& w, int64_t N, int64_t m0,
                     int64_t m1);

// out (N, M) columns [m0, m1) for q4_K / q5_K / q6_K against x quantised to q8_K rows
// (N, K / 256 blocks).
void matmul_qk_rows(float* out, const tensor::BlockQ8_K* a, const tensor::Tensor& w, int64_t N,
                    int64_t m0, int64_t m1);

// out (N, M) columns [m0, m1) for f32 / f16 / bf16 weights, widened on the fly (small N).
void matmul_dense_rows(float* out, const float* x, const tensor::Tensor& w, int64_t N, int64_t m0,
                       int64_t m1);

}  // namespace jenny::kernels::cpu
