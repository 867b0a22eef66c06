// swiglu_forward / add_forward against the reference: SwiGLU's polynomial exp and f32 divide
// give |err| <= 4e-7 * (1 + |ref|); add is exact. Backward: bounds above each test; finite
// differences (gradcheck.h) of L = Σ out · g on both inputs of each op.
#include "jenny/kernels/activation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/gradcheck.h"

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

// swiglu_backward against the reference: polynomial exp, f32 divide and the cancellation in
// 1 − s give |err| <= 2e-6 (|dout up| + |dout|) + 2e-6 |ref| (plus denormal-sized
// differences where exp(-g) leaves f32's range).
TEST(KernelsActivation, SwigluBackwardMatchesReference) {
    std::mt19937 rng(7);
    for (int64_t n : {1, 7, 8, 17, 1001}) {
        auto g = gradcheck::random_vector(n, rng, 3.0f);
        for (size_t i = 0; i < g.size(); i += 3) g[i] *= 13.0f;
        g[0] = -200.0f;
        const auto u = gradcheck::random_vector(n, rng);
        const auto d = gradcheck::random_vector(n, rng);
        std::vector<float> dg(g.size()), du(g.size()), rdg(g.size()), rdu(g.size());
        swiglu_backward(dg.data(), du.data(), d.data(), g.data(), u.data(), n);
        reference::swiglu_backward(rdg.data(), rdu.data(), d.data(), g.data(), u.data(), n);
        for (size_t i = 0; i < g.size(); ++i) {
            ASSERT_NEAR(dg[i], rdg[i], 2e-6 * (std::fabs(d[i] * u[i]) + std::fabs(rdg[i])) + 1e-30)
                << i << " g=" << g[i];
            ASSERT_NEAR(du[i], rdu[i], 2e-6 * (std::fabs(d[i]) + std::fabs(rdu[i])) + 1e-30)
                << i << " g=" << g[i];
        }
        // dgate / dup may alias gate / up.
        std::vector<float> g2 = g, u2 = u;
        swiglu_backward(g2.data(), u2.data(), d.data(), g2.data(), u2.data(), n);
        EXPECT_EQ(g2, dg);
        EXPECT_EQ(u2, du);
    }
}

TEST(KernelsActivation, AddBackwardCopies) {
    const std::vector<float> d = {1.0f, -2.5f, 3.0f, 0.0f, 7.0f};
    std::vector<float> a(5, 9.0f), b(5, 9.0f), ra(5), rb(5);
    add_backward(a.data(), b.data(), d.data(), 5);
    reference::add_backward(ra.data(), rb.data(), d.data(), 5);
    EXPECT_EQ(a, d);
    EXPECT_EQ(b, d);
    EXPECT_EQ(ra, d);
    EXPECT_EQ(rb, d);
    std::vector<float> c(5, 9.0f), same = d;
    add_backward(nullptr, c.data(), d.data(), 5);
    add_backward(same.data(), nullptr, same.data(), 5);  // da aliasing dout
    EXPECT_EQ(c, d);
    EXPECT_EQ(same, d);
}

TEST(KernelsActivation, BackwardFiniteDifferences) {
    std::mt19937 rng(8);
    const int64_t n = 37;
    auto gate = gradcheck::random_vector(n, rng, 2.0f);
    auto up = gradcheck::random_vector(n, rng);
    const auto g = gradcheck::random_vector(n, rng);
    auto swiglu_loss = [&] {
        std::vector<float> out(gate.size());
        reference::swiglu_forward(out.data(), gate.data(), up.data(), n);
        return gradcheck::dot(out, g);
    };
    auto add_loss = [&] {
        std::vector<float> out(gate.size());
        reference::add_forward(out.data(), gate.data(), up.data(), n);
        return gradcheck::dot(out, g);
    };
    for (bool ref : {true, false}) {
        SCOPED_TRACE(ref ? "reference" : "cpu");
        std::vector<float> dg(gate.size()), du(gate.size());
        (ref ? reference::swiglu_backward : swiglu_backward)(dg.data(), du.data(), g.data(),
                                                             gate.data(), up.data(), n);
        gradcheck::check("swiglu dgate", gate.data(), dg.data(), n, swiglu_loss, rng, 10);
        gradcheck::check("swiglu dup", up.data(), du.data(), n, swiglu_loss, rng, 10);
        (ref ? reference::add_backward : add_backward)(dg.data(), du.data(), g.data(), n);
        gradcheck::check("add da", gate.data(), dg.data(), n, add_loss, rng, 4);
        gradcheck::check("add db", up.data(), du.data(), n, add_loss, rng, 4);
    }
}

}  // namespace
}  // namespace jenny::kernels
