#include "jenny/base/worker_team.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

namespace jenny::base {
namespace {

TEST(WorkerTeam, RunCallsEveryMemberOnce) {
    for (int n : {1, 2, 3, 5}) {
        WorkerTeam team(n);
        EXPECT_EQ(team.size(), n);
        std::vector<std::atomic<int>> calls(n);
        for (int rep = 0; rep < 200; ++rep) {
            team.run([&](int t, int nt) {
                EXPECT_EQ(nt, n);
                calls[t].fetch_add(1);
            });
        }
        for (int t = 0; t < n; ++t) EXPECT_EQ(calls[t].load(), 200) << "member " << t;
    }
}

TEST(WorkerTeam, ParallelForCoversRangeOnceInGrainMultiples) {
    WorkerTeam team(3);
    for (int64_t n : {0, 1, 7, 16, 100, 1001}) {
        for (int64_t grain : {1, 4, 16}) {
            std::vector<std::atomic<int>> hit(n);
            team.parallel_for(
                n,
                [&](int64_t b, int64_t e) {
                    EXPECT_EQ(b % grain, 0);
                    for (int64_t i = b; i < e; ++i) hit[i].fetch_add(1);
                },
                grain);
            for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hit[i].load(), 1) << n << " " << i;
        }
    }
}

TEST(WorkerTeam, WorkersSleepAndWakeAcrossIdleGaps) {
    WorkerTeam team(2);
    std::atomic<int> sum{0};
    team.run([&](int, int) { sum.fetch_add(1); });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // workers go to sleep
    team.run([&](int, int) { sum.fetch_add(1); });
    EXPECT_EQ(sum.load(), 4);
}

}  // namespace
}  // namespace jenny::base
