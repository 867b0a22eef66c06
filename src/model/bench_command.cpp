#include "jenny/model/bench_command.h"

#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "jenny/base/rng.h"
#include "jenny/model/batch.h"
#include "jenny/model/kv_cache.h"

namespace jenny::model {

using base::Status;

namespace {

uint64_t count_params(const LlamaWeights& w) {
    uint64_t n = 0;
    auto add = [&](const tensor::Tensor& t) {
        if (t.defined()) n += static_cast<uint64_t>(t.numel());
    };
    add(w.tok_embeddings);
    add(w.norm);
    if (w.output.data() != w.tok_embeddings.data()) add(w.output);
    for (const auto& l : w.layers) {
        for (const tensor::Tensor* t : {&l.attn_norm, &l.wq, &l.wk, &l.wv, &l.wqkv, &l.bq, &l.bk,
                                        &l.bv, &l.wo, &l.ffn_norm, &l.w_gate, &l.w_up, &l.w_down}) {
            add(*t);
        }
    }
    return n;
}

void summarise(BenchTest* t) {
    std::vector<double> rate;
    for (double s : t->seconds) rate.push_back(s > 0 ? t->n_tokens / s : 0.0);
    std::sort(rate.begin(), rate.end());
    const size_t n = rate.size();
    t->median_tok_s = n % 2 ? rate[n / 2] : 0.5 * (rate[n / 2 - 1] + rate[n / 2]);
    double sum = 0, sum2 = 0;
    for (double r : rate) {
        sum += r;
        sum2 += r * r;
    }
    t->mean_tok_s = sum / n;
    const double var = n > 1 ? (sum2 - sum * sum / n) / (n - 1) : 0.0;
    t->stddev_tok_s = var > 0 ? std::sqrt(var) : 0.0;
}

}  // namespace

uint64_t peak_rss_bytes() {
    // VmHWM is this process image's own peak; getrusage's ru_maxrss survives exec and so can
    // report the peak of the process that forked us (a Python benchmark driver, say).
    if (std::FILE* f = std::fopen("/proc/self/status", "r")) {
        char line[256];
        unsigned long long kib = 0;
        bool found = false;
        while (!found && std::fgets(line, sizeof line, f) != nullptr) {
            found = std::sscanf(line, "VmHWM: %llu kB", &kib) == 1;
        }
        std::fclose(f);
        if (found) return static_cast<uint64_t>(kib) * 1024;
    }
    struct rusage ru {};
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
    return static_cast<uint64_t>(ru.ru_maxrss) * 1024;  // KiB on Linux
}

base::Result<BenchGenerateResult> bench_generate(LoadedModel& m, const BenchGenerateConfig& cfg,
                                                 base::Env* env) {
    LlamaModel& model = *m.model;
    const LlamaConfig& c = model.config();
    if (cfg.pp < 0 || cfg.tg < 0 || cfg.tg_prompt < 1) {
        return Status::invalid_argument(
            fmt::format("pp ({}) and tg ({}) must be >= 0 and tg_prompt ({}) >= 1", cfg.pp, cfg.tg,
                        cfg.tg_prompt));
    }
    if (cfg.reps < 1) return Status::invalid_argument("reps must be at least 1");
    if (cfg.pp > c.max_seq_len || cfg.tg_prompt + cfg.tg > c.max_seq_len) {
        return Status::invalid_argument(fmt::format(
            "pp {} / tg_prompt + tg {} exceed the model's context {} (use smaller --pp / --tg)",
            cfg.pp, cfg.tg_prompt + cfg.tg, c.max_seq_len));
    }
    auto kv_dtype = tensor::dtype_from_name(cfg.kv_dtype);
    if (!kv_dtype) return Status::invalid_argument("kv_dtype: " + cfg.kv_dtype);

    const int block = 16;
    const int max_len = std::max(cfg.pp, cfg.tg_prompt + cfg.tg);
    JENNY_ASSIGN_OR_RETURN(
        auto kv, KvCache::create(model.kv_config(*kv_dtype, (max_len + block - 1) / block, block)));
    base::Rng rng(cfg.seed);
    auto random_ids = [&](int n) {
        std::vector<int32_t> ids(n);
        for (int32_t& id : ids) id = static_cast<int32_t>(rng.below(c.vocab_size));
        return ids;
    };
    std::vector<float> logits(c.vocab_size);
    Batch batch;

    // One prompt of n tokens from an empty cache; returns seconds.
    auto run_pp = [&](int n) -> base::Result<double> {
        std::vector<int32_t> ids = random_ids(n);
        JENNY_RETURN_IF_ERROR(kv->add_sequence(0));
        const uint64_t t0 = env->now_micros();
        Status s = kv->append(0, n);
        if (s.ok()) {
            batch.clear();
            batch.add_sequence(ids, 0, 0);
            s = model.forward(batch, *kv, logits.data());
        }
        const uint64_t t1 = env->now_micros();
        kv->free_sequence(0);
        JENNY_RETURN_IF_ERROR(s);
        return (t1 - t0) * 1e-6;
    };
    // A prompt of tg_prompt tokens (untimed), then n single-token steps; returns seconds.
    auto run_tg = [&](int n) -> base::Result<double> {
        std::vector<int32_t> ids = random_ids(cfg.tg_prompt + n);
        JENNY_RETURN_IF_ERROR(kv->add_sequence(0));
        Status s = kv->append(0, cfg.tg_prompt);
        if (s.ok()) {
            batch.clear();
            batch.add_sequence(std::span<const int32_t>(ids).first(cfg.tg_prompt), 0, 0);
            s = model.forward(batch, *kv, logits.data());
        }
        const uint64_t t0 = env->now_micros();
        for (int i = 0; i < n && s.ok(); ++i) {
            s = kv->append(0, 1);
            if (!s.ok()) break;
            batch.clear();
            batch.add(ids[cfg.tg_prompt + i], cfg.tg_prompt + i, 0, true);
            s = model.forward(batch, *kv, logits.data());
        }
        const uint64_t t1 = env->now_micros();
        kv->free_sequence(0);
        JENNY_RETURN_IF_ERROR(s);
        return (t1 - t0) * 1e-6;
    };

    BenchGenerateResult r;
    r.format = m.format;
    r.n_params = count_params(model.weights());
    r.model_bytes = model.weights().bytes();
    for (const auto& [name, bytes] : m.bytes_by_dtype) {
        r.weights_dtypes += (r.weights_dtypes.empty() ? "" : "+") + name;
    }
    r.threads = model.team().size();
    if (cfg.pp > 0) {
        BenchTest t;
        t.name = fmt::format("pp{}", cfg.pp);
        t.n_tokens = cfg.pp;
        JENNY_RETURN_IF_ERROR(run_pp(cfg.pp).status());  // warm-up
        for (int rep = 0; rep < cfg.reps; ++rep) {
            JENNY_ASSIGN_OR_RETURN(double s, run_pp(cfg.pp));
            t.seconds.push_back(s);
        }
        summarise(&t);
        r.tests.push_back(std::move(t));
    }
    if (cfg.tg > 0) {
        BenchTest t;
        t.name = fmt::format("tg{}", cfg.tg);
        t.n_tokens = cfg.tg;
        JENNY_RETURN_IF_ERROR(run_tg(std::min(cfg.tg, 4)).status());  // warm-up
        for (int rep = 0; rep < cfg.reps; ++rep) {
            JENNY_ASSIGN_OR_RETURN(double s, run_tg(cfg.tg));
            t.seconds.push_back(s);
        }
        summarise(&t);
        r.tests.push_back(std::move(t));
    }
    r.peak_rss_bytes = peak_rss_bytes();
    return r;
}

base::Status run_bench_generate(const BenchGenerateConfig& config, std::FILE* out, std::FILE* err,
                                base::Env* env) {
    LoadOptions lo;
    lo.n_threads = config.threads;
    lo.load_tokenizer = false;
    const uint64_t t0 = env->now_micros();
    JENNY_ASSIGN_OR_RETURN(LoadedModel m, load_model(config.model, lo, env));
    const double load_seconds = (env->now_micros() - t0) * 1e-6;
    std::fprintf(err, "jenny bench generate: loaded %s in %.2f s: %s\n", config.model.c_str(),
                 load_seconds, m.model->config().summary().c_str());
    std::fflush(err);
    JENNY_ASSIGN_OR_RETURN(BenchGenerateResult r, bench_generate(m, config, env));
    r.model = config.model;
    r.load_seconds = load_seconds;
    if (config.json) {
        nlohmann::ordered_json j;
        j["engine"] = "jenny";
        j["model"] = r.model;
        j["format"] = r.format;
        j["weights_dtypes"] = r.weights_dtypes;
        j["n_params"] = r.n_params;
        j["model_bytes"] = r.model_bytes;
        j["threads"] = r.threads;
        j["kv_dtype"] = config.kv_dtype;
        j["reps"] = config.reps;
        j["tg_prompt"] = config.tg_prompt;
        nlohmann::ordered_json tests = nlohmann::ordered_json::object();
        for (const BenchTest& t : r.tests) {
            tests[t.name] = {{"n_tokens", t.n_tokens},
                             {"tok_s", t.median_tok_s},
                             {"tok_s_mean", t.mean_tok_s},
                             {"tok_s_stddev", t.stddev_tok_s},
                             {"seconds", t.seconds}};
        }
        j["tests"] = tests;
        j["peak_rss_bytes"] = r.peak_rss_bytes;
        j["load_seconds"] = r.load_seconds;
        std::fputs((j.dump(1) + "\n").c_str(), out);
    } else {
        std::fprintf(out, "| %-40s | %10s | %8s | %7s | %8s | %20s |\n", "model", "size", "params",
                     "threads", "test", "t/s (median)");
        std::fprintf(out, "| %s | %s | %s | %s | %s | %s |\n", std::string(40, '-').c_str(),
                     std::string(10, '-').c_str(), std::string(8, '-').c_str(),
                     std::string(7, '-').c_str(), std::string(8, '-').c_str(),
                     std::string(20, '-').c_str());
        std::string name = r.model.substr(r.model.find_last_of('/') + 1);
        if (name.size() > 40) name = name.substr(name.size() - 40);
        for (const BenchTest& t : r.tests) {
            std::fprintf(out, "| %-40s | %6.1f MiB | %7.2fM | %7d | %8s | %10.2f ± %7.2f |\n",
                         name.c_str(), r.model_bytes / 1048576.0, r.n_params / 1e6, r.threads,
                         t.name.c_str(), t.median_tok_s, t.stddev_tok_s);
        }
        std::fprintf(out, "peak RSS %.1f MiB\n", r.peak_rss_bytes / 1048576.0);
    }
    std::fflush(out);
    return Status();
}

}  // namespace jenny::model
