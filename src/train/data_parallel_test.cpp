// Data parallelism without a launcher: the single-process Collective, the global-batch plan
// (elastic resume rules and errors), the ZeRO-1 shard arithmetic (sharded AdamW == whole AdamW
// bit for bit), and the bucketed gradient reducer against a recording Collective.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include "jenny/train/adamw.h"
#include "jenny/train/collective.h"
#include "jenny/train/data_parallel.h"

namespace jenny::train {
namespace {

TEST(Collective, SingleProcessIsTheIdentity) {
    auto c = Collective::single_process();
    EXPECT_EQ(c->rank(), 0);
    EXPECT_EQ(c->size(), 1);
    EXPECT_EQ(c->backend(), "single");
    std::vector<float> f = {1.5f, -2.0f};
    std::vector<double> d = {0.25};
    int64_t i = 7;
    c->all_reduce_sum(f.data(), 2);
    c->all_reduce_sum(d.data(), 1);
    c->all_reduce_sum(&i, 1);
    c->start_all_reduce_sum(f.data(), 2);
    c->wait_all();
    EXPECT_EQ(f, (std::vector<float>{1.5f, -2.0f}));
    EXPECT_EQ(d[0], 0.25);
    EXPECT_EQ(i, 7);
    std::vector<float> all = {1, 2, 3};
    c->all_gather(all.data(), {0, 3});
    EXPECT_EQ(all, (std::vector<float>{1, 2, 3}));
    std::vector<float> full(3, 0);
    c->gather(all.data(), full.data(), {0, 3}, 0);
    EXPECT_EQ(full, all);
    std::string s = "step-00000004";
    c->broadcast_string(&s, 0);
    EXPECT_EQ(s, "step-00000004");
    c->barrier();
}

TEST(Collective, CreateWithoutALauncherIsSingleProcess) {
    for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE", "SLURM_STEP_NUM_TASKS"})
        unsetenv(v);
    EXPECT_FALSE(Collective::launched_by_mpi());
    auto c = Collective::create(5.0);
    ASSERT_TRUE(c.ok()) << c.status().to_string();
    EXPECT_EQ((*c)->backend(), "single");
    setenv("SLURM_NTASKS", "4", 1);  // an sbatch script's shell: one process
    setenv("SLURM_PROCID", "0", 1);
    EXPECT_FALSE(Collective::launched_by_mpi());
    EXPECT_EQ(Collective::launched_rank(), 0);
    setenv("SLURM_STEP_NUM_TASKS", "1", 1);  // srun -n 1: still one process
    EXPECT_FALSE(Collective::launched_by_mpi());
    setenv("SLURM_STEP_NUM_TASKS", "4", 1);  // srun -n 4, task 2
    setenv("SLURM_PROCID", "2", 1);
    EXPECT_TRUE(Collective::launched_by_mpi());
    EXPECT_EQ(Collective::launched_rank(), 2);
    for (const char* v : {"SLURM_NTASKS", "SLURM_PROCID", "SLURM_STEP_NUM_TASKS"}) unsetenv(v);
    setenv("OMPI_COMM_WORLD_SIZE", "2", 1);
    setenv("OMPI_COMM_WORLD_RANK", "1", 1);
    EXPECT_TRUE(Collective::launched_by_mpi());
    EXPECT_EQ(Collective::launched_rank(), 1);
    unsetenv("OMPI_COMM_WORLD_SIZE");
    EXPECT_EQ(Collective::launched_rank(), 0);  // a stray rank variable alone: one process
    unsetenv("OMPI_COMM_WORLD_RANK");
    EXPECT_FALSE(Collective::create(0).ok());
}

TEST(DataParallelPlan, GlobalBatchAndAccumulation) {
    // Fresh start: G = B × A × ranks.
    auto p = plan_data_parallel(0, 0, 4, 2, 2);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->global_batch, 16);
    EXPECT_EQ(p->accum, 2);
    EXPECT_EQ(p->describe(), "data parallel: 2 ranks × micro_batch 4 × accum 2 = global batch 16");
    EXPECT_EQ(p->first_sample(0, 1), 8);
    EXPECT_EQ(p->first_sample(3, 0), 48);
    EXPECT_EQ(p->first_sample(3, 1), 56);
    // Resume of that run on 1 rank: the checkpoint's G wins over grad_accum.
    p = plan_data_parallel(0, 16, 4, 2, 1);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->accum, 4);
    EXPECT_EQ(p->first_sample(3, 0), 48);
    // ... and on 4 ranks.
    p = plan_data_parallel(16, 16, 4, 9, 4);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->accum, 1);
    // Explicit global batch.
    p = plan_data_parallel(24, 0, 4, 1, 2);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->accum, 3);
    // Every rank's samples tile the step: [s·G, (s+1)·G) exactly once.
    for (int ranks : {1, 2, 3, 6}) {
        auto q = plan_data_parallel(24, 0, 2, 1, ranks);
        ASSERT_TRUE(q.ok()) << ranks;
        std::vector<int> seen(72, 0);
        for (int64_t s = 0; s < 3; ++s)
            for (int r = 0; r < ranks; ++r)
                for (int64_t g = 0; g < q->accum * q->micro_batch; ++g) ++seen[q->first_sample(s, r) + g];
        for (int c : seen) EXPECT_EQ(c, 1) << ranks;
    }
}

TEST(DataParallelPlan, Errors) {
    auto p = plan_data_parallel(10, 0, 4, 1, 2);  // 10 % (2 × 4)
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.status().code(), base::StatusCode::kInvalidArgument);
    EXPECT_NE(p.status().message().find("global batch 10 (batch.global_batch) is not divisible "
                                        "by ranks 2 × batch.micro_batch 4 = 8"),
              std::string::npos)
        << p.status().message();
    p = plan_data_parallel(0, 16, 4, 1, 3);  // the checkpoint's 16 on 3 ranks
    ASSERT_FALSE(p.ok());
    EXPECT_NE(p.status().message().find("(from the checkpoint)"), std::string::npos);
    p = plan_data_parallel(32, 16, 4, 1, 2);  // config disagrees with the checkpoint
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.status().code(), base::StatusCode::kInvalidArgument);
    EXPECT_NE(p.status().message().find("differs from the checkpoint's global batch 16"),
              std::string::npos);
    EXPECT_FALSE(plan_data_parallel(-1, 0, 4, 1, 1).ok());
}

TEST(ZeroShards, TileTheBufferAndIntersectTheDecayGroups) {
    EXPECT_EQ(shard_begins(10, 3), (std::vector<int64_t>{0, 3, 6, 10}));
    EXPECT_EQ(shard_begins(10, 1), (std::vector<int64_t>{0, 10}));
    EXPECT_EQ(shard_begins(2, 4), (std::vector<int64_t>{0, 0, 1, 1, 2}));
    const std::vector<AdamWGroup> groups = {{0, 4, false}, {4, 5, true}, {9, 1, false}};
    auto g = shard_groups(groups, 3, 6);
    ASSERT_EQ(g.size(), 2u);
    EXPECT_EQ(g[0].offset, 0);
    EXPECT_EQ(g[0].size, 1);
    EXPECT_FALSE(g[0].decay);
    EXPECT_EQ(g[1].offset, 1);
    EXPECT_EQ(g[1].size, 2);
    EXPECT_TRUE(g[1].decay);
    g = shard_groups(groups, 6, 10);
    ASSERT_EQ(g.size(), 2u);
    EXPECT_EQ(g[0].size, 3);
    EXPECT_EQ(g[1].offset, 3);
    EXPECT_FALSE(g[1].decay);
    g = shard_groups(groups, 5, 5);  // an empty shard
    ASSERT_EQ(g.size(), 1u);
    EXPECT_EQ(g[0].size, 0);
}

// AdamW over N shards (ZeRO-1) updates every element exactly as AdamW over the whole buffer.
TEST(ZeroShards, ShardedAdamWIsBitIdenticalToTheWholeBuffer) {
    const int64_t n = 1001;
    const std::vector<AdamWGroup> groups = {{0, 300, false}, {300, 600, true}, {900, 101, false}};
    AdamWConfig c;
    c.weight_decay = 0.1;
    std::vector<float> p0(n);
    for (int64_t i = 0; i < n; ++i) p0[i] = std::sin(0.3f * i);
    base::WorkerTeam team(2);
    for (int ranks : {2, 3, 7}) {
        AdamW whole(c, n, groups);
        std::vector<float> pw = p0, ps = p0;
        const auto b = shard_begins(n, ranks);
        std::vector<std::unique_ptr<AdamW>> shards;
        for (int r = 0; r < ranks; ++r)
            shards.push_back(std::make_unique<AdamW>(c, b[r + 1] - b[r],
                                                     shard_groups(groups, b[r], b[r + 1])));
        for (int t = 1; t <= 5; ++t) {
            std::vector<float> g(n);
            for (int64_t i = 0; i < n; ++i) g[i] = std::cos(0.7f * i + t) * 0.1f;
            whole.step(pw.data(), g.data(), 1e-2, &team);
            for (int r = 0; r < ranks; ++r)
                shards[r]->step(ps.data() + b[r], g.data() + b[r], 1e-2, &team);
        }
        EXPECT_EQ(pw, ps) << ranks;
        for (int r = 0; r < ranks; ++r)
            for (int64_t i = b[r]; i < b[r + 1]; ++i) {
                ASSERT_EQ(whole.m()[i], shards[r]->m()[i - b[r]]);
                ASSERT_EQ(whole.v()[i], shards[r]->v()[i - b[r]]);
            }
    }
}

TEST(ZeroShards, SumOfSquaresMatchesTheGlobalNorm) {
    std::vector<float> g(777);
    for (size_t i = 0; i < g.size(); ++i) g[i] = std::sin(1.1f * i);
    base::WorkerTeam team(2);
    EXPECT_EQ(std::sqrt(grad_sum_squares(g.data(), 777, &team)),
              grad_global_norm(g.data(), 777, &team));
    const auto b = shard_begins(777, 3);
    double s = 0;
    for (int r = 0; r < 3; ++r) s += grad_sum_squares(g.data() + b[r], b[r + 1] - b[r], &team);
    EXPECT_NEAR(std::sqrt(s), grad_global_norm(g.data(), 777, &team), 1e-12);
}

// Records the ranges the reducer hands to the collective.
class RecordingCollective final : public Collective {
public:
    RecordingCollective() : Collective(1.0) {}
    int rank() const override { return 0; }
    int size() const override { return 2; }
    std::string backend() const override { return "recording"; }
    void all_reduce_sum(float*, int64_t) override {}
    void all_reduce_sum(double*, int64_t) override {}
    void all_reduce_sum(int64_t*, int64_t) override {}
    void start_all_reduce_sum(float* d, int64_t n) override {
        started.push_back({d - base, n});
        ++in_flight;
    }
    void poll() override { ++polls; }
    void wait_all() override { in_flight = 0; }
    void all_gather(float*, const std::vector<int64_t>&) override {}
    void gather(const float*, float*, const std::vector<int64_t>&, int) override {}
    void broadcast(void*, int64_t, int) override {}
    void barrier() override {}
    float* base = nullptr;
    std::vector<std::pair<int64_t, int64_t>> started;
    int in_flight = 0, polls = 0;
};

TEST(GradBucketReducer, StartsBucketsAsBackwardFinishesThemAndCoversEverything) {
    std::vector<float> g(100);
    RecordingCollective c;
    c.base = g.data();
    GradBucketReducer red(&c, g.data(), 100, 30);
    red.begin();
    red.ready_from(90);  // 10 final: below a bucket
    EXPECT_TRUE(c.started.empty());
    red.ready_from(65);  // 35 final: one bucket [65, 100)
    red.ready_from(50);
    red.ready_from(30);  // [30, 65)
    red.ready_from(0);   // [0, 30)
    red.finish();
    EXPECT_EQ(c.started, (std::vector<std::pair<int64_t, int64_t>>{{65, 35}, {30, 35}, {0, 30}}));
    EXPECT_EQ(c.in_flight, 0);
    EXPECT_EQ(red.buckets_started(), 3);
    EXPECT_GE(c.polls, 2);
    // A backward that reports nothing: finish() reduces the whole buffer in one go.
    c.started.clear();
    red.begin();
    red.finish();
    EXPECT_EQ(c.started, (std::vector<std::pair<int64_t, int64_t>>{{0, 100}}));
}

}  // namespace
}  // namespace jenny::train
