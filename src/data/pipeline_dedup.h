// The dedup blocks of `jenny data run` (`exact_dedup`, `minhash`), which need every task's
// documents before any can be judged (private to src/data). The runner splits the block list
// at each of them into stages: the stage before writes its survivors and their hashes /
// signatures (DedupCollector), the barrier step merges all tasks' files (run_dedup_step),
// and the stage after starts with the task's removal list (open_dedup_filter).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "jenny/base/env.h"
#include "jenny/base/result.h"
#include "jenny/data/dedup_filter.h"
#include "jenny/data/exact_dedup.h"
#include "jenny/data/minhash_dedup.h"

namespace jenny::data {

struct PipelineDedup {
    std::string kind;  // "exact_dedup" or "minhash"
    std::string dir;   // OUT/dedup/NN_<kind>: the stage files and the `done` marker
    ExactDedupOptions exact;
    MinhashOptions minhash;
};

// One task's stage-1 writer (hashes or signatures), fed the task's documents in order.
class DedupCollector {
public:
    static base::Result<std::unique_ptr<DedupCollector>> create(const PipelineDedup& d, int task,
                                                                int num_tasks, base::Env* env);
    void add(std::string_view text);
    base::Status finish();  // writes the task's files atomically

private:
    std::unique_ptr<ExactDedupHashWriter> exact_;
    std::unique_ptr<MinhashSignatureWriter> minhash_;
};

// Whether the barrier step already ran (its `done` marker exists).
bool dedup_step_done(const PipelineDedup& d, base::Env* env);

// The barrier step once every task's files exist: buckets for every band then clusters
// (minhash), or the hash merge (exact); then the `done` marker. Deterministic and written
// atomically, so two processes running it at once write the same files.
base::Status run_dedup_step(const PipelineDedup& d, base::Env* env);

// The task's filter over its documents in stage order ("exact_duplicate" /
// "minhash_duplicate").
base::Result<DedupFilter> open_dedup_filter(const PipelineDedup& d, int task, base::Env* env);

}  // namespace jenny::data
