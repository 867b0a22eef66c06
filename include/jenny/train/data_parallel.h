// Data-parallel training over ranks (collective.h): how the global batch is split into ranks ×
// micro-batches × accumulation, which global samples each rank reads, the ZeRO-1 shard of the
// optimiser state each rank owns, and the bucketed gradient all-reduce that runs while backward
// is still computing earlier layers.
//
// Global step s covers global samples [s·G, (s+1)·G) (G = global batch) for any number of ranks
// N: rank r reads its A = G / (N·B) micro-batches from s·G + r·A·B on. The loss and gradients
// are the mean over the real targets of the whole global step (the target count is summed over
// ranks before backward), so N ranks follow the trajectory of one process with N× accumulation
// up to the order of the float sums.
//
// ZeRO-1: rank r keeps AdamW's m and v only for [begins[r], begins[r+1]) of the flat
// parameters, updates that shard, and the parameters are all-gathered after each update.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "jenny/base/result.h"
#include "jenny/base/worker_team.h"
#include "jenny/train/adamw.h"
#include "jenny/train/collective.h"

namespace jenny::train {

struct DataParallelPlan {
    int ranks = 1;
    int micro_batch = 1;      // B
    int accum = 1;            // A: micro-batches per rank per step
    int64_t global_batch = 1; // G = ranks · A · B samples per optimiser step

    // The first global sample of `rank`'s micro-batches in `step`.
    int64_t first_sample(int64_t step, int rank) const {
        return step * global_batch + static_cast<int64_t>(rank) * accum * micro_batch;
    }
    // "data parallel: 2 ranks × micro_batch 4 × accum 2 = global batch 16"
    std::string describe() const;
};

// The plan of a run on `ranks` ranks. G is the checkpoint's global batch when resuming
// (checkpoint_global_batch > 0), else batch.global_batch when set (> 0), else
// micro_batch × grad_accum × ranks. Errors (kInvalidArgument, naming the keys and what to do):
// G not divisible by ranks × micro_batch; batch.global_batch set and different from the
// checkpoint's (the data order would change).
base::Result<DataParallelPlan> plan_data_parallel(int64_t config_global_batch,
                                                  int64_t checkpoint_global_batch,
                                                  int micro_batch, int grad_accum, int ranks);

// [n·r/N, n·(r+1)/N) for r = 0..N-1, as N+1 boundaries from 0 to n.
std::vector<int64_t> shard_begins(int64_t n, int ranks);
// The AdamW decay groups restricted to [begin, end), with offsets relative to begin (they tile
// [0, end - begin)).
std::vector<AdamWGroup> shard_groups(const std::vector<AdamWGroup>& groups, int64_t begin,
                                     int64_t end);

// Σ g[i]² in double, with grad_global_norm's per-thread chunks (sqrt of it on the whole buffer
// is bit-identical to grad_global_norm).
double grad_sum_squares(const float* g, int64_t n, base::WorkerTeam* team);

// Sums a gradient buffer over ranks in buckets as backward finishes them. Backward reports
// "grads[b, n) are final" with decreasing b (TrainModel's grads-ready hook); every time at
// least bucket_elems new elements are final, their all-reduce starts (non-blocking) and earlier
// ones are polled. finish() starts the rest and waits for everything.
class GradBucketReducer {
public:
    GradBucketReducer(Collective* comm, float* grads, int64_t n, int64_t bucket_elems);
    void begin();                   // a new backward pass: nothing started yet
    void ready_from(int64_t b);     // grads[b, n) are final
    void finish();                  // grads hold the sum over ranks
    int buckets_started() const { return buckets_; }

private:
    Collective* comm_;
    float* grads_;
    int64_t n_, bucket_elems_;
    int64_t issued_from_ = 0;  // grads[issued_from_, n) have been started
    int buckets_ = 0;
};

}  // namespace jenny::train
