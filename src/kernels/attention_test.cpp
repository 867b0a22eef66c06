// kernels::attention_forward against reference::attention_forward over a shuffled paged KV
// pool: KV dtypes f32 / f16 / q8_0, block sizes 1 and 16, GQA ratios 1 and 3, causal ranges
// and sliding windows (begin > 0), 1 / 2 / 3 threads.
//
// Tolerance: outputs are convex combinations of value rows (|v| <= ~4 here); the fast path
// takes the softmax in f32 with a polynomial exp (<= 2 ulp) where the reference uses double,
// so |err| <= 2e-5 * (1 + |ref|). Team sizes give bit-identical results.
// causal_attention_forward / _backward (training, contiguous): bounds above their test;
// finite differences (gradcheck.h) of L = Σ out · g on q, k and v. With segments (seg_begin,
// packed examples): cpu vs reference, finite differences, and a packed window == each segment
// computed alone.
#include "jenny/kernels/attention.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include "jenny/base/worker_team.h"
#include "jenny/tensor/quant.h"
#include "kernels/gradcheck.h"

namespace jenny::kernels {
namespace {

using tensor::DType;

struct Pool {
    std::vector<uint8_t> k, v;   // (blocks, block_size, Hkv, D) in dtype
    std::vector<int32_t> table;  // the sequence's block table (shuffled block ids)
    size_t block_bytes = 0;
};

Pool make_pool(DType dtype, int block_size, int Hkv, int D, int positions, uint32_t seed) {
    Pool p;
    const int n_blocks = (positions + block_size - 1) / block_size + 2;  // spare blocks unused
    const size_t rb = tensor::row_bytes(dtype, D);
    p.block_bytes = static_cast<size_t>(block_size) * Hkv * rb;
    p.k.resize(p.block_bytes * n_blocks);
    p.v.resize(p.block_bytes * n_blocks);
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    std::vector<float> row(static_cast<size_t>(D));
    for (size_t r = 0; r < p.k.size() / rb; ++r) {
        for (auto* pool : {&p.k, &p.v}) {
            for (float& f : row) f = dist(rng);
            tensor::quantize_row(dtype, row.data(), pool->data() + r * rb, D);
        }
    }
    p.table.resize(static_cast<size_t>(n_blocks));
    std::iota(p.table.begin(), p.table.end(), 0);
    std::shuffle(p.table.begin(), p.table.end(), rng);
    return p;
}

struct Case {
    DType dtype;
    int block_size, Hkv, group, D;
    int window;  // 0: full causal; else attend to the last `window` positions
};

void check(const Case& c, base::WorkerTeam* team2, base::WorkerTeam* team3) {
    SCOPED_TRACE(testing::Message()
                 << tensor::dtype_name(c.dtype) << " bs=" << c.block_size << " Hkv=" << c.Hkv
                 << " group=" << c.group << " D=" << c.D << " window=" << c.window);
    const int positions = 70, H = c.Hkv * c.group;
    const Pool pool = make_pool(c.dtype, c.block_size, c.Hkv, c.D, positions, 11);
    // Query tokens: a prefill chunk at the end plus a few early positions.
    std::vector<int> pos = {0, 1, 5, 16, 17, 40, 63, 64, 69};
    const int64_t N = static_cast<int64_t>(pos.size());
    std::vector<KvBlocks> kv(static_cast<size_t>(N));
    for (int64_t n = 0; n < N; ++n) {
        KvBlocks& b = kv[static_cast<size_t>(n)];
        b.dtype = c.dtype;
        b.block_size = c.block_size;
        b.block_bytes = pool.block_bytes;
        b.k = pool.k.data();
        b.v = pool.v.data();
        b.blocks = pool.table.data();
        b.end = pos[static_cast<size_t>(n)] + 1;
        b.begin = c.window ? std::max(0, b.end - c.window) : 0;
    }
    std::mt19937 rng(5);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    std::vector<float> q(static_cast<size_t>(N * H * c.D));
    for (float& f : q) f = dist(rng);
    const float scale = 1.0f / std::sqrt(static_cast<float>(c.D));

    std::vector<float> out1(q.size()), out2(q.size()), out3(q.size()), ref(q.size());
    attention_forward(out1.data(), q.data(), kv.data(), N, H, c.Hkv, c.D, scale, nullptr);
    attention_forward(out2.data(), q.data(), kv.data(), N, H, c.Hkv, c.D, scale, team2);
    attention_forward(out3.data(), q.data(), kv.data(), N, H, c.Hkv, c.D, scale, team3);
    reference::attention_forward(ref.data(), q.data(), kv.data(), N, H, c.Hkv, c.D, scale);
    EXPECT_EQ(out1, out2);
    EXPECT_EQ(out1, out3);
    int bad = 0;
    for (size_t i = 0; i < ref.size() && bad < 5; ++i) {
        if (std::fabs(out1[i] - ref[i]) > 2e-5 * (1.0 + std::fabs(ref[i]))) {
            ADD_FAILURE() << "i=" << i << " got " << out1[i] << " want " << ref[i];
            ++bad;
        }
    }
}

TEST(KernelsAttention, MatchesReference) {
    base::WorkerTeam team2(2), team3(3);
    for (DType dt : {DType::kF32, DType::kF16, DType::kQ8_0}) {
        for (int bs : {1, 16}) {
            for (int group : {1, 3}) {
                for (int window : {0, 7}) check({dt, bs, 2, group, 64, window}, &team2, &team3);
            }
        }
    }
    // Odd head dims for the non-block dtypes; a block larger than the chunk of 64 scores.
    check({DType::kF32, 16, 1, 3, 20, 0}, &team2, &team3);
    check({DType::kF16, 128, 3, 1, 32, 0}, &team2, &team3);
}

TEST(KernelsAttention, SinglePositionReturnsItsValue) {
    const int D = 32;
    const Pool pool = make_pool(DType::kF32, 16, 1, D, 16, 3);
    KvBlocks b;
    b.dtype = DType::kF32;
    b.block_size = 16;
    b.block_bytes = pool.block_bytes;
    b.k = pool.k.data();
    b.v = pool.v.data();
    b.blocks = pool.table.data();
    b.begin = 5;
    b.end = 6;
    std::vector<float> q(D, 100.0f), out(D);
    attention_forward(out.data(), q.data(), &b, 1, 1, 1, D, 1.0f, nullptr);
    const float* v =
        reinterpret_cast<const float*>(pool.v.data() + pool.table[0] * pool.block_bytes) + 5 * D;
    for (int d = 0; d < D; ++d) EXPECT_EQ(out[d], v[d]);
}

TEST(KernelsAttention, LargeScoresDoNotOverflow) {
    // Scores in the thousands: the running max keeps every exp finite.
    const int D = 32;
    const Pool pool = make_pool(DType::kF16, 16, 1, D, 40, 9);
    KvBlocks b;
    b.dtype = DType::kF16;
    b.block_size = 16;
    b.block_bytes = pool.block_bytes;
    b.k = pool.k.data();
    b.v = pool.v.data();
    b.blocks = pool.table.data();
    b.end = 40;
    std::vector<float> q(D), out(D), ref(D);
    for (int d = 0; d < D; ++d) q[d] = 300.0f * ((d % 3) - 1.0f);
    attention_forward(out.data(), q.data(), &b, 1, 1, 1, D, 1.0f, nullptr);
    reference::attention_forward(ref.data(), q.data(), &b, 1, 1, 1, D, 1.0f);
    for (int d = 0; d < D; ++d) {
        ASSERT_TRUE(std::isfinite(out[d]));
        EXPECT_NEAR(out[d], ref[d], 1e-4 * (1.0 + std::fabs(ref[d])));
    }
}

// ---- Training attention: causal_attention_forward / _backward ----

struct CausalCase {
    int B, T, H, Hkv, D;
};

struct CausalData {
    std::vector<float> q, k, v, dout;
};

CausalData causal_data(const CausalCase& c, std::mt19937& rng) {
    const int64_t nq = int64_t{c.B} * c.T * c.H * c.D, nk = int64_t{c.B} * c.T * c.Hkv * c.D;
    return {gradcheck::random_vector(nq, rng), gradcheck::random_vector(nk, rng),
            gradcheck::random_vector(nk, rng), gradcheck::random_vector(nq, rng)};
}

// Against the reference (double): probs |err| <= 1e-5 and exactly 0 above the diagonal; out,
// dq, dk, dv |err| <= 5e-5 (1 + |ref|) (f32 sgemm sums of <= T * H/Hkv O(1) terms and the
// polynomial exp; O(1) inputs, scale 1/sqrt(D)). Both backward runs take the same probs.
// Team sizes 1 / 2 / 3 are bit-identical (a task is one head or kv head whatever the split).
TEST(KernelsCausalAttention, MatchesReference) {
    base::WorkerTeam team2(2), team3(3);
    std::mt19937 rng(31);
    auto expect_near = [](const std::vector<float>& got, const std::vector<float>& want, double rel,
                          const char* what) {
        int bad = 0;
        for (size_t i = 0; i < want.size() && bad < 5; ++i) {
            if (!(std::fabs(got[i] - want[i]) <= rel * (1.0 + std::fabs(want[i])))) {
                ADD_FAILURE() << what << "[" << i << "] got " << got[i] << " want " << want[i];
                ++bad;
            }
        }
    };
    for (int B : {1, 2}) {
        for (int T : {1, 5, 13, 70}) {
            for (auto [H, Hkv] : {std::pair{1, 1}, std::pair{4, 2}, std::pair{6, 2}}) {
                for (int D : {8, 16}) {
                    const CausalCase c{B, T, H, Hkv, D};
                    SCOPED_TRACE(testing::Message() << "B=" << B << " T=" << T << " H=" << H
                                                    << " Hkv=" << Hkv << " D=" << D);
                    const CausalData x = causal_data(c, rng);
                    const float scale = 1.0f / std::sqrt(static_cast<float>(D));
                    const size_t np = static_cast<size_t>(B) * H * T * T;
                    std::vector<float> rout(x.q.size()), rprobs(np);
                    reference::causal_attention_forward(rout.data(), rprobs.data(), x.q.data(),
                                                        x.k.data(), x.v.data(), nullptr, B, T, H, Hkv, D,
                                                        scale);
                    std::vector<float> out(x.q.size()), probs(np, 7.0f);
                    causal_attention_forward(out.data(), probs.data(), x.q.data(), x.k.data(),
                                             x.v.data(), nullptr, B, T, H, Hkv, D, scale, nullptr);
                    expect_near(out, rout, 5e-5, "out");
                    for (size_t i = 0; i < np; ++i) {
                        const int t = static_cast<int>(i / T % T), j = static_cast<int>(i % T);
                        if (j > t) {
                            ASSERT_EQ(probs[i], 0.0f) << i;
                        } else {
                            ASSERT_NEAR(probs[i], rprobs[i], 1e-5) << i;
                        }
                    }
                    std::vector<float> rdq(x.q.size()), rdk(x.k.size()), rdv(x.k.size());
                    reference::causal_attention_backward(
                        rdq.data(), rdk.data(), rdv.data(), x.dout.data(), probs.data(), x.q.data(),
                        x.k.data(), x.v.data(), B, T, H, Hkv, D, scale);
                    std::vector<float> dq1, dk1, dv1;
                    for (base::WorkerTeam* team :
                         {static_cast<base::WorkerTeam*>(nullptr), &team2, &team3}) {
                        std::vector<float> o2(x.q.size()), p2(np);
                        causal_attention_forward(o2.data(), p2.data(), x.q.data(), x.k.data(),
                                                 x.v.data(), nullptr, B, T, H, Hkv, D, scale, team);
                        EXPECT_EQ(o2, out);
                        EXPECT_EQ(p2, probs);
                        std::vector<float> dq(x.q.size(), 1e30f), dk(x.k.size(), 1e30f),
                            dv(x.k.size(), 1e30f);
                        causal_attention_backward(dq.data(), dk.data(), dv.data(), x.dout.data(),
                                                  probs.data(), x.q.data(), x.k.data(), x.v.data(),
                                                  B, T, H, Hkv, D, scale, team);
                        if (!team) {
                            expect_near(dq, rdq, 5e-5, "dq");
                            expect_near(dk, rdk, 5e-5, "dk");
                            expect_near(dv, rdv, 5e-5, "dv");
                            dq1 = dq, dk1 = dk, dv1 = dv;
                        } else {
                            EXPECT_EQ(dq, dq1);
                            EXPECT_EQ(dk, dk1);
                            EXPECT_EQ(dv, dv1);
                        }
                    }
                }
            }
        }
    }
}

TEST(KernelsCausalAttention, FiniteDifferences) {
    std::mt19937 rng(32);
    const CausalCase c{2, 6, 4, 2, 8};
    CausalData x = causal_data(c, rng);
    const auto g = gradcheck::random_vector(static_cast<int64_t>(x.q.size()), rng);
    const float scale = 1.0f / std::sqrt(8.0f);
    const size_t np = size_t{2} * 4 * 6 * 6;
    auto loss = [&] {
        std::vector<float> out(x.q.size()), probs(np);
        reference::causal_attention_forward(out.data(), probs.data(), x.q.data(), x.k.data(),
                                            x.v.data(), nullptr, c.B, c.T, c.H, c.Hkv, c.D, scale);
        return gradcheck::dot(out, g);
    };
    base::WorkerTeam team2(2);
    for (bool ref : {true, false}) {
        SCOPED_TRACE(ref ? "reference" : "cpu");
        std::vector<float> out(x.q.size()), probs(np);
        std::vector<float> dq(x.q.size()), dk(x.k.size()), dv(x.k.size());
        if (ref) {
            reference::causal_attention_forward(out.data(), probs.data(), x.q.data(), x.k.data(),
                                                x.v.data(), nullptr, c.B, c.T, c.H, c.Hkv, c.D, scale);
            reference::causal_attention_backward(dq.data(), dk.data(), dv.data(), g.data(),
                                                 probs.data(), x.q.data(), x.k.data(), x.v.data(),
                                                 c.B, c.T, c.H, c.Hkv, c.D, scale);
        } else {
            causal_attention_forward(out.data(), probs.data(), x.q.data(), x.k.data(), x.v.data(), nullptr,
                                     c.B, c.T, c.H, c.Hkv, c.D, scale, &team2);
            causal_attention_backward(dq.data(), dk.data(), dv.data(), g.data(), probs.data(),
                                      x.q.data(), x.k.data(), x.v.data(), c.B, c.T, c.H, c.Hkv, c.D,
                                      scale, &team2);
        }
        // The first query of a sequence attends to one key only: softmax of a single score, so
        // its dq is exactly 0; that coordinate is checked as well.
        gradcheck::check("dq", x.q.data(), dq.data(), static_cast<int64_t>(x.q.size()), loss, rng,
                         12, {0});
        gradcheck::check("dk", x.k.data(), dk.data(), static_cast<int64_t>(x.k.size()), loss, rng,
                         12);
        gradcheck::check("dv", x.v.data(), dv.data(), static_cast<int64_t>(x.k.size()), loss, rng,
                         12);
    }
}

// Segments: seg_begin (B, T) from random example boundaries (the first token of a window
// always starts one). Per sequence: starts at 0 and at random offsets; query t attends keys
// [start of its segment, t].
std::vector<int32_t> random_segments(int B, int T, std::mt19937& rng, std::vector<int>* starts) {
    std::vector<int32_t> seg(static_cast<size_t>(B) * T);
    for (int b = 0; b < B; ++b) {
        int begin = 0;
        for (int t = 0; t < T; ++t) {
            if (t > 0 && rng() % 4 == 0) begin = t;
            if (begin == t && starts) starts->push_back(b * T + t);
            seg[static_cast<size_t>(b) * T + t] = begin;
        }
    }
    return seg;
}

// Same bounds as MatchesReference; probs outside [seg_begin, t] exactly 0.
TEST(KernelsCausalAttention, SegmentsMatchReference) {
    base::WorkerTeam team2(2);
    std::mt19937 rng(33);
    for (int T : {7, 70, 130}) {
        for (auto [H, Hkv] : {std::pair{2, 2}, std::pair{6, 2}}) {
            const int B = 2, D = 16;
            const CausalCase c{B, T, H, Hkv, D};
            SCOPED_TRACE(testing::Message() << "T=" << T << " H=" << H << " Hkv=" << Hkv);
            const CausalData x = causal_data(c, rng);
            const std::vector<int32_t> seg = random_segments(B, T, rng, nullptr);
            const float scale = 1.0f / std::sqrt(static_cast<float>(D));
            const size_t np = static_cast<size_t>(B) * H * T * T;
            std::vector<float> rout(x.q.size()), rprobs(np), out(x.q.size()), probs(np, 7.0f);
            reference::causal_attention_forward(rout.data(), rprobs.data(), x.q.data(), x.k.data(),
                                                x.v.data(), seg.data(), B, T, H, Hkv, D, scale);
            causal_attention_forward(out.data(), probs.data(), x.q.data(), x.k.data(), x.v.data(),
                                     seg.data(), B, T, H, Hkv, D, scale, &team2);
            for (size_t i = 0; i < out.size(); ++i)
                ASSERT_NEAR(out[i], rout[i], 5e-5 * (1 + std::fabs(rout[i]))) << i;
            for (size_t i = 0; i < np; ++i) {
                const int64_t bh = static_cast<int64_t>(i / (size_t(T) * T));
                const int t = static_cast<int>(i / T % T), j = static_cast<int>(i % T);
                const int j0 = seg[(bh / H) * T + t];
                if (j > t || j < j0) {
                    ASSERT_EQ(probs[i], 0.0f) << i;
                } else {
                    ASSERT_NEAR(probs[i], rprobs[i], 1e-5) << i;
                }
            }
            std::vector<float> rdq(x.q.size()), rdk(x.k.size()), rdv(x.k.size());
            std::vector<float> dq(x.q.size()), dk(x.k.size()), dv(x.k.size());
            reference::causal_attention_backward(rdq.data(), rdk.data(), rdv.data(), x.dout.data(),
                                                 probs.data(), x.q.data(), x.k.data(), x.v.data(),
                                                 B, T, H, Hkv, D, scale);
            causal_attention_backward(dq.data(), dk.data(), dv.data(), x.dout.data(), probs.data(),
                                      x.q.data(), x.k.data(), x.v.data(), B, T, H, Hkv, D, scale,
                                      &team2);
            for (size_t i = 0; i < dq.size(); ++i)
                ASSERT_NEAR(dq[i], rdq[i], 5e-5 * (1 + std::fabs(rdq[i]))) << i;
            for (size_t i = 0; i < dk.size(); ++i) {
                ASSERT_NEAR(dk[i], rdk[i], 5e-5 * (1 + std::fabs(rdk[i]))) << i;
                ASSERT_NEAR(dv[i], rdv[i], 5e-5 * (1 + std::fabs(rdv[i]))) << i;
            }
        }
    }
}

// Finite differences of L = Σ out · g through the segmented forward (reference and cpu
// backward both).
TEST(KernelsCausalAttention, SegmentsFiniteDifferences) {
    std::mt19937 rng(34);
    const CausalCase c{2, 9, 4, 2, 8};
    CausalData x = causal_data(c, rng);
    std::vector<int> starts;
    const std::vector<int32_t> seg = random_segments(c.B, c.T, rng, &starts);
    const auto g = gradcheck::random_vector(static_cast<int64_t>(x.q.size()), rng);
    const float scale = 1.0f / std::sqrt(8.0f);
    const size_t np = size_t{2} * 4 * 9 * 9;
    auto loss = [&] {
        std::vector<float> out(x.q.size()), probs(np);
        reference::causal_attention_forward(out.data(), probs.data(), x.q.data(), x.k.data(),
                                            x.v.data(), seg.data(), c.B, c.T, c.H, c.Hkv, c.D,
                                            scale);
        return gradcheck::dot(out, g);
    };
    // A segment's first query attends to itself only: its dq is exactly 0 (checked too).
    std::vector<int64_t> zero_rows;
    for (int n : starts)
        for (int h = 0; h < c.H; ++h) zero_rows.push_back((int64_t{n} * c.H + h) * c.D);
    base::WorkerTeam team2(2);
    for (bool ref : {true, false}) {
        SCOPED_TRACE(ref ? "reference" : "cpu");
        std::vector<float> out(x.q.size()), probs(np);
        std::vector<float> dq(x.q.size()), dk(x.k.size()), dv(x.k.size());
        if (ref) {
            reference::causal_attention_forward(out.data(), probs.data(), x.q.data(), x.k.data(),
                                                x.v.data(), seg.data(), c.B, c.T, c.H, c.Hkv, c.D,
                                                scale);
            reference::causal_attention_backward(dq.data(), dk.data(), dv.data(), g.data(),
                                                 probs.data(), x.q.data(), x.k.data(), x.v.data(),
                                                 c.B, c.T, c.H, c.Hkv, c.D, scale);
        } else {
            causal_attention_forward(out.data(), probs.data(), x.q.data(), x.k.data(), x.v.data(),
                                     seg.data(), c.B, c.T, c.H, c.Hkv, c.D, scale, &team2);
            causal_attention_backward(dq.data(), dk.data(), dv.data(), g.data(), probs.data(),
                                      x.q.data(), x.k.data(), x.v.data(), c.B, c.T, c.H, c.Hkv,
                                      c.D, scale, &team2);
        }
        for (int64_t i : zero_rows) ASSERT_EQ(dq[i], 0.0f) << i;
        gradcheck::check("dq", x.q.data(), dq.data(), static_cast<int64_t>(x.q.size()), loss, rng,
                         16, zero_rows);
        gradcheck::check("dk", x.k.data(), dk.data(), static_cast<int64_t>(x.k.size()), loss, rng,
                         16);
        gradcheck::check("dv", x.v.data(), dv.data(), static_cast<int64_t>(x.k.size()), loss, rng,
                         16);
    }
}

// A window of packed segments == each segment run alone as its own sequence (cpu kernel):
// outputs and all three gradients bit-for-bit up to the f32 sgemm's summation order (|err|
// <= 1e-6 (1 + |x|): the zero probabilities add exact zeros).
TEST(KernelsCausalAttention, PackedWindowEqualsSeparateSegments) {
    std::mt19937 rng(35);
    const int T = 40, H = 4, Hkv = 2, D = 8;
    const std::vector<int> bounds = {0, 11, 12, 30, 40};  // segments [0,11) [11,12) [12,30) [30,40)
    const CausalCase c{1, T, H, Hkv, D};
    const CausalData x = causal_data(c, rng);
    std::vector<int32_t> seg(T);
    for (size_t s = 0; s + 1 < bounds.size(); ++s)
        for (int t = bounds[s]; t < bounds[s + 1]; ++t) seg[t] = bounds[s];
    const float scale = 1.0f / std::sqrt(static_cast<float>(D));
    std::vector<float> out(x.q.size()), probs(size_t{H} * T * T);
    std::vector<float> dq(x.q.size()), dk(x.k.size()), dv(x.k.size());
    causal_attention_forward(out.data(), probs.data(), x.q.data(), x.k.data(), x.v.data(),
                             seg.data(), 1, T, H, Hkv, D, scale, nullptr);
    causal_attention_backward(dq.data(), dk.data(), dv.data(), x.dout.data(), probs.data(),
                              x.q.data(), x.k.data(), x.v.data(), 1, T, H, Hkv, D, scale, nullptr);
    for (size_t s = 0; s + 1 < bounds.size(); ++s) {
        const int t0 = bounds[s], n = bounds[s + 1] - bounds[s];
        auto slice = [&](const std::vector<float>& a, int heads) {
            return std::vector<float>(a.begin() + int64_t{t0} * heads * D,
                                      a.begin() + int64_t{t0 + n} * heads * D);
        };
        const auto q = slice(x.q, H), k = slice(x.k, Hkv), v = slice(x.v, Hkv),
                   dout = slice(x.dout, H);
        std::vector<float> o(q.size()), p(size_t{H} * n * n), gq(q.size()), gk(k.size()),
            gv(k.size());
        causal_attention_forward(o.data(), p.data(), q.data(), k.data(), v.data(), nullptr, 1, n,
                                 H, Hkv, D, scale, nullptr);
        causal_attention_backward(gq.data(), gk.data(), gv.data(), dout.data(), p.data(), q.data(),
                                  k.data(), v.data(), 1, n, H, Hkv, D, scale, nullptr);
        auto expect = [&](const std::vector<float>& packed, const std::vector<float>& alone,
                          int heads, const char* what) {
            const auto got = slice(packed, heads);
            for (size_t i = 0; i < alone.size(); ++i)
                ASSERT_NEAR(got[i], alone[i], 1e-6 * (1 + std::fabs(alone[i])))
                    << what << " segment " << s << " [" << i << "]";
        };
        expect(out, o, H, "out");
        expect(dq, gq, H, "dq");
        expect(dk, gk, Hkv, "dk");
        expect(dv, gv, Hkv, "dv");
    }
}

}  // namespace
}  // namespace jenny::kernels
