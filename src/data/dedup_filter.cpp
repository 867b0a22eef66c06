#include "jenny/data/dedup_filter.h"

#include <fmt/format.h>

#include "data/dedup_file.h"
#include "jenny/base/check.h"
#include "jenny/data/minhash_dedup.h"

namespace jenny::data {

uint64_t DedupRemovals::total_removed() const {
    uint64_t n = 0;
    for (const auto& r : removed) n += r.size();
    return n;
}

DedupFilter::DedupFilter(std::vector<uint32_t> removed, uint64_t n_docs, std::string reason)
    : removed_(std::move(removed)), n_docs_(n_docs), reason_(std::move(reason)) {}

Verdict DedupFilter::next() { return check(seen_); }

Verdict DedupFilter::check(uint64_t doc_index) {
    JENNY_CHECK(doc_index >= seen_, "DedupFilter::check: index {} after {}", doc_index, seen_);
    seen_ = doc_index + 1;
    while (cursor_ < removed_.size() && removed_[cursor_] < doc_index) ++cursor_;
    if (cursor_ < removed_.size() && removed_[cursor_] == doc_index) {
        ++cursor_;
        ++dropped_;
        return Verdict::drop(reason_);
    }
    return Verdict::kept();
}

void DedupFilter::resume_at(uint64_t doc_index) {
    JENNY_CHECK(doc_index >= seen_, "DedupFilter::resume_at: index {} after {}", doc_index, seen_);
    seen_ = doc_index;
    while (cursor_ < removed_.size() && removed_[cursor_] < doc_index) ++cursor_;
}

base::Status DedupFilter::finish() const {
    if (n_docs_ != 0 && seen_ != n_docs_) {
        return base::Status::failed_precondition(fmt::format(
            "{} filter: the first stage saw {} documents in this task but the filter saw {}; "
            "the filter must read the same documents in the same order",
            reason_, n_docs_, seen_));
    }
    if (!removed_.empty() && removed_.back() >= seen_) {
        return base::Status::failed_precondition(fmt::format(
            "{} filter: the removal list names document {} but the filter saw only {}; the "
            "filter must read the same documents as the first stage",
            reason_, removed_.back(), seen_));
    }
    return base::Status();
}

namespace dedup {

using base::Result;
using base::Status;

Result<DedupFilter> open_removal_filter(base::Env* env, const std::string& dir, uint32_t task,
                                        const Params& params, std::string reason,
                                        const std::string& stage) {
    const std::string path = dedup_removal_path(dir, task);
    auto view = open_file(env, path, FileKind::kRemovals, params, sizeof(uint32_t));
    if (!view.ok()) {
        if (view.status().code() != base::StatusCode::kNotFound) return view.status();
        return Status::not_found(
            fmt::format("{}; run the {} stage first", view.status().message(), stage));
    }
    if (view->header.task != task) {
        return Status::corruption(
            fmt::format("{}: header says task {}, expected {}", path, view->header.task, task));
    }
    std::vector<uint32_t> removed(view->n_records);
    for (uint64_t i = 0; i < view->n_records; ++i) {
        removed[i] = get_u32(view->record(i));
        if (removed[i] >= view->header.n_docs || (i > 0 && removed[i] <= removed[i - 1])) {
            return Status::corruption(
                fmt::format("{}: entry {} ({}) is out of order or past the task's {} documents",
                            path, i, removed[i], view->header.n_docs));
        }
    }
    return DedupFilter(std::move(removed), view->header.n_docs, std::move(reason));
}

}  // namespace dedup

}  // namespace jenny::data
