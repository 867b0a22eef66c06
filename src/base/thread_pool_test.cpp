#include <gtest/gtest.h>

#include <atomic>
#include <numeric>

#include "jenny/base/rng.h"
#include "jenny/base/thread_pool.h"

namespace jenny::base {
namespace {

TEST(ThreadPool, ParallelForCoversEveryIndexOnce) {
    ThreadPool pool(3);
    for (int64_t n : {0, 1, 2, 7, 1000, 100003}) {
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        pool.parallel_for(0, n, [&](int64_t b, int64_t e) {
            for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)]++;
        });
        for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << n;
    }
}

TEST(ThreadPool, SubmitRunsTasks) {
    ThreadPool pool(2);
    std::atomic<int> sum{0};
    std::vector<std::future<void>> fs;
    for (int i = 1; i <= 100; ++i) fs.push_back(pool.submit([&sum, i] { sum += i; }));
    for (auto& f : fs) f.get();
    EXPECT_EQ(sum.load(), 5050);
}

TEST(ThreadPool, NestedUseFromCallerIsSafe) {
    ThreadPool pool(2);
    std::atomic<int64_t> total{0};
    pool.parallel_for(
        0, 10,
        [&](int64_t b, int64_t e) {
            int64_t s = 0;
            for (int64_t i = b; i < e; ++i) s += i;
            total += s;
        },
        /*min_chunk=*/3);
    EXPECT_EQ(total.load(), 45);
}

TEST(Rng, DeterministicAndRestorable) {
    Rng a(123), b(123);
    for (int i = 0; i < 10; ++i) EXPECT_EQ(a.next_u64(), b.next_u64());
    auto st = a.state();
    uint64_t x = a.next_u64();
    b.set_state(st);
    EXPECT_EQ(b.next_u64(), x);
}

TEST(Rng, RangesAndMoments) {
    Rng r(7);
    double sum = 0, sq = 0;
    const int n = 200000;
    for (int i = 0; i < n; ++i) {
        float u = r.uniform_float();
        ASSERT_GE(u, 0.0f);
        ASSERT_LT(u, 1.0f);
        ASSERT_LT(r.below(10), 10u);
        double z = r.normal();
        sum += z;
        sq += z * z;
    }
    EXPECT_NEAR(sum / n, 0.0, 0.02);
    EXPECT_NEAR(sq / n, 1.0, 0.02);
}

}  // namespace
}  // namespace jenny::base
