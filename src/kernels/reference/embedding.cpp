#include "jenny/kernels/embedding.h"

#include "jenny/base/check.h"
#include "jenny/tensor/quant.h"

namespace jenny::kernels::reference {

void embedding_forward(float* out, const int32_t* ids, int64_t N, const tensor::Tensor& table) {
    const int64_t V = table.rows(), C = table.cols();
    for (int64_t n = 0; n < N; ++n) {
        JENNY_CHECK(ids[n] >= 0 && ids[n] < V, "embedding: id {} outside [0, {})", ids[n], V);
        tensor::dequantize_row(table.dtype(), table.row(ids[n]), out + n * C, C);
    }
}

void embedding_backward(float* dtable, const float* dout, const int32_t* ids, int64_t N,
                        int64_t C) {
    for (int64_t n = 0; n < N; ++n) {
        JENNY_CHECK(ids[n] >= 0, "embedding: negative id {}", ids[n]);
        for (int64_t c = 0; c < C; ++c) dtable[ids[n] * C + c] += dout[n * C + c];
    }
}

}  // namespace jenny::kernels::reference
