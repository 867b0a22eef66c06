#include "jenny/train/batch_source.h"

#include <algorithm>
#include <cmath>

#include "jenny/base/check.h"
#include "jenny/base/rng.h"
#include "jenny/data/global_sampler.h"
#include "jenny/data/token_dataset.h"

namespace jenny::train {

struct BatchSource::Impl {
    int T = 0;
    int vocab = 0;
    uint64_t seed = 0;
    bool synthetic = false;
    std::vector<std::unique_ptr<data::TokenDataset>> datasets;
    std::vector<std::string> names;
    std::vector<double> weights;
    std::vector<data::TokenWindows> train;  // one per train source
    std::vector<data::TokenWindows> val;    // every val range, read in order
    std::optional<data::GlobalSampler> sampler;
    int64_t n_val = 0;
    int64_t train_tokens = 0;
};

BatchSource::BatchSource(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BatchSource::~BatchSource() = default;

namespace {

base::Result<std::unique_ptr<data::TokenDataset>> open_checked(const std::string& path,
                                                               int vocab_size,
                                                               const std::string& hash,
                                                               base::Env* env) {
    auto ds = data::TokenDataset::open(path, env);
    if (!ds.ok()) return ds.status().with_context("data");
    const data::TokenDatasetMeta& m = (*ds)->meta();
    if (m.vocab_size > vocab_size)
        return base::Status::failed_precondition(
            "data: " + path + " was tokenized with a vocabulary of " +
            std::to_string(m.vocab_size) + " tokens but the model has " +
            std::to_string(vocab_size) + "; tokenize it with the model's tokenizer");
    if (!hash.empty() && !m.tokenizer_hash.empty() && m.tokenizer_hash != hash)
        return base::Status::failed_precondition(
            "data: " + path + " was made by tokenizer " + m.tokenizer_hash +
            " but the model's tokenizer is " + hash +
            "; re-run jenny tokenize-dataset with the model's tokenizer");
    return std::move(*ds);
}

// seg (T): each token's document start in the window, from the starts TokenWindows::read gives.
void fill_segments(const std::vector<int32_t>& starts, int T, int32_t* seg) {
    int32_t begin = 0;
    size_t k = 0;
    for (int t = 0; t < T; ++t) {
        while (k < starts.size() && starts[k] <= t) begin = starts[k++];
        seg[t] = begin;
    }
}

}  // namespace

base::Result<std::unique_ptr<BatchSource>> BatchSource::open(const TrainConfig& config,
                                                             int vocab_size,
                                                             const std::string& tokenizer_hash,
                                                             base::Env* env) {
    auto impl = std::make_unique<Impl>();
    impl->T = config.batch.seq_len;
    impl->vocab = vocab_size;
    impl->seed = config.seed;
    impl->synthetic = config.data.synthetic;
    if (impl->synthetic) return std::unique_ptr<BatchSource>(new BatchSource(std::move(impl)));
    if (config.data.train.empty())
        return base::Status::invalid_argument(
            "data.train: no datasets; list token datasets made by jenny tokenize-dataset, or "
            "set data.synthetic: true for a benchmark");
    const int T = impl->T;
    std::vector<data::SamplerSource> sources;
    for (size_t i = 0; i < config.data.train.size(); ++i) {
        const DataSource& src = config.data.train[i];
        JENNY_ASSIGN_OR_RETURN(auto ds, open_checked(src.path, vocab_size, tokenizer_hash, env));
        const int64_t n = data::TokenWindows::count(*ds, T);
        int64_t n_val = 0;
        if (config.data.val.empty() && config.data.val_fraction > 0 && n > 1)
            n_val = std::max<int64_t>(1, static_cast<int64_t>(n * config.data.val_fraction));
        if (n - n_val < 1)
            return base::Status::failed_precondition(
                "data.train[" + std::to_string(i) + "]: " + src.path + " has " +
                std::to_string(ds->n_tokens()) + " tokens, fewer than one window of seq_len " +
                std::to_string(T) + " + 1 (after the val split); add data or lower seq_len");
        impl->train.emplace_back(ds.get(), T, 0, n - n_val);
        if (n_val > 0) impl->val.emplace_back(ds.get(), T, n - n_val, n_val);
        impl->train_tokens += (n - n_val) * T;
        sources.push_back({n - n_val, src.weight});
        impl->names.push_back(src.path);
        impl->weights.push_back(src.weight);
        impl->datasets.push_back(std::move(ds));
    }
    for (const DataSource& src : config.data.val) {
        JENNY_ASSIGN_OR_RETURN(auto ds, open_checked(src.path, vocab_size, tokenizer_hash, env));
        const int64_t n = data::TokenWindows::count(*ds, T);
        if (n < 1)
            return base::Status::failed_precondition("data.val: " + src.path +
                                                     " holds less than one window of seq_len " +
                                                     std::to_string(T) + " + 1");
        impl->val.emplace_back(ds.get(), T, 0, n);
        impl->datasets.push_back(std::move(ds));
    }
    for (const auto& w : impl->val) impl->n_val += w.size();
    auto sampler = data::GlobalSampler::create(sources, config.seed);
    if (!sampler.ok()) return sampler.status().with_context("data.train");
    impl->sampler.emplace(std::move(*sampler));
    return std::unique_ptr<BatchSource>(new BatchSource(std::move(impl)));
}

void BatchSource::read_train(int64_t g0, int B, int32_t* inputs, int32_t* targets,
                             int32_t* seg_begin) const {
    const Impl& I = *impl_;
    const int T = I.T;
    std::vector<int32_t> starts;
    for (int b = 0; b < B; ++b) {
        const int64_t g = g0 + b;
        int32_t* in = inputs + static_cast<int64_t>(b) * T;
        int32_t* tg = targets + static_cast<int64_t>(b) * T;
        if (seg_begin) std::fill(seg_begin + int64_t{b} * T, seg_begin + int64_t{b + 1} * T, 0);
        if (I.synthetic) {
            base::Rng rng(I.seed * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(g) + 1);
            int32_t prev = static_cast<int32_t>(rng.below(I.vocab));
            for (int t = 0; t < T; ++t) {
                in[t] = prev;
                prev = static_cast<int32_t>(rng.below(I.vocab));
                tg[t] = prev;
            }
            continue;
        }
        const data::GlobalSampler::Pick p = I.sampler->pick(g);
        I.train[p.source].read(p.window, in, tg, seg_begin ? &starts : nullptr);
        if (seg_begin) fill_segments(starts, T, seg_begin + int64_t{b} * T);
    }
}

void BatchSource::read_val(int64_t i0, int B, int32_t* inputs, int32_t* targets,
                           int32_t* seg_begin) const {
    const Impl& I = *impl_;
    if (I.synthetic) return read_train((int64_t{1} << 50) + i0, B, inputs, targets, seg_begin);
    JENNY_CHECK(I.n_val > 0, "read_val without val data");
    const int T = I.T;
    std::vector<int32_t> starts;
    for (int b = 0; b < B; ++b) {
        int64_t i = (i0 + b) % I.n_val;
        for (const data::TokenWindows& w : I.val) {
            if (i < w.size()) {
                w.read(i, inputs + static_cast<int64_t>(b) * T, targets + static_cast<int64_t>(b) * T,
                       seg_begin ? &starts : nullptr);
                if (seg_begin) fill_segments(starts, T, seg_begin + int64_t{b} * T);
                break;
            }
            i -= w.size();
        }
    }
}

bool BatchSource::has_val() const { return impl_->n_val > 0 || impl_->synthetic; }

int64_t BatchSource::n_train_windows() const {
    int64_t n = 0;
    for (const auto& w : impl_->train) n += w.size();
    return n;
}

int64_t BatchSource::n_val_windows() const { return impl_->n_val; }
int64_t BatchSource::train_tokens() const { return impl_->train_tokens; }

std::string BatchSource::describe() const {
    const Impl& I = *impl_;
    if (I.synthetic) return "synthetic data: uniform random tokens of a " +
                            std::to_string(I.vocab) + "-token vocabulary";
    std::string s = std::to_string(I.train.size()) + " source" + (I.train.size() == 1 ? "" : "s") + " (";
    double total = 0;
    for (double w : I.weights) total += w;
    for (size_t i = 0; i < I.names.size(); ++i) {
        char buf[64];
        std::snprintf(buf, sizeof buf, " %.2f", total > 0 ? I.weights[i] / total : 0.0);
        s += (i ? ", " : "") + I.names[i] + buf;
    }
    s += "): " + std::to_string(n_train_windows()) + " train windows of " + std::to_string(I.T) +
         " tokens, " + std::to_string(I.n_val) + " val windows";
    return s;
}

}  // namespace jenny::train
