// Matrix multiplication against a weight of any dtype: out (N, M) = x (N, K) · wᵀ + bias,
// w of shape (M, K) stored as ggml does (row m = output feature m, K contiguous).
//
// kernels:: picks the fastest path this binary has: f32 weights through OpenBLAS sgemm (or a
// blocked SIMD loop for small N), f16 / bf16 rows widened on the fly, block-quantised weights
// by quantising x to q8_0 (q8_K for the K types) once and taking int8 dot products — what
// llama.cpp does, so results agree with it to rounding. reference:: dequantises each row to
// f32 and accumulates in double: the oracle the fast paths are tested against.
//
// Argument order (all kernels): outputs, inputs, weights, sizes, team. Rows of out are
// assigned, never accumulated into. team may be nullptr (run on the calling thread).
#pragma once

#include <cstdint>

#include "jenny/base/worker_team.h"
#include "jenny/tensor/tensor.h"

namespace jenny::kernels {

// x: (N, K) f32 with K == w.cols(); bias: (M) or nullptr; out: (N, M) f32, not aliasing x.
void matmul_forward(float* out, const float* x, const tensor::Tensor& w, const float* bias,
                    int64_t N, base::WorkerTeam* team);

// Backward for f32 weights w (M, K) (training): dx (N, K) = dout (N, M) · w (assigned);
// dw (M, K) += doutᵀ · x; dbias (M) += column sums of dout. Any of dx, dw, dbias may be
// nullptr (not wanted). x: (N, K), the forward input.
void matmul_backward(float* dx, float* dw, float* dbias, const float* dout, const float* x,
                     const float* w, int64_t N, int64_t K, int64_t M, base::WorkerTeam* team);

namespace reference {
void matmul_forward(float* out, const float* x, const tensor::Tensor& w, const float* bias,
                    int64_t N);
void matmul_backward(float* dx, float* dw, float* dbias, const float* dout, const float* x,
                     const float* w, int64_t N, int64_t K, int64_t M);
}  // namespace reference

}  // namespace jenny::kernels
