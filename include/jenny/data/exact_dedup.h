// Exact-duplicate removal over normalised text, staged like MinHash (minhash_dedup.h) so it
// works across tasks:
//
//   1. hashes (per task i)  ExactDedupHashWriter   → hashes/task_{i:05}.bin
//   2. merge (one job)      run_exact_dedup_merge  → remove/task_{i:05}.bin
//   3. filter (per task i)  open_exact_dedup_filter → keep / drop "exact_duplicate"
//
// A document's key is XXH3-128 of simplify_text(text) (text_simplify.h: lower case,
// punctuation and whitespace runs become one space, numbers → 0, diacritics stripped), so
// documents differing only in case, spacing, punctuation or digits are duplicates. A
// document whose simplified text is empty is never a duplicate. Of each group the first in
// (task, doc) order is kept. hashes/ records: u64 lo, u64 hi, u32 doc (20 bytes, sorted);
// header, footer, atomic writes and errors as in minhash_dedup.h.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jenny/base/env.h"
#include "jenny/base/result.h"
#include "jenny/data/dedup_filter.h"
#include "jenny/data/text_simplify.h"

namespace jenny::data {

struct ExactDedupOptions {
    TextNormOptions norm;

    template <class V>
    void visit(V& v) {
        v.field("norm", norm, "text normalisation before hashing");
    }
};

// The 128-bit key of a text as {lo, hi}; {0, 0} when its simplified text is empty.
std::pair<uint64_t, uint64_t> exact_dedup_key(std::string_view text, const TextNormOptions& norm);

// Stage 1 for one task: add() documents in order, finish() writes hashes/task_{task}.bin.
// Holds 24 bytes per document. Not thread-safe.
class ExactDedupHashWriter {
public:
    // kInvalidArgument when task >= num_tasks.
    static base::Result<std::unique_ptr<ExactDedupHashWriter>> create(
        std::string dir, uint32_t task, uint32_t num_tasks, const ExactDedupOptions& options,
        base::Env* env = base::Env::Default());

    void add(std::string_view text);
    base::Status finish();  // kIoError on write failure; nothing left under the real name

    uint64_t documents() const { return n_docs_; }

private:
    ExactDedupHashWriter(std::string dir, uint32_t task, uint32_t num_tasks,
                         const ExactDedupOptions& options, base::Env* env);

    struct Entry {
        uint64_t lo, hi;
        uint32_t doc;
    };
    std::string dir_;
    uint32_t task_, num_tasks_;
    ExactDedupOptions options_;
    base::Env* env_;
    std::vector<Entry> entries_;
    uint64_t n_docs_ = 0;
};

struct ExactDedupStats {
    uint32_t num_tasks = 0;
    uint64_t documents = 0;  // with a non-empty key, all tasks
    uint64_t groups = 0;     // keys shared by 2+ documents
    uint64_t removed = 0;
};

// Stage 2: merges hashes/task_*.bin of every task (num_tasks from task 0's header) and
// writes remove/task_*.bin. Streams the memory-mapped files. Errors name the file: kNotFound
// (and the stage to run), kCorruption, kFailedPrecondition (other options).
base::Result<ExactDedupStats> run_exact_dedup_merge(const std::string& dir,
                                                    const ExactDedupOptions& options,
                                                    base::Env* env = base::Env::Default());

// Stage 3: the filter for task `task`. Errors as above.
base::Result<DedupFilter> open_exact_dedup_filter(const std::string& dir, uint32_t task,
                                                  const ExactDedupOptions& options,
                                                  base::Env* env = base::Env::Default());

// All stages in memory over texts[task][doc]. kInvalidArgument for a task of 2^32+ docs.
base::Result<DedupRemovals> run_exact_dedup_in_memory(
    const std::vector<std::vector<std::string>>& texts, const ExactDedupOptions& options);

std::string exact_dedup_hash_path(const std::string& dir, uint32_t task);

}  // namespace jenny::data
