// The oracle for matmul: every weight row dequantised to f32 by tensor::dequantize_row, dot
// products accumulated in double.
#include "jenny/kernels/matmul.h"

#include <vector>

#include "jenny/base/check.h"
#include "jenny/tensor/quant.h"

namespace jenny::kernels::reference {

void matmul_forward(float* out, const float* x, const tensor::Tensor& w, const float* bias,
                    int64_t N) {
    const int64_t M = w.rows(), K = w.cols();
    JENNY_CHECK(w.defined() && w.dtype() != tensor::DType::kI32, "matmul: bad weight");
    std::vector<float> row(static_cast<size_t>(K));  // (K)
    for (int64_t m = 0; m < M; ++m) {
        tensor::dequantize_row(w.dtype(), w.row(m), row.data(), K);
        for (int64_t n = 0; n < N; ++n) {
            const float* xn = x + n * K;
            double acc = bias ? bias[m] : 0.0;
            for (int64_t k = 0; k < K; ++k) acc += static_cast<double>(row[k]) * xn[k];
            out[n * M + m] = static_cast<float>(acc);
        }
    }
}

}  // namespace jenny::kernels::reference
