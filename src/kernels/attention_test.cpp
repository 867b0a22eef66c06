// kernels::attention_forward against reference::attention_forward over a shuffled paged KV
// pool: KV dtypes f32 / f16 / q8_0, block sizes 1 and 16, GQA ratios 1 and 3, causal ranges
// and sliding windows (begin > 0), 1 / 2 / 3 threads.
//
// Tolerance: outputs are convex combinations of value rows (|v| <= ~4 here); the fast path
// takes the softmax in f32 with a polynomial exp (<= 2 ulp) where the reference uses double,
// so |err| <= 2e-5 * (1 + |ref|). Team sizes give bit-identical results.
#include "jenny/kernels/attention.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include "jenny/base/worker_team.h"
#include "jenny/tensor/quant.h"

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

}  // namespace
}  // namespace jenny::kernels
