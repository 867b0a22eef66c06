// softmax_forward / log_softmax_forward against the reference (double): the fast path uses a
// polynomial exp within 2 ulp and f32 sums, so softmax |err| <= 2e-6 * (ref + 1e-6) and
// log_softmax |err| <= 2e-6 * (1 + |ref|). Covers large magnitudes (1e4, -1e30), -inf entries
// and V not a multiple of 8.
#include "jenny/kernels/softmax.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace jenny::kernels {
namespace {

void check(const std::vector<float>& x, int64_t N, int64_t V) {
    std::vector<float> p(x.size()), lp(x.size()), rp(x.size()), rlp(x.size());
    softmax_forward(p.data(), x.data(), N, V);
    log_softmax_forward(lp.data(), x.data(), N, V);
    reference::softmax_forward(rp.data(), x.data(), N, V);
    reference::log_softmax_forward(rlp.data(), x.data(), N, V);
    for (size_t i = 0; i < x.size(); ++i) {
        ASSERT_NEAR(p[i], rp[i], 2e-6 * (rp[i] + 1e-6)) << "V=" << V << " i=" << i << " x=" << x[i];
        if (std::isfinite(rlp[i]) && rlp[i] > -80.0f) {
            ASSERT_NEAR(lp[i], rlp[i], 2e-6 * (1.0 + std::fabs(rlp[i]))) << "V=" << V << " i=" << i;
        }
    }
    // In place agrees with out of place.
    std::vector<float> y = x;
    softmax_forward(y.data(), y.data(), N, V);
    EXPECT_EQ(y, p);
}

TEST(KernelsSoftmax, MatchesReference) {
    std::mt19937 rng(4);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    for (int64_t V : {1, 5, 8, 33, 1000, 49152}) {
        for (float scale : {1.0f, 30.0f, 1e4f}) {
            const int64_t N = V > 1000 ? 1 : 3;
            std::vector<float> x(static_cast<size_t>(N * V));
            for (float& v : x) v = dist(rng) * scale;
            check(x, N, V);
        }
    }
}

TEST(KernelsSoftmax, ExtremeValues) {
    const float inf = INFINITY;
    std::vector<float> x = {-inf, 0.0f, -1e30f, 3.0f, -inf, 88.0f, -100.0f, 1e4f, 2.0f, -inf, 0.5f};
    check(x, 1, static_cast<int64_t>(x.size()));
    std::vector<float> p(x.size());
    softmax_forward(p.data(), x.data(), 1, static_cast<int64_t>(x.size()));
    EXPECT_EQ(p[7], 1.0f);
    EXPECT_EQ(p[0], 0.0f);
}

}  // namespace
}  // namespace jenny::kernels
