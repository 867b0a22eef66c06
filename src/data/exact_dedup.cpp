#include "jenny/data/exact_dedup.h"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "data/dedup_file.h"
#include "jenny/base/check.h"
#include "jenny/data/minhash_dedup.h"

namespace jenny::data {
namespace {

using base::Result;
using base::Status;

constexpr uint32_t kHashRecordBytes = 20;

dedup::Params params_of(const ExactDedupOptions& o) {
    dedup::Params p;
    p.method = dedup::Method::kExact;
    p.norm_flags = o.norm.flags();
    return p;
}

dedup::FileHeader removal_header(const dedup::Params& params, uint32_t task, uint32_t num_tasks,
                                 uint64_t n_docs) {
    dedup::FileHeader h;
    h.kind = dedup::FileKind::kRemovals;
    h.params = params;
    h.task = task;
    h.num_tasks = num_tasks;
    h.record_size = sizeof(uint32_t);
    h.n_docs = n_docs;
    return h;
}

}  // namespace

std::string exact_dedup_hash_path(const std::string& dir, uint32_t task) {
    return fmt::format("{}/hashes/task_{:05d}.bin", dir, task);
}

std::pair<uint64_t, uint64_t> exact_dedup_key(std::string_view text, const TextNormOptions& norm) {
    std::string simple = simplify_text(text, norm);
    if (simple.empty()) return {0, 0};
    XXH128_hash_t h = XXH3_128bits(simple.data(), simple.size());
    if (h.low64 == 0 && h.high64 == 0) h.low64 = 1;  // {0, 0} means "no key"
    return {h.low64, h.high64};
}

ExactDedupHashWriter::ExactDedupHashWriter(std::string dir, uint32_t task, uint32_t num_tasks,
                                           const ExactDedupOptions& options, base::Env* env)
    : dir_(std::move(dir)), task_(task), num_tasks_(num_tasks), options_(options), env_(env) {}

Result<std::unique_ptr<ExactDedupHashWriter>> ExactDedupHashWriter::create(
    std::string dir, uint32_t task, uint32_t num_tasks, const ExactDedupOptions& options,
    base::Env* env) {
    if (task >= num_tasks) {
        return Status::invalid_argument(
            fmt::format("exact dedup: task {} is not below num_tasks {}", task, num_tasks));
    }
    return std::unique_ptr<ExactDedupHashWriter>(
        new ExactDedupHashWriter(std::move(dir), task, num_tasks, options, env));
}

void ExactDedupHashWriter::add(std::string_view text) {
    JENNY_CHECK(n_docs_ < UINT32_MAX, "more than 2^32-1 documents in one dedup task");
    const auto doc = static_cast<uint32_t>(n_docs_++);
    auto [lo, hi] = exact_dedup_key(text, options_.norm);
    if (lo == 0 && hi == 0) return;
    entries_.push_back({lo, hi, doc});
}

Status ExactDedupHashWriter::finish() {
    std::sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
        return std::tie(a.lo, a.hi, a.doc) < std::tie(b.lo, b.hi, b.doc);
    });
    dedup::FileHeader header;
    header.kind = dedup::FileKind::kExactHashes;
    header.params = params_of(options_);
    header.task = task_;
    header.num_tasks = num_tasks_;
    header.record_size = kHashRecordBytes;
    header.n_docs = n_docs_;
    auto w = dedup::FileWriter::create(env_, exact_dedup_hash_path(dir_, task_), header);
    if (!w.ok()) return w.status();
    std::string buf(entries_.size() * kHashRecordBytes, '\0');
    auto* p = reinterpret_cast<uint8_t*>(buf.data());
    for (const Entry& e : entries_) {
        dedup::put_u64(p, e.lo);
        dedup::put_u64(p + 8, e.hi);
        dedup::put_u32(p + 16, e.doc);
        p += kHashRecordBytes;
    }
    JENNY_RETURN_IF_ERROR((*w)->append(buf.data(), buf.size()));
    JENNY_RETURN_IF_ERROR((*w)->commit());
    std::vector<Entry>().swap(entries_);
    return Status();
}

Result<ExactDedupStats> run_exact_dedup_merge(const std::string& dir,
                                              const ExactDedupOptions& options, base::Env* env) {
    const dedup::Params params = params_of(options);
    std::vector<dedup::FileView> views;
    uint32_t num_tasks = 1;
    for (uint32_t task = 0; task < num_tasks; ++task) {
        const std::string path = exact_dedup_hash_path(dir, task);
        auto view =
            dedup::open_file(env, path, dedup::FileKind::kExactHashes, params, kHashRecordBytes);
        if (!view.ok()) {
            if (view.status().code() != base::StatusCode::kNotFound) return view.status();
            return Status::not_found(fmt::format("{}; run the exact dedup hash stage for task {}",
                                                 view.status().message(), task));
        }
        if (task == 0) num_tasks = view->header.num_tasks;
        if (view->header.task != task || view->header.num_tasks != num_tasks || num_tasks == 0) {
            return Status::corruption(
                fmt::format("{}: header says task {} of {}, expected {} of {}", path,
                            view->header.task, view->header.num_tasks, task, num_tasks));
        }
        views.push_back(std::move(*view));
    }

    using Key = std::tuple<uint64_t, uint64_t, uint32_t, uint32_t>;  // lo, hi, task, doc
    auto read = [&](uint32_t task, uint64_t i, Key* out) -> Status {
        const uint8_t* r = views[task].record(i);
        uint32_t doc = dedup::get_u32(r + 16);
        if (doc >= views[task].header.n_docs) {
            return Status::corruption(fmt::format("{}: record {} names document {} of {}",
                                                  exact_dedup_hash_path(dir, task), i, doc,
                                                  views[task].header.n_docs));
        }
        *out = {dedup::get_u64(r), dedup::get_u64(r + 8), task, doc};
        return Status();
    };
    ExactDedupStats stats;
    stats.num_tasks = num_tasks;
    std::vector<std::vector<uint32_t>> removed(num_tasks);
    bool have_last = false, last_grouped = false;
    uint64_t last_lo = 0, last_hi = 0;
    // Merge order is (key, task, doc): the first of a key is the one kept.
    auto visit = [&](const Key& key, uint32_t task) -> Status {
        const auto [lo, hi, key_task, doc] = key;
        ++stats.documents;
        if (have_last && last_lo == lo && last_hi == hi) {
            removed[task].push_back(doc);
            if (!last_grouped) ++stats.groups;
            last_grouped = true;
        } else {
            last_grouped = false;
        }
        last_lo = lo, last_hi = hi;
        have_last = true;
        return Status();
    };
    auto unsorted = [&](uint32_t task, uint64_t i) {
        return Status::corruption(fmt::format("{}: records not sorted at record {}",
                                              exact_dedup_hash_path(dir, task), i));
    };
    JENNY_RETURN_IF_ERROR(dedup::merge_sorted_records<Key>(views, read, visit, unsorted));
    for (uint32_t task = 0; task < num_tasks; ++task) {
        auto& r = removed[task];
        std::sort(r.begin(), r.end());
        stats.removed += r.size();
        auto w = dedup::FileWriter::create(
            env, dedup_removal_path(dir, task),
            removal_header(params, task, num_tasks, views[task].header.n_docs));
        if (!w.ok()) return w.status();
        JENNY_RETURN_IF_ERROR((*w)->append(r.data(), r.size() * sizeof(uint32_t)));
        JENNY_RETURN_IF_ERROR((*w)->commit());
    }
    return stats;
}

Result<DedupFilter> open_exact_dedup_filter(const std::string& dir, uint32_t task,
                                            const ExactDedupOptions& options, base::Env* env) {
    return dedup::open_removal_filter(env, dir, task, params_of(options), "exact_duplicate",
                                      "exact dedup merge");
}

Result<DedupRemovals> run_exact_dedup_in_memory(const std::vector<std::vector<std::string>>& texts,
                                                const ExactDedupOptions& options) {
    std::vector<std::tuple<uint64_t, uint64_t, uint32_t, uint32_t>> keys;
    for (uint32_t task = 0; task < texts.size(); ++task) {
        if (texts[task].size() >= UINT32_MAX) {
            return Status::invalid_argument(fmt::format(
                "exact dedup: task {} has {} documents; at most 2^32-1", task, texts[task].size()));
        }
        for (uint32_t doc = 0; doc < texts[task].size(); ++doc) {
            auto [lo, hi] = exact_dedup_key(texts[task][doc], options.norm);
            if (lo != 0 || hi != 0) keys.emplace_back(lo, hi, task, doc);
        }
    }
    std::sort(keys.begin(), keys.end());
    DedupRemovals out;
    out.removed.resize(texts.size());
    for (size_t i = 1; i < keys.size(); ++i) {
        if (std::get<0>(keys[i]) == std::get<0>(keys[i - 1]) &&
            std::get<1>(keys[i]) == std::get<1>(keys[i - 1])) {
            out.removed[std::get<2>(keys[i])].push_back(std::get<3>(keys[i]));
            ++out.pairs;
            bool first_of_group = i == 1 || std::get<0>(keys[i - 2]) != std::get<0>(keys[i]) ||
                                  std::get<1>(keys[i - 2]) != std::get<1>(keys[i]);
            if (first_of_group) ++out.clusters;
        }
    }
    for (auto& r : out.removed) std::sort(r.begin(), r.end());
    return out;
}

}  // namespace jenny::data
