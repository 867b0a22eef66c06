// AdamW against torch.optim.AdamW's update written out in double (one tensor, a few steps),
// gradient clipping as torch.nn.utils.clip_grad_norm_, and the learning-rate schedules.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "jenny/train/adamw.h"
#include "jenny/train/lr_schedule.h"

namespace jenny::train {
namespace {

TEST(AdamW, MatchesTheTorchUpdateWithAndWithoutDecay) {
    AdamWConfig c;
    c.beta1 = 0.9;
    c.beta2 = 0.95;
    c.eps = 1e-8;
    c.weight_decay = 0.1;
    const int n = 6;
    AdamW opt(c, n, {{0, 3, true}, {3, 3, false}});
    std::vector<float> p = {0.5f, -1.0f, 2.0f, 0.25f, -0.5f, 1.5f};
    std::vector<double> pd(p.begin(), p.end()), m(n, 0), v(n, 0);
    base::WorkerTeam team(2);
    for (int t = 1; t <= 4; ++t) {
        std::vector<float> g(n);
        for (int i = 0; i < n; ++i) g[i] = std::sin(1.0f + i * 0.7f + t) * 0.3f;
        const double lr = 1e-2 * t;
        opt.step(p.data(), g.data(), lr, &team);
        for (int i = 0; i < n; ++i) {
            if (i < 3) pd[i] *= 1 - lr * c.weight_decay;
            m[i] = c.beta1 * m[i] + (1 - c.beta1) * g[i];
            v[i] = c.beta2 * v[i] + (1 - c.beta2) * g[i] * g[i];
            const double mh = m[i] / (1 - std::pow(c.beta1, t));
            const double denom = std::sqrt(v[i]) / std::sqrt(1 - std::pow(c.beta2, t)) + c.eps;
            pd[i] -= lr * mh / denom;
        }
    }
    EXPECT_EQ(opt.step_count(), 4);
    for (int i = 0; i < n; ++i) EXPECT_NEAR(p[i], pd[i], 1e-6) << i;
}

TEST(AdamW, ClipScalesOnlyAboveTheBoundAsTorchDoes) {
    std::vector<float> g = {3.0f, 4.0f};
    const double norm = grad_global_norm(g.data(), 2, nullptr);
    EXPECT_DOUBLE_EQ(norm, 5.0);
    EXPECT_FLOAT_EQ(clip_grad_norm(g.data(), 2, norm, 10.0, nullptr), 1.0f);
    EXPECT_FLOAT_EQ(g[0], 3.0f);
    const float coef = clip_grad_norm(g.data(), 2, norm, 1.0, nullptr);
    EXPECT_FLOAT_EQ(coef, static_cast<float>(1.0 / (5.0 + 1e-6)));
    EXPECT_NEAR(g[0], 0.6, 1e-6);
    EXPECT_TRUE(all_finite(g.data(), 2, nullptr));
    g[1] = NAN;
    EXPECT_FALSE(all_finite(g.data(), 2, nullptr));
}

TEST(AdamW, RejectsBadSettings) {
    AdamWConfig c;
    c.beta2 = 1.0;
    EXPECT_FALSE(c.validate().ok());
    c = {};
    c.eps = 0;
    EXPECT_FALSE(c.validate().ok());
    c = {};
    c.grad_clip = -1;
    EXPECT_NE(c.validate().message().find("grad_clip"), std::string::npos);
}

TEST(LrSchedule, WarmupThenCosine) {
    LrSchedule s;
    s.lr_max = 1e-2;
    s.lr_min = 1e-3;
    s.warmup_steps = 3;
    s.total_steps = 10;
    EXPECT_DOUBLE_EQ(s.lr(0), 1e-2 / 3);
    EXPECT_DOUBLE_EQ(s.lr(2), 1e-2);
    EXPECT_DOUBLE_EQ(s.lr(3), 1e-2);
    const double p = 4.0 / 7;
    EXPECT_DOUBLE_EQ(s.lr(7), 1e-3 + 0.5 * 9e-3 * (1 + std::cos(std::numbers::pi * p)));
    EXPECT_DOUBLE_EQ(s.lr(10), 1e-3);
    EXPECT_DOUBLE_EQ(s.lr(50), 1e-3);
}

TEST(LrSchedule, WsdLinearConstant) {
    LrSchedule s;
    s.lr_max = 1.0;
    s.lr_min = 0.0;
    s.warmup_steps = 2;
    s.total_steps = 12;
    s.kind = "wsd";
    s.decay_fraction = 0.5;
    EXPECT_DOUBLE_EQ(s.lr(1), 1.0);
    EXPECT_DOUBLE_EQ(s.lr(5), 1.0);
    EXPECT_DOUBLE_EQ(s.lr(6), 1.0);
    EXPECT_DOUBLE_EQ(s.lr(9), 0.5);
    EXPECT_DOUBLE_EQ(s.lr(12), 0.0);
    s.kind = "linear";
    EXPECT_DOUBLE_EQ(s.lr(7), 0.5);
    s.kind = "constant";
    EXPECT_DOUBLE_EQ(s.lr(11), 1.0);
    s.lr_min = 2.0;
    EXPECT_NE(s.validate().message().find("lr_min"), std::string::npos);
}

}  // namespace
}  // namespace jenny::train
