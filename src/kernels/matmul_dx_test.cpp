// kernels::matmul_backward_dx (frozen weights of any dtype: the QLoRA input gradient) against
// reference::matmul_backward_dx (double), and against matmul_backward on the dequantised f32
// weight. Each dx element is a sum of M products, so |err| <= 2e-5 S with S = Σ_m |dout w|.
// Team sizes 1, 2, 3; M not a multiple of the 64-row tile; f32 goes through matmul_backward.
#include "jenny/kernels/matmul_dx.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "jenny/base/worker_team.h"
#include "jenny/kernels/matmul.h"
#include "jenny/tensor/quant.h"

namespace jenny::kernels {
namespace {

using tensor::DType;
using tensor::Tensor;

std::vector<float> randn(int64_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0.0f, 1.0f);
    std::vector<float> v(static_cast<size_t>(n));
    for (auto& f : v) f = d(rng);
    return v;
}

Tensor weight(DType dtype, int64_t M, int64_t K, uint32_t seed) {
    Tensor w = Tensor::empty(DType::kF32, {M, K});
    std::vector<float> f = randn(M * K, seed);
    std::copy(f.begin(), f.end(), w.mutable_data_as<float>());
    return dtype == DType::kF32 ? w : w.convert(dtype);
}

class MatmulDxTest : public ::testing::TestWithParam<DType> {};

TEST_P(MatmulDxTest, MatchesReferenceAndDequantisedSgemm) {
    const DType dt = GetParam();
    const int64_t N = 37, M = 150, K = 96;
    const Tensor w = weight(dt, M, K, 7);
    const std::vector<float> dout = randn(N * M, 11);
    std::vector<float> want(N * K), bound(N * K);
    reference::matmul_backward_dx(want.data(), dout.data(), w, N);
    {
        // S = Σ_m |dout[n, m] w[m, k]| from the reference on absolute values.
        Tensor wf = w.to_f32();
        Tensor wa = Tensor::empty(DType::kF32, {M, K});
        for (int64_t i = 0; i < M * K; ++i)
            wa.mutable_data_as<float>()[i] = std::fabs(wf.data_as<float>()[i]);
        std::vector<float> da(dout.size());
        for (size_t i = 0; i < da.size(); ++i) da[i] = std::fabs(dout[i]);
        reference::matmul_backward_dx(bound.data(), da.data(), wa, N);
    }
    Tensor wf = w.to_f32();
    std::vector<float> dense(N * K);
    matmul_backward(dense.data(), nullptr, nullptr, dout.data(), nullptr, wf.data_as<float>(), N, K,
                    M, nullptr);
    for (int threads : {1, 2, 3}) {
        base::WorkerTeam team(threads);
        std::vector<float> got(N * K, 123.0f);  // assigned, not accumulated
        matmul_backward_dx(got.data(), dout.data(), w, N, &team);
        for (int64_t i = 0; i < N * K; ++i) {
            ASSERT_NEAR(got[i], want[i], 2e-5 * bound[i] + 1e-30)
                << tensor::dtype_name(dt) << " threads " << threads << " at " << i;
            ASSERT_NEAR(got[i], dense[i], 4e-5 * bound[i] + 1e-30);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, MatmulDxTest,
                         ::testing::Values(DType::kF32, DType::kF16, DType::kBF16, DType::kQ8_0,
                                           DType::kQ4_0, DType::kQ4_1),
                         [](const auto& info) {
                             return std::string(tensor::dtype_name(info.param));
                         });

}  // namespace
}  // namespace jenny::kernels
