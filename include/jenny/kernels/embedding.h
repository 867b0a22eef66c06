// Embedding lookup: out row i = table row ids[i], widened / dequantised to f32.
#pragma once

#include <cstdint>

#include "jenny/tensor/tensor.h"

namespace jenny::kernels {

// out: (N, C) f32; ids: (N), each in [0, table.rows()) (JENNY_CHECK); table: (V, C) any dtype.
void embedding_forward(float* out, const int32_t* ids, int64_t N, const tensor::Tensor& table);

// Backward (training; all backward kernels add (+=) into parameter gradients and assign (=)
// activation gradients): dtable (V, C) f32 += dout rows scattered by ids; dout (N, C).
void embedding_backward(float* dtable, const float* dout, const int32_t* ids, int64_t N,
                        int64_t C);

namespace reference {
void embedding_forward(float* out, const int32_t* ids, int64_t N, const tensor::Tensor& table);
void embedding_backward(float* dtable, const float* dout, const int32_t* ids, int64_t N,
                        int64_t C);
}  // namespace reference

}  // namespace jenny::kernels
