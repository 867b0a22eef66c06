// kernels::lm_head_cross_entropy (chunked, OpenBLAS, f32 softmax) against
// reference::lm_head_cross_entropy (full logits in double).
//
// Tolerances. Logits are f32 sums of C <= 64 products of O(1) values: absolute error ~1e-5,
// which moves each -log p by about as much, so |loss - ref| <= 2e-5 · (n_targets + |ref|).
// The gradients are grad_scale · (p − onehot) (|entries| <= grad_scale) times w or x, summed
// over V or over the chunk's rows in f32: |err| <= 1e-4 · grad_scale + 1e-5 · |ref| (plus
// 2e-7 · |initial| for the accumulated dw). Chunk sizes 1, 3, N and > N and team sizes 1 / 2 /
// 3 each meet the same bound against the reference (sgemm splits may change rounding).
// Finite differences (gradcheck.h) of grad_scale · loss_sum on x and w.
#include "jenny/kernels/cross_entropy.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <cmath>
#include <random>
#include <thread>
#include <vector>

#include "jenny/base/worker_team.h"
#include "kernels/gradcheck.h"

namespace jenny::kernels {
namespace {

struct Problem {
    int64_t N, C, V;
    std::vector<float> x, w;
    std::vector<int32_t> targets;
    int64_t n_targets = 0;
};

Problem make_problem(int64_t N, int64_t C, int64_t V, uint32_t seed) {
    std::mt19937 rng(seed);
    Problem p{
        N, C, V, gradcheck::random_vector(N * C, rng), gradcheck::random_vector(V * C, rng, 0.5f),
        {}};
    std::uniform_int_distribution<int32_t> tok(0, static_cast<int32_t>(V - 1));
    for (int64_t n = 0; n < N; ++n) {
        // Every third token is masked out (one unmasked token at least).
        const bool masked = n % 3 == 1;
        p.targets.push_back(masked ? -1 : tok(rng));
        p.n_targets += masked ? 0 : 1;
    }
    return p;
}

void expect_grad_near(const std::vector<float>& got, const std::vector<float>& want,
                      const std::vector<float>& initial, float grad_scale, const char* what) {
    ASSERT_EQ(got.size(), want.size());
    int bad = 0;
    for (size_t i = 0; i < got.size() && bad < 5; ++i) {
        const double tol = 1e-4 * grad_scale + 1e-5 * std::fabs(want[i]) +
                           (initial.empty() ? 0.0 : 2e-7 * std::fabs(initial[i]));
        if (!(std::fabs(got[i] - want[i]) <= tol)) {
            ADD_FAILURE() << what << "[" << i << "] got " << got[i] << " want " << want[i];
            ++bad;
        }
    }
}

TEST(KernelsCrossEntropy, MatchesReference) {
    base::WorkerTeam team2(2), team3(3);
    for (int64_t N : {1, 3, 17}) {
        for (int64_t C : {7, 33, 64}) {
            for (int64_t V : {11, 257}) {
                SCOPED_TRACE(testing::Message() << "N=" << N << " C=" << C << " V=" << V);
                const Problem p = make_problem(N, C, V, static_cast<uint32_t>(N * 1000 + C + V));
                const float gs = 1.0f / static_cast<float>(p.n_targets);
                std::mt19937 rng(3);
                const auto dw0 = gradcheck::random_vector(V * C, rng);
                std::vector<float> rdx(p.x.size()), rdw = dw0;
                const CrossEntropyStats ref = reference::lm_head_cross_entropy(
                    rdx.data(), rdw.data(), p.x.data(), p.w.data(), p.targets.data(), N, C, V, gs);
                ASSERT_EQ(ref.n_targets, p.n_targets);
                for (int64_t chunk : {int64_t{1}, int64_t{3}, N, N + 5}) {
                    for (base::WorkerTeam* team :
                         {static_cast<base::WorkerTeam*>(nullptr), &team2, &team3}) {
                        SCOPED_TRACE(testing::Message()
                                     << "chunk=" << chunk << " team=" << (team ? team->size() : 1));
                        std::vector<float> dx(p.x.size(), 1e30f), dw = dw0;
                        const CrossEntropyStats st =
                            lm_head_cross_entropy(dx.data(), dw.data(), p.x.data(), p.w.data(),
                                                  p.targets.data(), N, C, V, gs, chunk, team);
                        EXPECT_EQ(st.n_targets, ref.n_targets);
                        EXPECT_NEAR(
                            st.loss_sum, ref.loss_sum,
                            2e-5 * (static_cast<double>(ref.n_targets) + std::fabs(ref.loss_sum)));
                        expect_grad_near(dx, rdx, {}, gs, "dx");
                        expect_grad_near(dw, rdw, dw0, gs, "dw");
                        // Loss only: same loss, nothing written.
                        const CrossEntropyStats lo =
                            lm_head_cross_entropy(nullptr, nullptr, p.x.data(), p.w.data(),
                                                  p.targets.data(), N, C, V, gs, chunk, team);
                        EXPECT_EQ(lo.n_targets, st.n_targets);
                        EXPECT_DOUBLE_EQ(lo.loss_sum, st.loss_sum);
                    }
                }
            }
        }
    }
}

// Two tokens, three classes, two channels: the loss written out by hand in double.
TEST(KernelsCrossEntropy, LossMatchesDirectComputation) {
    const std::vector<float> x = {1.0f, -2.0f, 0.5f, 0.25f};              // (2, 2)
    const std::vector<float> w = {0.5f, 1.0f, -1.0f, 0.0f, 2.0f, -0.5f};  // (3, 2)
    const std::vector<int32_t> targets = {2, 0};
    double want = 0.0;
    for (int n = 0; n < 2; ++n) {
        double logits[3], sum = 0.0;
        for (int v = 0; v < 3; ++v) {
            logits[v] = static_cast<double>(x[2 * n]) * w[2 * v] +
                        static_cast<double>(x[2 * n + 1]) * w[2 * v + 1];
            sum += std::exp(logits[v]);
        }
        want += std::log(sum) - logits[targets[n]];
    }
    const CrossEntropyStats st = lm_head_cross_entropy(nullptr, nullptr, x.data(), w.data(),
                                                       targets.data(), 2, 2, 3, 1.0f, 1, nullptr);
    EXPECT_EQ(st.n_targets, 2);
    EXPECT_NEAR(st.loss_sum, want, 1e-6 * want);
    const CrossEntropyStats rf = reference::lm_head_cross_entropy(
        nullptr, nullptr, x.data(), w.data(), targets.data(), 2, 2, 3, 1.0f);
    EXPECT_NEAR(rf.loss_sum, want, 1e-12 * want);
}

// Masked tokens: the loss, dw and the other rows' dx equal those of the problem without them,
// and their dx rows are exactly 0.
TEST(KernelsCrossEntropy, MaskedTargetsContributeNothing) {
    const Problem p = make_problem(13, 16, 37, 9);
    Problem kept{0, p.C, p.V, {}, p.w, {}};
    for (int64_t n = 0; n < p.N; ++n) {
        if (p.targets[n] < 0) continue;
        kept.x.insert(kept.x.end(), p.x.begin() + n * p.C, p.x.begin() + (n + 1) * p.C);
        kept.targets.push_back(p.targets[n]);
        ++kept.N;
    }
    std::vector<float> dx(p.x.size(), 7.0f), dw(p.w.size(), 0.0f);
    std::vector<float> kdx(kept.x.size()), kdw(p.w.size(), 0.0f);
    const CrossEntropyStats a =
        lm_head_cross_entropy(dx.data(), dw.data(), p.x.data(), p.w.data(), p.targets.data(), p.N,
                              p.C, p.V, 0.5f, 4, nullptr);
    const CrossEntropyStats b =
        lm_head_cross_entropy(kdx.data(), kdw.data(), kept.x.data(), kept.w.data(),
                              kept.targets.data(), kept.N, kept.C, kept.V, 0.5f, 4, nullptr);
    EXPECT_EQ(a.n_targets, kept.N);
    EXPECT_EQ(b.n_targets, kept.N);
    EXPECT_NEAR(a.loss_sum, b.loss_sum, 1e-6 * b.loss_sum);
    expect_grad_near(dw, kdw, {}, 0.5f, "dw");
    int64_t k = 0;
    for (int64_t n = 0; n < p.N; ++n) {
        for (int64_t c = 0; c < p.C; ++c) {
            const float got = dx[static_cast<size_t>(n * p.C + c)];
            if (p.targets[n] < 0) {
                EXPECT_EQ(got, 0.0f) << n;
            } else {
                EXPECT_NEAR(got, kdx[static_cast<size_t>(k * p.C + c)], 1e-6) << n;
            }
        }
        k += p.targets[n] >= 0;
    }
    // All masked: no loss, no targets, zero gradients.
    const std::vector<int32_t> none(static_cast<size_t>(p.N), -1);
    std::vector<float> zdx(p.x.size(), 3.0f), zdw(p.w.size(), 0.0f);
    const CrossEntropyStats z =
        lm_head_cross_entropy(zdx.data(), zdw.data(), p.x.data(), p.w.data(), none.data(), p.N, p.C,
                              p.V, 1.0f, 5, nullptr);
    EXPECT_EQ(z.n_targets, 0);
    EXPECT_EQ(z.loss_sum, 0.0);
    for (float f : zdx) ASSERT_EQ(f, 0.0f);
    for (float f : zdw) ASSERT_EQ(f, 0.0f);
}

// grad_scale multiplies both gradients (a power of two: exactly) and leaves the loss alone.
TEST(KernelsCrossEntropy, GradScaleHonoured) {
    const Problem p = make_problem(9, 24, 40, 12);
    std::vector<float> dx1(p.x.size()), dw1(p.w.size(), 0.0f);
    std::vector<float> dx4(p.x.size()), dw4(p.w.size(), 0.0f);
    const CrossEntropyStats s1 =
        lm_head_cross_entropy(dx1.data(), dw1.data(), p.x.data(), p.w.data(), p.targets.data(), p.N,
                              p.C, p.V, 1.0f, 4, nullptr);
    const CrossEntropyStats s4 =
        lm_head_cross_entropy(dx4.data(), dw4.data(), p.x.data(), p.w.data(), p.targets.data(), p.N,
                              p.C, p.V, 0.25f, 4, nullptr);
    EXPECT_EQ(s1.loss_sum, s4.loss_sum);
    for (size_t i = 0; i < dx1.size(); ++i) EXPECT_FLOAT_EQ(dx4[i], 0.25f * dx1[i]) << i;
    for (size_t i = 0; i < dw1.size(); ++i) EXPECT_FLOAT_EQ(dw4[i], 0.25f * dw1[i]) << i;
}

TEST(KernelsCrossEntropy, FiniteDifferences) {
    Problem p = make_problem(6, 9, 23, 17);
    const float gs = 1.0f / static_cast<float>(p.n_targets);
    auto loss = [&] {
        return gs * reference::lm_head_cross_entropy(nullptr, nullptr, p.x.data(), p.w.data(),
                                                     p.targets.data(), p.N, p.C, p.V, gs)
                        .loss_sum;
    };
    base::WorkerTeam team2(2);
    std::mt19937 rng(5);
    for (bool ref : {true, false}) {
        SCOPED_TRACE(ref ? "reference" : "cpu");
        std::vector<float> dx(p.x.size()), dw(p.w.size(), 0.0f);
        if (ref) {
            reference::lm_head_cross_entropy(dx.data(), dw.data(), p.x.data(), p.w.data(),
                                             p.targets.data(), p.N, p.C, p.V, gs);
        } else {
            lm_head_cross_entropy(dx.data(), dw.data(), p.x.data(), p.w.data(), p.targets.data(),
                                  p.N, p.C, p.V, gs, 4, &team2);
        }
        // Row 1 is masked: its x has no effect on the loss (gradient exactly 0).
        gradcheck::check("dx", p.x.data(), dx.data(), p.N * p.C, loss, rng, 8, {p.C + 2});
        gradcheck::check("dw", p.w.data(), dw.data(), p.V * p.C, loss, rng, 8);
    }
}

// GPT-2-sized vocabulary, N = 2048 tokens (B8 T256), chunks of 64: the scratch the call holds
// is the 64 × V logits (12.9 MB) plus per-row losses, not the 412 MB of full logits. Measured as
// the growth of the heap (mallinfo2: arena + mmapped bytes) across a call on a fresh thread,
// whose thread_local scratch starts empty and is still held when the call returns.
TEST(KernelsCrossEntropy, ScratchIsChunkSized) {
    const int64_t N = 2048, C = 8, V = 50304, chunk = 64;
    const int64_t bytes = lm_head_cross_entropy_scratch_bytes(chunk, V, 2);
    EXPECT_LE(bytes, chunk * V * 4 + 1024);
    EXPECT_GE(bytes, chunk * V * 4);
    EXPECT_EQ(lm_head_cross_entropy_scratch_bytes(chunk, V, 1), bytes);
#if defined(__SANITIZE_ADDRESS__)
    GTEST_SKIP() << "ASan's allocator is invisible to mallinfo2";
#endif
    std::mt19937 rng(1);
    const auto x = gradcheck::random_vector(N * C, rng);
    const auto w = gradcheck::random_vector(V * C, rng, 0.1f);
    std::vector<int32_t> targets(static_cast<size_t>(N));
    for (int64_t n = 0; n < N; ++n)
        targets[static_cast<size_t>(n)] = static_cast<int32_t>(n * 7 % V);
    std::vector<float> dx(x.size()), dw(w.size(), 0.0f);
    base::WorkerTeam team2(2);
    int64_t grown = -1;
    CrossEntropyStats st;
    std::thread t([&] {
        const struct mallinfo2 before = mallinfo2();
        st = lm_head_cross_entropy(dx.data(), dw.data(), x.data(), w.data(), targets.data(), N, C,
                                   V, 1.0f / N, chunk, &team2);
        const struct mallinfo2 after = mallinfo2();
        grown = static_cast<int64_t>(after.uordblks + after.hblkhd) -
                static_cast<int64_t>(before.uordblks + before.hblkhd);
    });
    t.join();
    EXPECT_EQ(st.n_targets, N);
    EXPECT_TRUE(std::isfinite(st.loss_sum));
    EXPECT_LE(grown, bytes + (64 << 10)) << "full logits would be " << N * V * 4;
    EXPECT_GE(grown, chunk * V * 4);
}

}  // namespace
}  // namespace jenny::kernels
