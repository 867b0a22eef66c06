// kernels::matmul_backward_dx: dx = dout · w for a frozen weight of any dtype. Rows of dx are
// split over the team; each member dequantises w kRowTile rows at a time into its own scratch
// and accumulates dx[n0:n1] += dout[n0:n1, m0:m0+tile] · tile with sgemm. Every member
// dequantises the whole weight once (M · K element conversions against N/threads · M · K
// multiply-adds: negligible from a few dozen tokens on).
#include "jenny/kernels/matmul_dx.h"

#include <algorithm>

#include "jenny/base/check.h"
#include "jenny/kernels/matmul.h"
#include "jenny/tensor/quant.h"
#include "kernels/cpu/blas.h"

namespace jenny::kernels {

namespace {
constexpr int64_t kRowTile = 64;
struct DxTileScratch {};
}  // namespace

void matmul_backward_dx(float* dx, const float* dout, const tensor::Tensor& w, int64_t N,
                        base::WorkerTeam* team) {
    JENNY_CHECK(w.defined() && w.dtype() != tensor::DType::kI32, "matmul_backward_dx: bad weight");
    const int64_t M = w.rows(), K = w.cols();
    if (N <= 0) return;
    if (w.dtype() == tensor::DType::kF32) {
        matmul_backward(dx, nullptr, nullptr, dout, nullptr, w.data_as<float>(), N, K, M, team);
        return;
    }
    cpu::blas_single_thread();
    if (N * M * K < (1 << 16)) team = nullptr;
    cpu::split_range(team, N, 1, [&](int64_t n0, int64_t n1) {
        float* tile = cpu::thread_scratch<DxTileScratch>(sizeof(float) * kRowTile * K);
        for (int64_t m0 = 0; m0 < M; m0 += kRowTile) {
            const int64_t rows = std::min(kRowTile, M - m0);
            for (int64_t m = 0; m < rows; ++m)
                tensor::dequantize_row(w.dtype(), w.row(m0 + m), tile + m * K, K);
            // dx[n0:n1] (n1-n0, K) (+)= dout[n0:n1, m0:m0+rows] · tile (rows, K)
            cpu::sgemm(false, false, n1 - n0, K, rows, 1.0f, dout + n0 * M + m0, M, tile, K,
                       m0 == 0 ? 0.0f : 1.0f, dx + n0 * K, K);
        }
    });
}

}  // namespace jenny::kernels
