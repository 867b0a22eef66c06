// The input gradient of a matmul against a frozen weight of any dtype (LoRA / QLoRA training
// through a quantised base): dx (N, K) = dout (N, M) · w (M, K), w stored as matmul_forward
// takes it (f32, f16, bf16 or a block type). f32 weights go straight to sgemm; other dtypes
// are dequantised kRowTile rows at a time into per-thread f32 scratch and accumulated with
// sgemm, so no f32 copy of the whole weight is ever held. reference:: dequantises each row
// and accumulates in double (the oracle).
#pragma once

#include <cstdint>

#include "jenny/base/worker_team.h"
#include "jenny/tensor/tensor.h"

namespace jenny::kernels {

// dx (N, K) assigned; dout (N, M); w (M, K). team may be nullptr.
void matmul_backward_dx(float* dx, const float* dout, const tensor::Tensor& w, int64_t N,
                        base::WorkerTeam* team);

namespace reference {
void matmul_backward_dx(float* dx, const float* dout, const tensor::Tensor& w, int64_t N);
}  // namespace reference

}  // namespace jenny::kernels
