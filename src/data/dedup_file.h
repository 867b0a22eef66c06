// The binary files that dedup stages hand each other (private to src/data; the layout is
// documented in include/jenny/data/minhash_dedup.h). Every file is
//   header (72 bytes) | n_records fixed-size records | footer (24 bytes)
// little-endian, written to "<path>.tmp" and renamed into place on commit, so a file that
// exists under its real name is complete; the footer's record count and XXH3-64 of the
// records catch truncation and corruption anyway (a copied or damaged file).
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "jenny/base/env.h"
#include "jenny/base/result.h"
#include "jenny/data/dedup_filter.h"

namespace jenny::data::dedup {

enum class FileKind : uint32_t {
    kMinhashSignatures = 1,  // record: u64 band hash, u32 doc            (sorted)
    kMinhashDuplicates = 2,  // record: u32 task, u32 doc, u32 task, u32 doc
    kRemovals = 3,           // record: u32 doc                           (sorted, unique)
    kExactHashes = 4,        // record: u64 hash lo, u64 hash hi, u32 doc (sorted)
};

enum class Method : uint32_t { kMinhash = 1, kExact = 2 };

// What must agree between the stages of one dedup run.
struct Params {
    Method method = Method::kMinhash;
    uint32_t n_grams = 0;
    uint32_t num_bands = 0;
    uint32_t rows_per_band = 0;
    uint64_t seed = 0;
    uint32_t norm_flags = 0;

    bool operator==(const Params&) const = default;
    std::string describe() const;  // "minhash n_grams=5 num_bands=14 ..."
};

struct FileHeader {
    FileKind kind = FileKind::kRemovals;
    Params params;
    uint32_t task = 0;       // the task the file belongs to (0 for per-band files)
    uint32_t num_tasks = 0;  // tasks in the run
    uint32_t band = 0;       // the band (MinHash per-band files), else 0
    uint32_t record_size = 0;
    uint64_t n_docs = 0;  // documents the task saw (signature / hash / removal files)
};

inline constexpr size_t kHeaderBytes = 72;
inline constexpr size_t kFooterBytes = 24;

inline void put_u32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }
inline void put_u64(uint8_t* p, uint64_t v) { std::memcpy(p, &v, 8); }
inline uint32_t get_u32(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}
inline uint64_t get_u64(const uint8_t* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}

// Streams records into "<path>.tmp"; commit() adds the footer, fsyncs and renames it to
// `path`. Destroying an uncommitted writer removes the temporary file. Not thread-safe.
class FileWriter {
public:
    // Creates the parent directory and the temporary file. Errors: kIoError.
    static base::Result<std::unique_ptr<FileWriter>> create(base::Env* env, std::string path,
                                                            const FileHeader& header);
    ~FileWriter();

    // Appends whole records (size a multiple of the header's record_size).
    base::Status append(const void* data, size_t size);
    base::Status commit();

private:
    FileWriter(base::Env* env, std::string path, std::unique_ptr<base::WritableFile> file,
               uint32_t record_size);
    base::Status flush();

    base::Env* env_;
    std::string path_;
    std::unique_ptr<base::WritableFile> file_;
    uint32_t record_size_;
    std::string buffer_;
    uint64_t n_records_ = 0;
    void* hash_state_;  // XXH3 state of the records
    bool committed_ = false;
};

// A validated, memory-mapped dedup file.
struct FileView {
    FileHeader header;
    const uint8_t* records = nullptr;
    uint64_t n_records = 0;
    std::unique_ptr<base::MappedFile> map;

    const uint8_t* record(uint64_t i) const { return records + i * header.record_size; }
};

// Maps `path` and checks magic, version, kind, params == `expected`, record size, length
// against the footer's count and (when `verify_checksum`) the checksum. Errors name the
// path: kNotFound (missing), kCorruption (truncated, damaged), kFailedPrecondition (written
// with other options), kInvalidArgument (another kind of file), kUnsupported (version).
base::Result<FileView> open_file(base::Env* env, const std::string& path, FileKind kind,
                                 const Params& expected, uint32_t record_size,
                                 bool verify_checksum = true);

// The filter for remove/task_{task}.bin under `dir`, checked against `params`; `stage` names
// the stage that writes it, for the not-found message.
base::Result<DedupFilter> open_removal_filter(base::Env* env, const std::string& dir, uint32_t task,
                                              const Params& params, std::string reason,
                                              const std::string& stage);

// k-way merge of per-task files of sorted records (views[t] is task t's): `read(task, i,
// &key)` decodes record i of a task (a Status for a bad record), `visit(key, task)` sees every
// record in key order. Key is a tuple whose order is the merge order; within one task keys
// must strictly increase, or `unsorted(task, i)` gives the error for record i.
template <class Key, class Read, class Visit, class Unsorted>
base::Status merge_sorted_records(const std::vector<FileView>& views, Read read, Visit visit,
                                  Unsorted unsorted) {
    struct Head {
        Key key;
        uint32_t task;
        bool operator>(const Head& o) const { return key > o.key; }
    };
    std::priority_queue<Head, std::vector<Head>, std::greater<>> heap;
    std::vector<uint64_t> cursor(views.size(), 0);
    for (uint32_t t = 0; t < views.size(); ++t) {
        if (views[t].n_records == 0) continue;
        Head h{{}, t};
        JENNY_RETURN_IF_ERROR(read(t, 0, &h.key));
        heap.push(h);
    }
    while (!heap.empty()) {
        const Head cur = heap.top();
        heap.pop();
        JENNY_RETURN_IF_ERROR(visit(cur.key, cur.task));
        const uint32_t task = cur.task;
        if (++cursor[task] == views[task].n_records) continue;
        Head next{{}, task};
        JENNY_RETURN_IF_ERROR(read(task, cursor[task], &next.key));
        if (next.key <= cur.key) return unsorted(task, cursor[task]);
        heap.push(next);
    }
    return base::Status();
}

}  // namespace jenny::data::dedup
