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

void matmul_backward(float* dx, float* dw, float* dbias, const float* dout, const float* x,
                     const float* w, int64_t N, int64_t K, int64_t M) {
    if (dx) {
        for (int64_t n = 0; n < N; ++n) {
            for (int64_t k = 0; k < K; ++k) {
                double acc = 0.0;
                for (int64_t m = 0; m < M; ++m)
                    acc += static_cast<double>(dout[n * M + m]) * w[m * K + k];
                dx[n * K + k] = static_cast<float>(acc);
            }
        }
    }
    for (int64_t m = 0; m < M; ++m) {
        if (dw) {
            for (int64_t k = 0; k < K; ++k) {
                double acc = 0.0;
                for (int64_t n = 0; n < N; ++n)
                    acc += static_cast<double>(dout[n * M + m]) * x[n * K + k];
                dw[m * K + k] = static_cast<float>(dw[m * K + k] + acc);
            }
        }
        if (dbias) {
            double acc = 0.0;
            for (int64_t n = 0; n < N; ++n) acc += dout[n * M + m];
            dbias[m] = static_cast<float>(dbias[m] + acc);
        }
    }
}

}  // namespace jenny::kernels::reference
