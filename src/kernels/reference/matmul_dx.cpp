// The oracle for matmul_backward_dx: each weight row dequantised by tensor::dequantize_row,
// dx accumulated in double.
#include "jenny/kernels/matmul_dx.h"

#include <vector>

#include "jenny/base/check.h"
#include "jenny/tensor/quant.h"

namespace jenny::kernels::reference {

void matmul_backward_dx(float* dx, const float* dout, const tensor::Tensor& w, int64_t N) {
    JENNY_CHECK(w.defined() && w.dtype() != tensor::DType::kI32, "matmul_backward_dx: bad weight");
    const int64_t M = w.rows(), K = w.cols();
    std::vector<float> row(static_cast<size_t>(K));
    std::vector<double> acc(static_cast<size_t>(N * K), 0.0);
    for (int64_t m = 0; m < M; ++m) {
        tensor::dequantize_row(w.dtype(), w.row(m), row.data(), K);
        for (int64_t n = 0; n < N; ++n) {
            const double g = dout[n * M + m];
            double* an = acc.data() + n * K;
            for (int64_t k = 0; k < K; ++k) an[k] += g * row[k];
        }
    }
    for (int64_t i = 0; i < N * K; ++i) dx[i] = static_cast<float>(acc[i]);
}

}  // namespace jenny::kernels::reference
