// swiglu_forward / add_forward against the reference: SwiGLU's polynomial exp and f32 divide
// give |err| <= 4e-7 * (1 + |ref|); add is exact.
#include "jenny/kernels/activation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace jenny::kernels {
namespace {

TEST(KernelsActivation, SwigluMatchesReference) {
    std::mt19937 rng(6);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    for (int64_t n : {1, 7, 8, 1536, 1001}) {
        std::vector<float> g(static_cast<size_t>(n)), u(static_cast<size_t>(n));
        for (size_t i = 0; i < g.size(); ++i) {
            g[i] = dist(rng) * (i % 3 == 0 ? 40.0f : 3.0f);
            u[i] = dist(rng);
        }
        g[0] = -200.0f;  // exp(-g) beyond float range: silu -> -0
        std::vector<float> out(g.size()), ref(g.size());
        swiglu_forward(out.data(), g.data(), u.data(), n);
        reference::swiglu_forward(ref.data(), g.data(), u.data(), n);
        for (size_t i = 0; i < out.size(); ++i) {
            ASSERT_NEAR(out[i], ref[i], 4e-7 * (1.0 + std::fabs(ref[i]))) << i << " g=" << g[i];
        }
        std::vector<float> in_place = g;
        swiglu_forward(in_place.data(), in_place.data(), u.data(), n);
        EXPECT_EQ(in_place, out);
    }
}

TEST(KernelsActivation, AddIsExact) {
    std::vector<float> a(13), b(13), out(13), ref(13);
    for (int i = 0; i < 13; ++i) {
        a[i] = 0.1f * static_cast<float>(i);
        b[i] = -3.7f + static_cast<float>(i * i);
    }
    add_forward(out.data(), a.data(), b.data(), 13);
    reference::add_forward(ref.data(), a.data(), b.data(), 13);
    EXPECT_EQ(out, ref);
    add_forward(a.data(), a.data(), b.data(), 13);
    EXPECT_EQ(a, ref);
}

}  // namespace
}  // namespace jenny::kernels
