#include "jenny/train/data_parallel.h"

#include <algorithm>
#include <fmt/format.h>

#include "jenny/base/check.h"

namespace jenny::train {

std::string DataParallelPlan::describe() const {
    return fmt::format("data parallel: {} rank{} × micro_batch {} × accum {} = global batch {}",
                       ranks, ranks == 1 ? "" : "s", micro_batch, accum, global_batch);
}

base::Result<DataParallelPlan> plan_data_parallel(int64_t config_global_batch,
                                                  int64_t checkpoint_global_batch,
                                                  int micro_batch, int grad_accum, int ranks) {
    JENNY_CHECK(micro_batch > 0 && grad_accum > 0 && ranks > 0, "validated by the config");
    if (config_global_batch < 0)
        return base::Status::invalid_argument(
            "batch.global_batch must be >= 0 (0: micro_batch × grad_accum × ranks)");
    int64_t G = 0;
    if (checkpoint_global_batch > 0) {
        if (config_global_batch > 0 && config_global_batch != checkpoint_global_batch)
            return base::Status::invalid_argument(fmt::format(
                "batch.global_batch {} differs from the checkpoint's global batch {}: the data "
                "order and the optimiser trajectory depend on it; set batch.global_batch to {} "
                "(or 0) to resume, or start a new run in another out_dir",
                config_global_batch, checkpoint_global_batch, checkpoint_global_batch));
        G = checkpoint_global_batch;
    } else if (config_global_batch > 0) {
        G = config_global_batch;
    } else {
        G = static_cast<int64_t>(micro_batch) * grad_accum * ranks;
    }
    const int64_t per = static_cast<int64_t>(ranks) * micro_batch;
    if (G % per != 0)
        return base::Status::invalid_argument(fmt::format(
            "global batch {}{} is not divisible by ranks {} × batch.micro_batch {} = {}: use a "
            "global batch that is a multiple of {}, or another number of ranks or micro_batch",
            G, checkpoint_global_batch > 0 ? " (from the checkpoint)" : " (batch.global_batch)",
            ranks, micro_batch, per, per));
    DataParallelPlan p;
    p.ranks = ranks;
    p.micro_batch = micro_batch;
    p.accum = static_cast<int>(G / per);
    p.global_batch = G;
    return p;
}

std::vector<int64_t> shard_begins(int64_t n, int ranks) {
    std::vector<int64_t> b(static_cast<size_t>(ranks) + 1);
    for (int r = 0; r <= ranks; ++r)
        b[r] = static_cast<int64_t>((static_cast<__int128>(n) * r) / ranks);
    return b;
}

std::vector<AdamWGroup> shard_groups(const std::vector<AdamWGroup>& groups, int64_t begin,
                                     int64_t end) {
    std::vector<AdamWGroup> out;
    for (const AdamWGroup& g : groups) {
        const int64_t b = std::max(begin, g.offset), e = std::min(end, g.offset + g.size);
        if (b < e) out.push_back({b - begin, e - b, g.decay});
    }
    if (out.empty()) out.push_back({0, 0, true});  // an empty shard (more ranks than params)
    return out;
}

double grad_sum_squares(const float* g, int64_t n, base::WorkerTeam* team) {
    const int T = team != nullptr ? team->size() : 1;
    std::vector<double> partial(T, 0.0);
    auto body = [&](int t, int nt) {
        const int64_t b = n * t / nt, e = n * (t + 1) / nt;
        double s = 0;
        for (int64_t i = b; i < e; ++i) s += static_cast<double>(g[i]) * g[i];
        partial[t] = s;
    };
    if (team != nullptr) {
        team->run(body);
    } else {
        body(0, 1);
    }
    double s = 0;
    for (double p : partial) s += p;
    return s;
}

GradBucketReducer::GradBucketReducer(Collective* comm, float* grads, int64_t n,
                                     int64_t bucket_elems)
    : comm_(comm), grads_(grads), n_(n), bucket_elems_(std::max<int64_t>(1, bucket_elems)),
      issued_from_(n) {}

void GradBucketReducer::begin() {
    issued_from_ = n_;
    buckets_ = 0;
}

void GradBucketReducer::ready_from(int64_t b) {
    b = std::clamp<int64_t>(b, 0, n_);
    if (issued_from_ - b >= bucket_elems_) {
        comm_->start_all_reduce_sum(grads_ + b, issued_from_ - b);
        issued_from_ = b;
        ++buckets_;
    } else {
        comm_->poll();
    }
}

void GradBucketReducer::finish() {
    if (issued_from_ > 0) {
        comm_->start_all_reduce_sum(grads_, issued_from_);
        issued_from_ = 0;
        ++buckets_;
    }
    comm_->wait_all();
}

}  // namespace jenny::train
