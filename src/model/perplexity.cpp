#include "jenny/model/perplexity.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "jenny/model/batch.h"
#include "jenny/model/kv_cache.h"

namespace jenny::model {

using base::Status;

namespace {

// -log softmax(logits)[target], as llama.cpp's log_softmax: float max, double sum of
// expf(logit - max).
double token_nll(const float* logits, int64_t V, int32_t target) {
    float max = logits[0];
    for (int64_t v = 1; v < V; ++v) max = std::max(max, logits[v]);
    double sum = 0;
    for (int64_t v = 0; v < V; ++v) sum += std::exp(logits[v] - max);
    return -(static_cast<double>(logits[target] - max) - std::log(sum));
}

void finish(PerplexityResult* r) {
    const double mean = r->nll_sum / static_cast<double>(r->n_scored);
    r->ppl = std::exp(mean);
    const double var = r->nll2_sum / static_cast<double>(r->n_scored) - mean * mean;
    r->ppl_stderr = var > 0 && r->n_scored > 1
                        ? std::sqrt(var / static_cast<double>(r->n_scored - 1)) * r->ppl
                        : 0.0;
}

}  // namespace

base::Result<PerplexityResult> perplexity(
    LoadedModel& m, std::span<const int32_t> tokens, const PerplexityOptions& o,
    const std::function<void(int, const PerplexityResult&)>& on_chunk, base::Env* env) {
    LlamaModel& model = *m.model;
    const LlamaConfig& c = model.config();
    const int n_ctx = o.n_ctx;
    if (n_ctx < 4) {
        return Status::invalid_argument(fmt::format(
            "context {} is too small: perplexity needs at least 4 tokens per chunk", n_ctx));
    }
    if (n_ctx > c.max_seq_len) {
        return Status::invalid_argument(
            fmt::format("context {} is larger than the model's context {} (use --ctx {} or less)",
                        n_ctx, c.max_seq_len, c.max_seq_len));
    }
    const int64_t n_tokens = static_cast<int64_t>(tokens.size());
    if (n_tokens < 2 * static_cast<int64_t>(n_ctx)) {
        return Status::invalid_argument(fmt::format(
            "the text has {} tokens; perplexity with a context of {} needs at least {} (2 x "
            "context): use a longer text or a smaller --ctx",
            n_tokens, n_ctx, 2 * static_cast<int64_t>(n_ctx)));
    }
    for (int64_t i = 0; i < n_tokens; ++i) {
        if (tokens[i] < 0 || tokens[i] >= c.vocab_size) {
            return Status::invalid_argument(fmt::format(
                "token {} is {}, outside the vocabulary [0, {})", i, tokens[i], c.vocab_size));
        }
    }
    if (o.bos && (*o.bos < 0 || *o.bos >= c.vocab_size)) {
        return Status::invalid_argument(fmt::format("bos id {} is outside the vocabulary", *o.bos));
    }

    int n_chunks = static_cast<int>(n_tokens / n_ctx);
    if (o.max_chunks > 0) n_chunks = std::min(n_chunks, o.max_chunks);
    const int first = n_ctx / 2;
    const int n_out = n_ctx - first - 1;  // scored rows per chunk
    const int64_t V = c.vocab_size;

    const int block = 16;
    JENNY_ASSIGN_OR_RETURN(
        auto kv, KvCache::create(model.kv_config(o.kv_dtype, (n_ctx + block - 1) / block, block)));
    std::vector<float> logits(static_cast<size_t>(n_out) * V);  // (n_out, V)
    std::vector<int32_t> chunk(n_ctx);
    Batch batch;

    PerplexityResult r;
    r.n_tokens = n_tokens;
    r.n_ctx = n_ctx;
    const uint64_t t_start = env->now_micros();
    for (int i = 0; i < n_chunks; ++i) {
        const uint64_t t0 = env->now_micros();
        std::copy(tokens.begin() + static_cast<int64_t>(i) * n_ctx,
                  tokens.begin() + static_cast<int64_t>(i + 1) * n_ctx, chunk.begin());
        if (o.bos) chunk[0] = *o.bos;
        JENNY_RETURN_IF_ERROR(kv->add_sequence(0));
        JENNY_RETURN_IF_ERROR(kv->append(0, n_ctx));
        batch.clear();
        for (int j = 0; j < n_ctx; ++j) batch.add(chunk[j], j, 0, j >= first && j < n_ctx - 1);
        Status s = model.forward(batch, *kv, logits.data());
        kv->free_sequence(0);
        JENNY_RETURN_IF_ERROR(s);

        PerplexityChunk pc;
        for (int k = 0; k < n_out; ++k) {
            const double nll =
                token_nll(logits.data() + static_cast<size_t>(k) * V, V, chunk[first + k + 1]);
            pc.nll_sum += nll;
            r.nll2_sum += nll * nll;
        }
        pc.n_scored = n_out;
        r.nll_sum += pc.nll_sum;
        r.n_scored += n_out;
        r.n_chunks = i + 1;
        pc.running_ppl = std::exp(r.nll_sum / static_cast<double>(r.n_scored));
        pc.seconds = (env->now_micros() - t0) * 1e-6;
        r.chunks.push_back(pc);
        finish(&r);
        r.seconds = (env->now_micros() - t_start) * 1e-6;
        if (on_chunk) on_chunk(i, r);
    }
    return r;
}

base::Status run_perplexity(const PerplexityConfig& config, std::FILE* out, std::FILE* err,
                            base::Env* env) {
    auto kv_dtype = tensor::dtype_from_name(config.kv_dtype);
    if (!kv_dtype) return Status::invalid_argument("kv_dtype: " + config.kv_dtype);
    if (!env->file_exists(config.file)) {
        return Status::not_found(fmt::format("{}: no such text file", config.file));
    }
    JENNY_ASSIGN_OR_RETURN(std::string text, env->read_file(config.file));
    if (text.empty()) {
        return Status::invalid_argument(fmt::format(
            "{} is empty: perplexity needs a text of at least 2 x --ctx tokens", config.file));
    }
    LoadOptions lo;
    lo.n_threads = config.threads;
    JENNY_ASSIGN_OR_RETURN(LoadedModel m, load_model(config.model, lo, env));
    if (config.ctx > m.model->config().max_seq_len) {  // before tokenizing a long text
        return Status::invalid_argument(
            fmt::format("--ctx {} is larger than the model's context {} (use --ctx {} or less)",
                        config.ctx, m.model->config().max_seq_len, m.model->config().max_seq_len));
    }
    tokenizer::EncodeOptions eo;
    eo.add_special = true;  // BOS only when the vocabulary adds it (llama.cpp: common_tokenize)
    eo.parse_special = false;
    const uint64_t t0 = env->now_micros();
    auto ids = m.tokenizer->encode(text, eo);
    if (!ids.ok()) return ids.status().with_context(config.file);
    const double tok_seconds = (env->now_micros() - t0) * 1e-6;
    std::fprintf(err,
                 "jenny perplexity: %zu tokens from %zu bytes of %s (%.2f s); %zu chunks of %d\n",
                 ids->size(), text.size(), config.file.c_str(), tok_seconds,
                 ids->size() / static_cast<size_t>(std::max(config.ctx, 1)), config.ctx);
    std::fflush(err);

    PerplexityOptions po;
    po.n_ctx = config.ctx;
    po.max_chunks = config.chunks;
    po.kv_dtype = *kv_dtype;
    if (m.add_bos) po.bos = m.bos_id;
    JENNY_ASSIGN_OR_RETURN(PerplexityResult r, perplexity(
                                                   m, *ids, po,
                                                   [&](int i, const PerplexityResult& so_far) {
                                                       if (config.json) return;
                                                       std::fprintf(
                                                           out, "[%d]%.4f,", i + 1,
                                                           so_far.chunks.back().running_ppl);
                                                       std::fflush(out);
                                                   },
                                                   env));
    if (config.json) {
        nlohmann::ordered_json j;
        j["model"] = config.model;
        j["file"] = config.file;
        j["n_ctx"] = r.n_ctx;
        j["n_tokens"] = r.n_tokens;
        j["n_chunks"] = r.n_chunks;
        j["n_scored"] = r.n_scored;
        j["add_bos"] = po.bos.has_value();
        j["kv_dtype"] = config.kv_dtype;
        j["nll_mean"] = r.nll_sum / static_cast<double>(r.n_scored);
        j["ppl"] = r.ppl;
        j["ppl_stderr"] = r.ppl_stderr;
        nlohmann::ordered_json running = nlohmann::ordered_json::array();
        for (const PerplexityChunk& pc : r.chunks) running.push_back(pc.running_ppl);
        j["chunk_ppl"] = running;
        j["seconds"] = r.seconds;
        j["tokens_per_second"] = r.seconds > 0 ? r.n_chunks * double(r.n_ctx) / r.seconds : 0;
        std::fputs((j.dump(1) + "\n").c_str(), out);
    } else {
        std::fprintf(out, "\nFinal estimate: PPL = %.4f +/- %.5f\n", r.ppl, r.ppl_stderr);
    }
    std::fflush(out);
    std::fprintf(err,
                 "jenny perplexity: %d chunks of %d, %lld tokens scored, %.1f s (%.1f tok/s)\n",
                 r.n_chunks, r.n_ctx, static_cast<long long>(r.n_scored), r.seconds,
                 r.seconds > 0 ? r.n_chunks * double(r.n_ctx) / r.seconds : 0.0);
    return Status();
}

}  // namespace jenny::model
