// rmsnorm_forward against the reference (double sums): |err| <= 1e-5 * (1 + |ref|), since
// the fast path sums squares in f32 (relative error ~C * 2^-24 of a positive sum).
#include "jenny/kernels/norm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

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

}  // namespace
}  // namespace jenny::kernels
