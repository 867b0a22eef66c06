// rmsnorm_forward against the reference (double sums): |err| <= 1e-5 * (1 + |ref|), since
// the fast path sums squares in f32 (relative error ~C * 2^-24 of a positive sum).
// rmsnorm_backward: bounds stated above its test; finite differences (gradcheck.h) on x and
// weight of L = Σ out · g.
#include "jenny/kernels/norm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/gradcheck.h"

namespace jenny::kernels {
namespace {

TEST(KernelsRmsNorm, MatchesReference) {
    std::mt19937 rng(2);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    for (int64_t C : {1, 7, 64, 576, 1000}) {
        for (int64_t N : {1, 3, 17}) {
            std::vector<float> x(static_cast<size_t>(N * C)), w(static_cast<size_t>(C));
            for (float& v : x) v = dist(rng) * 30.0f;
            for (float& v : w) v = dist(rng);
            std::vector<float> out(x.size()), ref(x.size());
            rmsnorm_forward(out.data(), x.data(), w.data(), N, C, 1e-5f);
            reference::rmsnorm_forward(ref.data(), x.data(), w.data(), N, C, 1e-5f);
            for (size_t i = 0; i < out.size(); ++i) {
                ASSERT_NEAR(out[i], ref[i], 1e-5 * (1.0 + std::fabs(ref[i])))
                    << "C=" << C << " i=" << i;
            }
            // In place.
            std::vector<float> y = x;
            rmsnorm_forward(y.data(), y.data(), w.data(), N, C, 1e-5f);
            EXPECT_EQ(y, out);
        }
    }
}

TEST(KernelsRmsNorm, ZeroRowGivesZeros) {
    std::vector<float> x(64, 0.0f), w(64, 1.0f), out(64, 1.0f);
    rmsnorm_forward(out.data(), x.data(), w.data(), 1, 64, 1e-6f);
    for (float v : out) EXPECT_EQ(v, 0.0f);
}

// rmsnorm_backward against the reference (double): dx is a difference of two terms, so the
// bound scales with their magnitudes M = r |dout w| + r³/C Σ|dout w x| |x|: |err| <= 2e-5 M
// (r and the reductions in f32, ~C · 2^-24 relative). dweight accumulates over N rows:
// |err| <= 2e-5 Σ_n r |dout x| + 2e-7 |initial|.
TEST(KernelsRmsNormBackward, MatchesReference) {
    std::mt19937 rng(3);
    for (int64_t C : {1, 7, 33, 64, 576}) {
        for (int64_t N : {1, 3, 17}) {
            SCOPED_TRACE(testing::Message() << "N=" << N << " C=" << C);
            const auto x = gradcheck::random_vector(N * C, rng, 3.0f);
            const auto w = gradcheck::random_vector(C, rng);
            const auto dout = gradcheck::random_vector(N * C, rng);
            const auto dw0 = gradcheck::random_vector(C, rng);
            const float eps = 1e-5f;
            std::vector<float> rdx(x.size()), rdw = dw0, dx(x.size()), dw = dw0;
            reference::rmsnorm_backward(rdx.data(), rdw.data(), dout.data(), x.data(), w.data(), N,
                                        C, eps);
            rmsnorm_backward(dx.data(), dw.data(), dout.data(), x.data(), w.data(), N, C, eps);
            std::vector<double> dw_mag(static_cast<size_t>(C), 0.0);
            for (int64_t n = 0; n < N; ++n) {
                double ss = 0.0, uxa = 0.0;
                for (int64_t c = 0; c < C; ++c) {
                    const size_t i = static_cast<size_t>(n * C + c);
                    ss += static_cast<double>(x[i]) * x[i];
                    uxa += std::fabs(static_cast<double>(dout[i]) * w[c] * x[i]);
                }
                const double r = 1.0 / std::sqrt(ss / C + eps);
                for (int64_t c = 0; c < C; ++c) {
                    const size_t i = static_cast<size_t>(n * C + c);
                    const double mag =
                        r * std::fabs(dout[i] * w[c]) + r * r * r / C * uxa * std::fabs(x[i]);
                    ASSERT_NEAR(dx[i], rdx[i], 2e-5 * mag + 1e-30) << i;
                    dw_mag[c] += r * std::fabs(dout[i] * x[i]);
                }
            }
            for (int64_t c = 0; c < C; ++c) {
                ASSERT_NEAR(dw[c], rdw[c], 2e-5 * dw_mag[c] + 2e-7 * std::fabs(dw0[c])) << c;
            }
            // dx may alias dout.
            std::vector<float> inplace = dout, dw2 = dw0;
            rmsnorm_backward(inplace.data(), dw2.data(), inplace.data(), x.data(), w.data(), N, C,
                             eps);
            EXPECT_EQ(inplace, dx);
            EXPECT_EQ(dw2, dw);
        }
    }
}

TEST(KernelsRmsNormBackward, FiniteDifferences) {
    std::mt19937 rng(4);
    const int64_t N = 3, C = 17;
    const float eps = 1e-5f;
    auto x = gradcheck::random_vector(N * C, rng);
    auto w = gradcheck::random_vector(C, rng);
    const auto g = gradcheck::random_vector(N * C, rng);
    auto loss = [&] {
        std::vector<float> out(x.size());
        reference::rmsnorm_forward(out.data(), x.data(), w.data(), N, C, eps);
        return gradcheck::dot(out, g);
    };
    for (bool ref : {true, false}) {
        SCOPED_TRACE(ref ? "reference" : "cpu");
        std::vector<float> dx(x.size()), dw(w.size(), 0.0f);
        (ref ? reference::rmsnorm_backward : rmsnorm_backward)(dx.data(), dw.data(), g.data(),
                                                               x.data(), w.data(), N, C, eps);
        gradcheck::check("dx", x.data(), dx.data(), N * C, loss, rng, 10);
        gradcheck::check("dweight", w.data(), dw.data(), C, loss, rng, 6);
    }
}

}  // namespace
}  // namespace jenny::kernels
