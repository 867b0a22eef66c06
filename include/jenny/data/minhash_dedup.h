// MinHash-LSH near-duplicate removal, datatrove's four-stage design (not byte-compatible
// with datatrove's files). Each stage can run as its own job; they talk through files under
// one directory `dir`:
//
//   1. signatures (per task i)  MinhashSignatureWriter  → sigs/bucket_{b:03}/task_{i:05}.bin
//   2. buckets (per band b)     run_minhash_buckets     → buckets/bucket_{b:03}.dups
//   3. clusters (one job)       run_minhash_clusters    → remove/task_{i:05}.bin
//   4. filter (per task i)      open_minhash_filter     → keep / drop "minhash_duplicate"
//
// Signature: the document's simplified words (text_simplify.h) form word n-grams (shingles,
// XXH3-64 of the n word hashes; a document with 1..n-1 words is one shingle, one with no
// word has no signature and is never a duplicate). Each of num_bands * rows_per_band hash
// functions h_k(x) = (a_k * x + b_k) mod (2^61 - 1), x = shingle mod (2^61 - 1), with a_k in
// [1, p) and b_k in [0, p) drawn from splitmix64(seed), gives the minimum over the shingles.
// Band b is rows r = b*rows_per_band .. +rows_per_band; its band hash is XXH3-64 (seed b) of
// those minima. Two documents are candidates when any band hash agrees; with 14 x 8 a pair
// of Jaccard J is found with probability 1 - (1 - J^8)^14 (0.92 at J = 0.8, 0.9996 at 0.9).
// Pairs are clustered (union-find); each cluster keeps its smallest (task, doc) — the first
// document in task order — and every other member is removed.
//
// Files (little-endian; all written to "<name>.tmp" and renamed, so a killed job never
// leaves a complete-looking half file): a 72-byte header (magic "JNYDEDUP", version 1, file
// kind, the MinhashOptions that matter: n_grams, num_bands, rows_per_band, seed, text
// normalisation flags; task, num_tasks, band, record size, n_docs of the task), the records,
// and a 24-byte footer (record count, XXH3-64 of the records, "JNYDDEND"). Records:
//   sigs/...    u64 band hash, u32 doc index — sorted by (hash, doc); 12 bytes
//   buckets/... u32 task, u32 doc, u32 task, u32 doc — consecutive documents of an equal-hash
//               run in (task, doc) order; 16 bytes
//   remove/...  u32 doc index — sorted; 4 bytes; one file per task, empty lists included
// A stage given files written with other options, or damaged / truncated / missing ones,
// returns an error naming the file; it never reads past a file.
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

struct MinhashOptions {
    int n_grams = 5;
    int num_bands = 14;
    int rows_per_band = 8;
    uint64_t seed = 1;
    TextNormOptions norm;

    template <class V>
    void visit(V& v) {
        v.field("n_grams", n_grams, "words per shingle");
        v.field("num_bands", num_bands, "LSH bands (buckets); more finds lower similarities");
        v.field("rows_per_band", rows_per_band, "hashes per band; more is stricter");
        v.field("seed", seed, "seed of the hash functions; the same for every stage");
        v.field("norm", norm, "text normalisation before shingling");
    }
};

// kInvalidArgument naming the field when an option is out of range (n_grams 1..64,
// num_bands 1..1024, rows_per_band 1..64).
base::Status validate_minhash_options(const MinhashOptions& options);

// Computes MinHash signatures. Not thread-safe (scratch buffers): use one per thread.
class MinhashSigner {
public:
    // `options` must be valid (JENNY_CHECK).
    explicit MinhashSigner(const MinhashOptions& options);

    // The num_bands*rows_per_band minima into *signature; false (nothing written) when the
    // text has no words.
    bool signature(std::string_view text, std::vector<uint64_t>* signature);
    // The num_bands band hashes into *bands; false when the text has no words.
    bool band_hashes(std::string_view text, std::vector<uint64_t>* bands);

private:
    MinhashOptions options_;
    std::vector<uint64_t> a_, b_;
    std::vector<uint64_t> shingles_, words_, signature_;
};

// Stage 1 for one task: add() the task's documents in order (document j = j-th add), then
// finish() writes the num_bands signature files. Holds 12 bytes per document per band in
// memory (168 bytes with 14 bands). Not thread-safe.
class MinhashSignatureWriter {
public:
    // kInvalidArgument for invalid options or task >= num_tasks.
    static base::Result<std::unique_ptr<MinhashSignatureWriter>> create(
        std::string dir, uint32_t task, uint32_t num_tasks, const MinhashOptions& options,
        base::Env* env = base::Env::Default());

    void add(std::string_view text);
    // Sorts and writes every band's file atomically. kIoError on write failures (no file
    // of this task is left under its real name for a failed band).
    base::Status finish();

    uint64_t documents() const { return n_docs_; }

private:
    MinhashSignatureWriter(std::string dir, uint32_t task, uint32_t num_tasks,
                           const MinhashOptions& options, base::Env* env);

    std::string dir_;
    uint32_t task_, num_tasks_;
    MinhashOptions options_;
    base::Env* env_;
    MinhashSigner signer_;
    std::vector<std::vector<std::pair<uint64_t, uint32_t>>> bands_;  // [band] (hash, doc)
    std::vector<uint64_t> scratch_;
    uint64_t n_docs_ = 0;
};

struct MinhashBucketsStats {
    uint32_t num_tasks = 0;
    uint64_t signatures = 0;  // documents with a signature, all tasks
    uint64_t pairs = 0;
};

// Stage 2 for band `band`: merges sigs/bucket_{band}/task_*.bin of all tasks (num_tasks from
// task 0's header; every task's file must exist) and writes buckets/bucket_{band}.dups.
// Streams the memory-mapped files. Errors: kNotFound naming the missing file and the stage
// to run, kCorruption / kFailedPrecondition from damaged or mismatched files.
base::Result<MinhashBucketsStats> run_minhash_buckets(const std::string& dir, uint32_t band,
                                                      const MinhashOptions& options,
                                                      base::Env* env = base::Env::Default());

struct MinhashClusterStats {
    uint32_t num_tasks = 0;
    uint64_t pairs = 0;
    uint64_t documents_in_clusters = 0;
    uint64_t clusters = 0;
    uint64_t removed = 0;
};

// Stage 3: reads buckets/bucket_*.dups of every band, clusters, writes remove/task_*.bin for
// every task (num_tasks from the .dups headers; n_docs from sigs/bucket_000 headers).
// Memory: ~40 bytes per document that has a duplicate. Errors as run_minhash_buckets.
base::Result<MinhashClusterStats> run_minhash_clusters(const std::string& dir,
                                                       const MinhashOptions& options,
                                                       base::Env* env = base::Env::Default());

// Stage 4: the filter for task `task` from remove/task_{task}.bin. Errors as above.
base::Result<DedupFilter> open_minhash_filter(const std::string& dir, uint32_t task,
                                              const MinhashOptions& options,
                                              base::Env* env = base::Env::Default());

// The four stages in memory over texts[task][doc]: the removals stages 1-3 would write.
// kInvalidArgument for invalid options or more than 2^32-1 documents in a task.
base::Result<DedupRemovals> run_minhash_dedup_in_memory(
    const std::vector<std::vector<std::string>>& texts, const MinhashOptions& options);

// Paths of the stage files under `dir`.
std::string minhash_signature_path(const std::string& dir, uint32_t band, uint32_t task);
std::string minhash_duplicates_path(const std::string& dir, uint32_t band);
std::string dedup_removal_path(const std::string& dir, uint32_t task);

}  // namespace jenny::data
