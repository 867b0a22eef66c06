// MinHash stages 2-4 (buckets, clusters, filter) over files, and all four in memory.
#include <fmt/format.h>

#include <algorithm>
#include <tuple>
#include <unordered_map>

#include "data/minhash_internal.h"

namespace jenny::data {
namespace {

using base::Result;
using base::Status;
using minhash::Pair;

// One entry of a band across tasks; the numeric order is the merge order.
struct BandEntry {
    uint64_t hash;
    uint64_t node;  // node_id(task, doc)
    auto operator<=>(const BandEntry&) const = default;
};

// Pairs consecutive entries of every equal-hash run of the sorted `entries`.
void emit_pairs(const std::vector<BandEntry>& entries, std::vector<Pair>* pairs) {
    for (size_t i = 1; i < entries.size(); ++i) {
        if (entries[i].hash == entries[i - 1].hash) {
            pairs->push_back({entries[i - 1].node, entries[i].node});
        }
    }
}

Status missing(const Status& s, const std::string& what_to_run) {
    if (s.code() == base::StatusCode::kNotFound) {
        return Status::not_found(fmt::format("{}; {}", s.message(), what_to_run));
    }
    return s;
}

}  // namespace

namespace minhash {

void cluster_pairs(const std::vector<Pair>& pairs, uint32_t num_tasks, DedupRemovals* removals) {
    std::unordered_map<uint64_t, uint32_t> index;
    std::vector<uint64_t> nodes;
    std::vector<uint32_t> parent;
    index.reserve(pairs.size() * 2);
    auto id_of = [&](uint64_t node) {
        auto [it, added] = index.emplace(node, static_cast<uint32_t>(nodes.size()));
        if (added) {
            nodes.push_back(node);
            parent.push_back(it->second);
        }
        return it->second;
    };
    auto find = [&](uint32_t x) {
        while (parent[x] != x) {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        return x;
    };
    for (const Pair& p : pairs) {
        uint32_t ra = find(id_of(p.a));
        uint32_t rb = find(id_of(p.b));
        if (ra == rb) continue;
        // The smaller (task, doc) becomes the root: the one a cluster keeps.
        if (nodes[ra] < nodes[rb]) {
            parent[rb] = ra;
        } else {
            parent[ra] = rb;
        }
    }
    removals->removed.assign(num_tasks, {});
    removals->clusters = 0;
    for (uint32_t i = 0; i < nodes.size(); ++i) {
        if (find(i) == i) {
            ++removals->clusters;
        } else {
            removals->removed[nodes[i] >> 32].push_back(static_cast<uint32_t>(nodes[i]));
        }
    }
    for (auto& r : removals->removed) std::sort(r.begin(), r.end());
}

}  // namespace minhash

Result<MinhashBucketsStats> run_minhash_buckets(const std::string& dir, uint32_t band,
                                                const MinhashOptions& options, base::Env* env) {
    JENNY_RETURN_IF_ERROR(validate_minhash_options(options));
    if (band >= static_cast<uint32_t>(options.num_bands)) {
        return Status::invalid_argument(fmt::format(
            "minhash buckets: band {} is not below num_bands {}", band, options.num_bands));
    }
    const dedup::Params params = minhash::params_of(options);
    std::vector<dedup::FileView> views;
    uint32_t num_tasks = 1;
    for (uint32_t task = 0; task < num_tasks; ++task) {
        const std::string path = minhash_signature_path(dir, band, task);
        auto view = dedup::open_file(env, path, dedup::FileKind::kMinhashSignatures, params,
                                     minhash::kSignatureRecordBytes);
        if (!view.ok()) {
            return missing(view.status(),
                           fmt::format("run the minhash signature stage for task {}", task));
        }
        if (task == 0) num_tasks = view->header.num_tasks;
        if (view->header.task != task || view->header.band != band ||
            view->header.num_tasks != num_tasks || num_tasks == 0) {
            return Status::corruption(fmt::format(
                "{}: header says task {} of {}, band {}; expected task {} of {}, band {}", path,
                view->header.task, view->header.num_tasks, view->header.band, task, num_tasks,
                band));
        }
        views.push_back(std::move(*view));
    }

    MinhashBucketsStats stats;
    stats.num_tasks = num_tasks;
    dedup::FileHeader header;
    header.kind = dedup::FileKind::kMinhashDuplicates;
    header.params = params;
    header.num_tasks = num_tasks;
    header.band = band;
    header.record_size = minhash::kPairRecordBytes;
    const std::string out_path = minhash_duplicates_path(dir, band);
    auto writer = dedup::FileWriter::create(env, out_path, header);
    if (!writer.ok()) return writer.status();

    // k-way merge of the sorted per-task files, checking order and doc ranges as it goes.
    using Key = std::tuple<uint64_t, uint64_t>;  // hash, node
    auto read = [&](uint32_t task, uint64_t i, Key* out) -> Status {
        const uint8_t* r = views[task].record(i);
        uint32_t doc = dedup::get_u32(r + 8);
        if (doc >= views[task].header.n_docs) {
            return Status::corruption(fmt::format("{}: record {} names document {} of {}",
                                                  minhash_signature_path(dir, band, task), i, doc,
                                                  views[task].header.n_docs));
        }
        *out = {dedup::get_u64(r), minhash::node_id(task, doc)};
        return Status();
    };
    bool have_last = false;
    Key last{};
    uint8_t rec[minhash::kPairRecordBytes];
    auto visit = [&](const Key& key, uint32_t) -> Status {
        auto [hash, node] = key;
        ++stats.signatures;
        if (have_last && std::get<0>(last) == hash) {
            dedup::put_u32(rec, static_cast<uint32_t>(std::get<1>(last) >> 32));
            dedup::put_u32(rec + 4, static_cast<uint32_t>(std::get<1>(last)));
            dedup::put_u32(rec + 8, static_cast<uint32_t>(node >> 32));
            dedup::put_u32(rec + 12, static_cast<uint32_t>(node));
            JENNY_RETURN_IF_ERROR((*writer)->append(rec, sizeof(rec)));
            ++stats.pairs;
        }
        last = key;
        have_last = true;
        return Status();
    };
    auto unsorted = [&](uint32_t task, uint64_t i) {
        return Status::corruption(fmt::format("{}: records not sorted at record {}",
                                              minhash_signature_path(dir, band, task), i));
    };
    JENNY_RETURN_IF_ERROR(dedup::merge_sorted_records<Key>(views, read, visit, unsorted));
    JENNY_RETURN_IF_ERROR((*writer)->commit());
    return stats;
}

Result<MinhashClusterStats> run_minhash_clusters(const std::string& dir,
                                                 const MinhashOptions& options, base::Env* env) {
    JENNY_RETURN_IF_ERROR(validate_minhash_options(options));
    const dedup::Params params = minhash::params_of(options);
    MinhashClusterStats stats;
    std::vector<Pair> pairs;
    uint32_t num_tasks = 0;
    for (uint32_t band = 0; band < static_cast<uint32_t>(options.num_bands); ++band) {
        const std::string path = minhash_duplicates_path(dir, band);
        auto view = dedup::open_file(env, path, dedup::FileKind::kMinhashDuplicates, params,
                                     minhash::kPairRecordBytes);
        if (!view.ok()) {
            return missing(view.status(),
                           fmt::format("run the minhash buckets stage for band {}", band));
        }
        if (band == 0) num_tasks = view->header.num_tasks;
        if (view->header.band != band || view->header.num_tasks != num_tasks) {
            return Status::corruption(
                fmt::format("{}: header says band {} with {} tasks; expected band {} with {} "
                            "tasks",
                            path, view->header.band, view->header.num_tasks, band, num_tasks));
        }
        for (uint64_t i = 0; i < view->n_records; ++i) {
            const uint8_t* r = view->record(i);
            uint32_t t1 = dedup::get_u32(r), t2 = dedup::get_u32(r + 8);
            if (t1 >= num_tasks || t2 >= num_tasks) {
                return Status::corruption(fmt::format("{}: pair {} names task {} of {}", path, i,
                                                      std::max(t1, t2), num_tasks));
            }
            pairs.push_back({minhash::node_id(t1, dedup::get_u32(r + 4)),
                             minhash::node_id(t2, dedup::get_u32(r + 12))});
        }
    }
    // The document counts, for the filter's final check: band 0's signature headers.
    std::vector<uint64_t> n_docs(num_tasks);
    for (uint32_t task = 0; task < num_tasks; ++task) {
        auto view = dedup::open_file(env, minhash_signature_path(dir, 0, task),
                                     dedup::FileKind::kMinhashSignatures, params,
                                     minhash::kSignatureRecordBytes, /*verify_checksum=*/false);
        if (!view.ok()) {
            return missing(view.status(),
                           fmt::format("run the minhash signature stage for task {}", task));
        }
        n_docs[task] = view->header.n_docs;
    }
    for (const Pair& p : pairs) {
        for (uint64_t node : {p.a, p.b}) {
            if ((node & 0xFFFFFFFFu) >= n_docs[node >> 32]) {
                return Status::corruption(fmt::format(
                    "{}/buckets: a pair names document {} of task {}, which has {} documents", dir,
                    node & 0xFFFFFFFFu, node >> 32, n_docs[node >> 32]));
            }
        }
    }

    DedupRemovals removals;
    minhash::cluster_pairs(pairs, num_tasks, &removals);
    stats.num_tasks = num_tasks;
    stats.pairs = pairs.size();
    stats.clusters = removals.clusters;
    stats.removed = removals.total_removed();
    stats.documents_in_clusters = stats.clusters + stats.removed;

    for (uint32_t task = 0; task < num_tasks; ++task) {
        dedup::FileHeader header;
        header.kind = dedup::FileKind::kRemovals;
        header.params = params;
        header.task = task;
        header.num_tasks = num_tasks;
        header.record_size = minhash::kRemovalRecordBytes;
        header.n_docs = n_docs[task];
        auto writer = dedup::FileWriter::create(env, dedup_removal_path(dir, task), header);
        if (!writer.ok()) return writer.status();
        const auto& r = removals.removed[task];
        JENNY_RETURN_IF_ERROR((*writer)->append(r.data(), r.size() * sizeof(uint32_t)));
        JENNY_RETURN_IF_ERROR((*writer)->commit());
    }
    return stats;
}

Result<DedupFilter> open_minhash_filter(const std::string& dir, uint32_t task,
                                        const MinhashOptions& options, base::Env* env) {
    JENNY_RETURN_IF_ERROR(validate_minhash_options(options));
    return dedup::open_removal_filter(env, dir, task, minhash::params_of(options),
                                      "minhash_duplicate", "minhash clusters");
}

Result<DedupRemovals> run_minhash_dedup_in_memory(
    const std::vector<std::vector<std::string>>& texts, const MinhashOptions& options) {
    JENNY_RETURN_IF_ERROR(validate_minhash_options(options));
    const auto num_tasks = static_cast<uint32_t>(texts.size());
    const auto num_bands = static_cast<size_t>(options.num_bands);
    std::vector<std::vector<BandEntry>> bands(num_bands);
    MinhashSigner signer(options);
    std::vector<uint64_t> hashes;
    for (uint32_t task = 0; task < num_tasks; ++task) {
        if (texts[task].size() >= UINT32_MAX) {
            return Status::invalid_argument(
                fmt::format("minhash: task {} has {} documents; at most 2^32-1 per task", task,
                            texts[task].size()));
        }
        for (uint32_t doc = 0; doc < texts[task].size(); ++doc) {
            if (!signer.band_hashes(texts[task][doc], &hashes)) continue;
            for (size_t b = 0; b < num_bands; ++b) {
                bands[b].push_back({hashes[b], minhash::node_id(task, doc)});
            }
        }
    }
    std::vector<Pair> pairs;
    for (auto& entries : bands) {
        std::sort(entries.begin(), entries.end());
        emit_pairs(entries, &pairs);
        std::vector<BandEntry>().swap(entries);
    }
    DedupRemovals removals;
    minhash::cluster_pairs(pairs, num_tasks, &removals);
    removals.pairs = pairs.size();
    return removals;
}

}  // namespace jenny::data
