#include "data/pipeline_dedup.h"

namespace jenny::data {

base::Result<std::unique_ptr<DedupCollector>> DedupCollector::create(const PipelineDedup& d,
                                                                     int task, int num_tasks,
                                                                     base::Env* env) {
    auto c = std::make_unique<DedupCollector>();
    const auto t = static_cast<uint32_t>(task), n = static_cast<uint32_t>(num_tasks);
    if (d.kind == "minhash") {
        JENNY_ASSIGN_OR_RETURN(c->minhash_,
                               MinhashSignatureWriter::create(d.dir, t, n, d.minhash, env));
    } else {
        JENNY_ASSIGN_OR_RETURN(c->exact_, ExactDedupHashWriter::create(d.dir, t, n, d.exact, env));
    }
    return c;
}

void DedupCollector::add(std::string_view text) {
    if (minhash_) {
        minhash_->add(text);
    } else {
        exact_->add(text);
    }
}

base::Status DedupCollector::finish() { return minhash_ ? minhash_->finish() : exact_->finish(); }

bool dedup_step_done(const PipelineDedup& d, base::Env* env) {
    return env->file_exists(d.dir + "/done");
}

base::Status run_dedup_step(const PipelineDedup& d, base::Env* env) {
    if (d.kind == "minhash") {
        for (int b = 0; b < d.minhash.num_bands; ++b)
            JENNY_RETURN_IF_ERROR(
                run_minhash_buckets(d.dir, static_cast<uint32_t>(b), d.minhash, env).status());
        JENNY_RETURN_IF_ERROR(run_minhash_clusters(d.dir, d.minhash, env).status());
    } else {
        JENNY_RETURN_IF_ERROR(run_exact_dedup_merge(d.dir, d.exact, env).status());
    }
    return env->write_file_atomic(d.dir + "/done", "done\n");
}

base::Result<DedupFilter> open_dedup_filter(const PipelineDedup& d, int task, base::Env* env) {
    const auto t = static_cast<uint32_t>(task);
    if (d.kind == "minhash") return open_minhash_filter(d.dir, t, d.minhash, env);
    return open_exact_dedup_filter(d.dir, t, d.exact, env);
}

}  // namespace jenny::data
