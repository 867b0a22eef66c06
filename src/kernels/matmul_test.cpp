// kernels::matmul_forward against reference::matmul_forward for every weight dtype.
//
// Tolerances (stated per comparison, all relative to S = sum_k |w_k x_k|, the scale of the
// rounding error of a dot product):
//   tight  — the fast path against the reference fed the same quantised activations the fast
//            path uses (dequantised q8_0 / q8_K rows; for q4_1 / q5_1 plus ggml's f16 rounding
//            of the q8_1 sums): only f32 accumulation order differs, |err| <= 2e-5 S.
//   loose  — the quantised paths against the reference on the f32 activations: the activation
//            rounding is at most 0.57 d per element (d = block amax / 127, including the f16
//            rounding of d), so |err| <= sum_k |w_k| * 0.6 * d_k + 2e-5 S.
//   dense  — f32 / f16 / bf16 weights against the reference: |err| <= 2e-5 S.
// Threads: 1, 2 and 3 members give bit-identical outputs (except through OpenBLAS, where each
// team size must meet the dense bound).
//
// matmul_backward (f32, OpenBLAS) against reference::matmul_backward (double): every output
// is a sum of products, so |err| <= 2e-5 S with S the same sum of absolute products (computed
// by the reference on |dout|, |x|, |w|) plus, for the accumulated dw / dbias, 2e-7 |initial|.
// Finite differences (gradcheck.h) on x, w and bias of L = Σ out · g.
#include "jenny/kernels/matmul.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "jenny/base/worker_team.h"
#include "jenny/tensor/quant.h"
#include "kernels/gradcheck.h"

namespace jenny::kernels {
namespace {

using tensor::DType;
using tensor::Tensor;

std::vector<float> random_floats(int64_t n, uint32_t seed, float scale = 1.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, scale);
    std::vector<float> v(static_cast<size_t>(n));
    for (auto& f : v) f = dist(rng);
    // A few outliers, as real activations have.
    for (size_t i = 0; i < v.size(); i += 97) v[i] *= 8.0f;
    return v;
}

// A weight (M, K) of `dtype`. Types quantize_row can produce are quantised from random f32;
// q4_K / q5_K / q6_K get random codes with sane f16 scales.
Tensor random_weight(DType dtype, int64_t M, int64_t K, uint32_t seed) {
    if (tensor::can_quantize(dtype)) {
        std::vector<float> f = random_floats(M * K, seed, 0.5f);
        Tensor w32 = Tensor::empty(DType::kF32, {M, K});
        std::copy(f.begin(), f.end(), w32.mutable_data_as<float>());
        return dtype == DType::kF32 ? w32 : w32.convert(dtype);
    }
    Tensor w = Tensor::empty(dtype, {M, K});
    auto* bytes = w.mutable_data_as<uint8_t>();
    std::mt19937 rng(seed);
    for (size_t i = 0; i < w.nbytes(); ++i) bytes[i] = static_cast<uint8_t>(rng());
    std::uniform_real_distribution<float> scale(0.0005f, 0.004f);
    const int64_t blocks = static_cast<int64_t>(w.nbytes()) / tensor::dtype_info(dtype).type_size;
    for (int64_t b = 0; b < blocks; ++b) {
        if (dtype == DType::kQ4_K) {
            auto& blk = reinterpret_cast<tensor::BlockQ4_K*>(bytes)[b];
            blk.d = tensor::f32_to_f16(scale(rng));
            blk.dmin = tensor::f32_to_f16(scale(rng));
        } else if (dtype == DType::kQ5_K) {
            auto& blk = reinterpret_cast<tensor::BlockQ5_K*>(bytes)[b];
            blk.d = tensor::f32_to_f16(scale(rng));
            blk.dmin = tensor::f32_to_f16(scale(rng));
        } else if (dtype == DType::kQ6_K) {
            reinterpret_cast<tensor::BlockQ6_K*>(bytes)[b].d =
                tensor::f32_to_f16(scale(rng) * 0.1f);
        }
    }
    return w;
}

bool is_q32(DType t) {
    return t == DType::kQ8_0 || t == DType::kQ4_0 || t == DType::kQ4_1 || t == DType::kQ5_0 ||
           t == DType::kQ5_1;
}
bool is_qk(DType t) { return t == DType::kQ4_K || t == DType::kQ5_K || t == DType::kQ6_K; }

// What the fast path computes with: x (N, K) quantised to q8_0 (or q8_K) and back.
std::vector<float> requantised(const std::vector<float>& x, int64_t N, int64_t K, DType act) {
    std::vector<float> out(x.size());
    std::vector<uint8_t> q(tensor::row_bytes(act, K));
    for (int64_t n = 0; n < N; ++n) {
        tensor::quantize_row(act, x.data() + n * K, q.data(), K);
        tensor::dequantize_row(act, q.data(), out.data() + n * K, K);
    }
    return out;
}

// ggml's q8_1 sums are f16(d_f32 * sum(q)); the exact value is d_f16 * sum(q). The tight
// reference adds sum_b m_b * (s_ggml - s_exact) for the _1 types.
float q8_1_correction(const Tensor& w, int64_t m, const float* x, int64_t K) {
    if (w.dtype() != DType::kQ4_1 && w.dtype() != DType::kQ5_1) return 0.0f;
    std::vector<tensor::BlockQ8_0> q(static_cast<size_t>(K / 32));
    tensor::quantize_row(DType::kQ8_0, x, q.data(), K);
    double corr = 0.0;
    for (int64_t b = 0; b < K / 32; ++b) {
        float amax = 0.0f;
        int sum = 0;
        for (int j = 0; j < 32; ++j) {
            amax = std::max(amax, std::fabs(x[b * 32 + j]));
            sum += q[static_cast<size_t>(b)].qs[j];
        }
        const float s_ggml =
            tensor::f16_to_f32(tensor::f32_to_f16(amax / 127.0f * static_cast<float>(sum)));
        const double s_exact =
            static_cast<double>(tensor::f16_to_f32(q[static_cast<size_t>(b)].d)) * sum;
        const uint16_t mbits = w.dtype() == DType::kQ4_1
                                   ? reinterpret_cast<const tensor::BlockQ4_1*>(w.row(m))[b].m
                                   : reinterpret_cast<const tensor::BlockQ5_1*>(w.row(m))[b].m;
        corr += static_cast<double>(tensor::f16_to_f32(mbits)) * (s_ggml - s_exact);
    }
    return static_cast<float>(corr);
}

struct Case {
    DType dtype;
    int64_t N, M, K;
};

void check_case(const Case& c, base::WorkerTeam* team2, base::WorkerTeam* team3) {
    SCOPED_TRACE(testing::Message()
                 << tensor::dtype_name(c.dtype) << " N=" << c.N << " M=" << c.M << " K=" << c.K);
    const Tensor w = random_weight(c.dtype, c.M, c.K, static_cast<uint32_t>(c.M * 31 + c.K));
    const std::vector<float> x = random_floats(c.N * c.K, static_cast<uint32_t>(c.N + 7));
    const std::vector<float> bias = random_floats(c.M, 3);
    const Tensor w32 = w.to_f32();

    std::vector<float> out1(static_cast<size_t>(c.N * c.M)), out2(out1.size()), out3(out1.size());
    matmul_forward(out1.data(), x.data(), w, bias.data(), c.N, nullptr);
    matmul_forward(out2.data(), x.data(), w, bias.data(), c.N, team2);
    matmul_forward(out3.data(), x.data(), w, bias.data(), c.N, team3);
    // OpenBLAS (f32 / f16 / bf16 with N >= 8) may block a row slice differently from the
    // whole, so those paths are checked against the reference tolerance below instead.
    const bool blas = !is_q32(c.dtype) && !is_qk(c.dtype) && c.N >= 8;
    if (!blas) {
        ASSERT_EQ(out1, out2) << "2 threads differ from 1";
        ASSERT_EQ(out1, out3) << "3 threads differ from 1";
    }

    std::vector<float> ref(out1.size());
    reference::matmul_forward(ref.data(), x.data(), w, bias.data(), c.N);
    const bool quant = is_q32(c.dtype) || is_qk(c.dtype);
    std::vector<float> ref_q(out1.size());
    std::vector<float> xq;
    if (quant) {
        xq = requantised(x, c.N, c.K, is_qk(c.dtype) ? DType::kQ8_K : DType::kQ8_0);
        reference::matmul_forward(ref_q.data(), xq.data(), w, bias.data(), c.N);
    }
    const float* wf = w32.data_as<float>();
    int bad = 0;
    for (int64_t n = 0; n < c.N && bad < 5; ++n) {
        for (int64_t m = 0; m < c.M && bad < 5; ++m) {
            double abs_sum = std::fabs(bias[static_cast<size_t>(m)]), quant_err = 0.0;
            const int64_t block = is_qk(c.dtype) ? 256 : 32;
            for (int64_t k0 = 0; k0 < c.K; k0 += block) {
                // f32 / f16 / bf16 cases have K that is not a whole number of blocks.
                const int64_t k1 = std::min(c.K, k0 + block);
                float amax = 0.0f;
                for (int64_t k = k0; k < k1; ++k) amax = std::max(amax, std::fabs(x[n * c.K + k]));
                for (int64_t k = k0; k < k1; ++k) {
                    const double wk = std::fabs(wf[m * c.K + k]);
                    abs_sum += wk * std::fabs(x[n * c.K + k]);
                    quant_err += wk * 0.6 * amax / 127.0;
                }
            }
            const size_t i = static_cast<size_t>(n * c.M + m);
            const double tight = 2e-5 * abs_sum + 1e-6;
            if (quant) {
                const double want = ref_q[i] + q8_1_correction(w, m, x.data() + n * c.K, c.K);
                if (std::fabs(out1[i] - want) > tight) {
                    ADD_FAILURE() << "tight n=" << n << " m=" << m << " got " << out1[i] << " want "
                                  << want << " tol " << tight;
                    ++bad;
                }
                if (std::fabs(out1[i] - ref[i]) > quant_err + tight) {
                    ADD_FAILURE() << "loose n=" << n << " m=" << m << " got " << out1[i] << " want "
                                  << ref[i] << " tol " << quant_err + tight;
                    ++bad;
                }
            } else {
                for (const auto* out : {&out1, &out2, &out3}) {
                    if (std::fabs((*out)[i] - ref[i]) > tight) {
                        ADD_FAILURE() << "dense n=" << n << " m=" << m << " got " << (*out)[i]
                                      << " want " << ref[i] << " tol " << tight;
                        ++bad;
                    }
                }
            }
        }
    }
}

class KernelsMatmulTest : public testing::TestWithParam<DType> {};

TEST_P(KernelsMatmulTest, MatchesReference) {
    base::WorkerTeam team2(2), team3(3);
    const DType t = GetParam();
    const std::vector<int64_t> ks = is_qk(t)    ? std::vector<int64_t>{256, 768}
                                    : is_q32(t) ? std::vector<int64_t>{32, 288, 576}
                                                : std::vector<int64_t>{7, 32, 288, 576};
    for (int64_t K : ks) {
        for (int64_t N : {1, 3, 17, 64}) {
            for (int64_t M : {1, 7, 33}) check_case({t, N, M, K}, &team2, &team3);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(AllDTypes, KernelsMatmulTest,
                         testing::Values(DType::kF32, DType::kF16, DType::kBF16, DType::kQ8_0,
                                         DType::kQ4_0, DType::kQ4_1, DType::kQ5_0, DType::kQ5_1,
                                         DType::kQ4_K, DType::kQ5_K, DType::kQ6_K),
                         [](const testing::TestParamInfo<DType>& info) {
                             return std::string(tensor::dtype_name(info.param));
                         });

// Integer activations with 127 in every block quantise with d = 1, so q8_0 x q8_0 is exact.
TEST(KernelsMatmul, Q8_0ExactOnQuantisedInputs) {
    const int64_t K = 64, M = 5;
    std::vector<float> x(K);
    for (int64_t k = 0; k < K; ++k) {
        x[static_cast<size_t>(k)] = k % 32 == 0 ? 127.0f : static_cast<float>((k * 37) % 255 - 127);
    }
    std::vector<float> wf(M * K);
    for (int64_t i = 0; i < M * K; ++i) {
        wf[static_cast<size_t>(i)] =
            i % 32 == 0 ? -127.0f : static_cast<float>((i * 13) % 255 - 127);
    }
    Tensor w32 = Tensor::empty(DType::kF32, {M, K});
    std::copy(wf.begin(), wf.end(), w32.mutable_data_as<float>());
    const Tensor w = w32.convert(DType::kQ8_0);
    std::vector<float> out(M), ref(M);
    matmul_forward(out.data(), x.data(), w, nullptr, 1, nullptr);
    reference::matmul_forward(ref.data(), x.data(), w, nullptr, 1);
    EXPECT_EQ(out, ref);
}

TEST(KernelsMatmul, LargeMagnitudesAndZeros) {
    // Zero blocks (d = 0) and activations near f16's range of scales.
    const int64_t K = 96, M = 9, N = 2;
    std::vector<float> x(N * K, 0.0f);
    for (int64_t k = 32; k < 64; ++k)
        x[static_cast<size_t>(k)] = 3000.0f * static_cast<float>(k % 5 - 2);
    for (DType t : {DType::kQ8_0, DType::kQ4_0, DType::kQ4_1, DType::kQ5_0, DType::kQ5_1}) {
        const Tensor w = random_weight(t, M, K, 5);
        std::vector<float> out(N * M), ref(N * M);
        const std::vector<float> xq = requantised(x, N, K, DType::kQ8_0);
        matmul_forward(out.data(), x.data(), w, nullptr, N, nullptr);
        reference::matmul_forward(ref.data(), xq.data(), w, nullptr, N);
        const Tensor w32 = w.to_f32();
        for (int64_t n = 0; n < N; ++n) {
            for (int64_t m = 0; m < M; ++m) {
                double abs_sum = 0.0;
                for (int64_t k = 0; k < K; ++k) {
                    abs_sum += std::fabs(w32.data_as<float>()[m * K + k] *
                                         x[static_cast<size_t>(n * K + k)]);
                }
                const size_t i = static_cast<size_t>(n * M + m);
                EXPECT_NEAR(out[i], ref[i], 1e-4 * abs_sum + 1e-6) << dtype_name(t) << " " << i;
            }
        }
    }
}

std::vector<float> abs_of(const std::vector<float>& v) {
    std::vector<float> a(v.size());
    for (size_t i = 0; i < v.size(); ++i) a[i] = std::fabs(v[i]);
    return a;
}

TEST(KernelsMatmulBackward, MatchesReference) {
    base::WorkerTeam team2(2), team3(3);
    std::mt19937 rng(21);
    for (int64_t N : {1, 3, 17, 64}) {
        for (int64_t K : {7, 33, 64}) {
            for (int64_t M : {1, 7, 33, 64}) {
                SCOPED_TRACE(testing::Message() << "N=" << N << " K=" << K << " M=" << M);
                const auto x = gradcheck::random_vector(N * K, rng);
                const auto w = gradcheck::random_vector(M * K, rng);
                const auto dout = gradcheck::random_vector(N * M, rng);
                const auto dw0 = gradcheck::random_vector(M * K, rng);
                const auto db0 = gradcheck::random_vector(M, rng);
                std::vector<float> rdx(x.size()), rdw = dw0, rdb = db0;
                reference::matmul_backward(rdx.data(), rdw.data(), rdb.data(), dout.data(),
                                           x.data(), w.data(), N, K, M);
                // S: the sums of |products| each output's rounding error scales with.
                std::vector<float> sdx(x.size()), sdw(w.size(), 0.0f), sdb(db0.size(), 0.0f);
                reference::matmul_backward(sdx.data(), sdw.data(), sdb.data(), abs_of(dout).data(),
                                           abs_of(x).data(), abs_of(w).data(), N, K, M);
                for (base::WorkerTeam* team :
                     {static_cast<base::WorkerTeam*>(nullptr), &team2, &team3}) {
                    std::vector<float> dx(x.size(), 1e30f), dw = dw0, db = db0;
                    matmul_backward(dx.data(), dw.data(), db.data(), dout.data(), x.data(),
                                    w.data(), N, K, M, team);
                    for (size_t i = 0; i < dx.size(); ++i)
                        ASSERT_NEAR(dx[i], rdx[i], 2e-5 * sdx[i] + 1e-30) << "dx " << i;
                    for (size_t i = 0; i < dw.size(); ++i) {
                        ASSERT_NEAR(dw[i], rdw[i], 2e-5 * sdw[i] + 2e-7 * std::fabs(dw0[i]))
                            << "dw " << i;
                    }
                    for (size_t i = 0; i < db.size(); ++i) {
                        ASSERT_NEAR(db[i], rdb[i], 2e-5 * sdb[i] + 2e-7 * std::fabs(db0[i]))
                            << "dbias " << i;
                    }
                    // Each output alone (the others nullptr) is the same computation.
                    std::vector<float> dx1(x.size()), dw1 = dw0, db1 = db0;
                    matmul_backward(dx1.data(), nullptr, nullptr, dout.data(), x.data(), w.data(),
                                    N, K, M, team);
                    matmul_backward(nullptr, dw1.data(), nullptr, dout.data(), x.data(), w.data(),
                                    N, K, M, team);
                    matmul_backward(nullptr, nullptr, db1.data(), dout.data(), x.data(), w.data(),
                                    N, K, M, team);
                    EXPECT_EQ(dx1, dx);
                    EXPECT_EQ(dw1, dw);
                    EXPECT_EQ(db1, db);
                }
            }
        }
    }
}

TEST(KernelsMatmulBackward, FiniteDifferences) {
    std::mt19937 rng(22);
    const int64_t N = 5, K = 13, M = 7;
    auto x = gradcheck::random_vector(N * K, rng);
    auto bias = gradcheck::random_vector(M, rng);
    const auto g = gradcheck::random_vector(N * M, rng);
    Tensor wt = Tensor::empty(DType::kF32, {M, K});
    float* w = wt.mutable_data_as<float>();
    const auto w0 = gradcheck::random_vector(M * K, rng);
    std::copy(w0.begin(), w0.end(), w);
    auto loss = [&] {
        std::vector<float> out(static_cast<size_t>(N * M));
        reference::matmul_forward(out.data(), x.data(), wt, bias.data(), N);
        return gradcheck::dot(out, g);
    };
    base::WorkerTeam team2(2);
    for (bool ref : {true, false}) {
        SCOPED_TRACE(ref ? "reference" : "cpu");
        std::vector<float> dx(x.size()), dw(w0.size(), 0.0f), db(bias.size(), 0.0f);
        if (ref) {
            reference::matmul_backward(dx.data(), dw.data(), db.data(), g.data(), x.data(), w, N, K,
                                       M);
        } else {
            matmul_backward(dx.data(), dw.data(), db.data(), g.data(), x.data(), w, N, K, M,
                            &team2);
        }
        gradcheck::check("dx", x.data(), dx.data(), N * K, loss, rng);
        gradcheck::check("dw", w, dw.data(), M * K, loss, rng);
        gradcheck::check("dbias", bias.data(), db.data(), M, loss, rng);
    }
}

}  // namespace
}  // namespace jenny::kernels
