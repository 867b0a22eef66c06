// Pieces shared by the MinHash stages and the in-memory run (private to src/data).
#pragma once

#include <cstdint>
#include <vector>

#include "data/dedup_file.h"
#include "jenny/data/dedup_filter.h"
#include "jenny/data/minhash_dedup.h"

namespace jenny::data::minhash {

inline constexpr uint32_t kSignatureRecordBytes = 12;  // u64 band hash, u32 doc
inline constexpr uint32_t kPairRecordBytes = 16;       // u32 task, doc, task, doc
inline constexpr uint32_t kRemovalRecordBytes = 4;     // u32 doc

dedup::Params params_of(const MinhashOptions& options);

// A document of the whole run: task in the high 32 bits, doc index in the low 32, so the
// numeric order is (task, doc) order.
inline uint64_t node_id(uint32_t task, uint32_t doc) { return (uint64_t{task} << 32) | doc; }

struct Pair {
    uint64_t a, b;  // node ids
};

// Clusters the pairs (union-find); every cluster keeps its smallest node id and the rest
// are removed. Fills removals->removed ([num_tasks] sorted lists) and ->clusters.
void cluster_pairs(const std::vector<Pair>& pairs, uint32_t num_tasks, DedupRemovals* removals);

}  // namespace jenny::data::minhash
