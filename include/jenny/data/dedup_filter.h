// The last stage of exact and MinHash dedup: drop the documents a removal list names.
//
// A task's removal list (sorted document indices, from run_minhash_clusters /
// run_exact_dedup_merge, or from an in-memory run) is consumed in order while the task's
// documents stream past: document j is the j-th document the task's signature / hash
// stage saw, so the filter must see the same documents in the same order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "jenny/base/status.h"
#include "jenny/data/document.h"

namespace jenny::data {

// What a whole dedup run decided, per task. Returned by the in-memory helpers.
struct DedupRemovals {
    std::vector<std::vector<uint32_t>> removed;  // [task] sorted document indices to drop
    uint64_t pairs = 0;                          // duplicate pairs found (before clustering)
    uint64_t clusters = 0;                       // groups of 2+ documents; one of each is kept
    uint64_t total_removed() const;
};

class DedupFilter {
public:
    // `removed`: sorted, unique document indices; `n_docs`: the documents the task's first
    // stage saw (checked by finish(); 0 = unknown, not checked); `reason`: the drop reason,
    // "minhash_duplicate" or "exact_duplicate".
    DedupFilter(std::vector<uint32_t> removed, uint64_t n_docs, std::string reason);

    // The verdict on the next document of the task (its index is the number of calls so far).
    Verdict next();
    // The verdict on document `doc_index`; indices must increase from call to call
    // (JENNY_CHECK), skipping is allowed.
    Verdict check(uint64_t doc_index);

    // Resuming a task after its first `doc_index` documents were judged in an earlier run:
    // the next index is doc_index (as if check(doc_index - 1) had been called).
    void resume_at(uint64_t doc_index);
    // Ok when the filter saw exactly the documents of the first stage (n_docs of them, and
    // every listed index); else kFailedPrecondition saying the inputs differ.
    base::Status finish() const;

    uint64_t documents_seen() const { return seen_; }
    uint64_t documents_dropped() const { return dropped_; }

private:
    std::vector<uint32_t> removed_;
    size_t cursor_ = 0;
    uint64_t n_docs_;
    std::string reason_;
    uint64_t seen_ = 0;  // one past the largest index checked
    uint64_t dropped_ = 0;
};

}  // namespace jenny::data
