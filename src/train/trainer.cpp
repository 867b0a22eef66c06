#include "jenny/train/trainer.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <deque>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "jenny/base/log.h"
#include "jenny/checkpoint/checkpoint_store.h"
#include "jenny/model/model_loader.h"
#include "jenny/model/model_writer.h"
#include "jenny/tokenizer/fingerprint.h"
#include "jenny/train/adamw.h"
#include "jenny/train/batch_source.h"
#include "jenny/train/collective.h"
#include "jenny/train/data_parallel.h"
#include "jenny/train/lora.h"
#include "jenny/train/loss_curve_svg.h"
#include "jenny/train/sft_source.h"
#include "jenny/train/train_model.h"
#include "jenny/train/train_state.h"
#include "train/lora_train.h"

namespace jenny::train {

namespace {

std::atomic<int> g_stop_signal{0};

extern "C" void on_stop_signal(int sig) { g_stop_signal.store(sig); }

using base::Status;

// Bytes the OS says a new allocation can get (MemAvailable), or 0 when unknown.
uint64_t available_memory(base::Env* env) {
    auto text = env->read_file("/proc/meminfo");
    if (!text.ok()) return 0;
    const size_t at = text->find("MemAvailable:");
    if (at == std::string::npos) return 0;
    return std::strtoull(text->c_str() + at + 13, nullptr, 10) * 1024;
}

std::string gib(double bytes) { return fmt::format("{:.2f} GiB", bytes / (1024.0 * 1024 * 1024)); }

struct Estimate {
    double params_bytes = 0, grads_bytes = 0, optim_bytes = 0, act_bytes = 0, total = 0;
    uint64_t available = 0;  // MemAvailable (0: unknown)
};

// Memory of a run from the config alone, checked against what the OS has before anything big
// is allocated.
base::Result<Estimate> estimate_memory(const model::LlamaConfig& c, const TrainConfig& cfg,
                                       base::Env* env) {
    Estimate e;
    const LoraOptions lora = lora_options(cfg.lora);  // LoRA: frozen base + adapters
    const double n = static_cast<double>(lora.enabled() ? TrainModel::count_lora_params(c, lora)
                                                        : TrainModel::count_params(c));
    e.params_bytes = 4 * n + (lora.enabled() ? TrainModel::frozen_base_bytes(c, lora) : 0.0);
    e.grads_bytes = 4 * n;
    e.optim_bytes = 8 * n;
    e.act_bytes = static_cast<double>(TrainModel::activation_bytes(
        c, cfg.model.recompute, cfg.batch.micro_batch, cfg.batch.seq_len));
    const double ce_scratch = static_cast<double>(TrainModel::ce_scratch_bytes(
        c, cfg.batch.micro_batch, cfg.batch.seq_len));  // the fused LM head's logits chunk
    const double inputs = 8.0 * cfg.batch.grad_accum * cfg.batch.micro_batch * cfg.batch.seq_len;
    e.total = e.params_bytes + e.grads_bytes + e.optim_bytes + e.act_bytes + ce_scratch + inputs +
              64e6;
    e.available = available_memory(env);
    if (e.available > 0 && e.total > static_cast<double>(e.available))
        return Status::failed_precondition(fmt::format(
            "the run needs about {} (params {}, grads {}, AdamW state {}, activations {}) but "
            "only {} is available; lower batch.micro_batch or batch.seq_len (and raise "
            "batch.grad_accum), set model.recompute: true, or use a smaller model",
            gib(e.total), gib(e.params_bytes), gib(e.grads_bytes), gib(e.optim_bytes),
            gib(e.act_bytes), gib(static_cast<double>(e.available))));
    return e;
}

struct Run {
    const TrainConfig& config;
    const TrainOptions& options;
    base::Env* env;
    std::function<void(std::string_view)> print;
    model::LoadedModel shell;  // tokenizer + a LlamaModel viewing the trainer's params
    std::unique_ptr<TrainModel> tm;
    std::unique_ptr<BatchSource> data;
    std::unique_ptr<AdamW> adamw;
    std::optional<checkpoint::CheckpointStore> store;
    std::string static_dir;  // tokenizer and generation config, written once
    TrainState state;
    Estimate est;
};

model::LlamaConfig new_model_config(const ModelSection& m, int vocab) {
    model::LlamaConfig c;
    c.arch = m.arch;
    c.vocab_size = m.vocab_size > 0 ? m.vocab_size : vocab;
    c.dim = m.hidden_size;
    c.hidden_dim = m.intermediate_size;
    c.n_layers = m.num_hidden_layers;
    c.n_heads = m.num_attention_heads;
    c.n_kv_heads = m.num_key_value_heads > 0 ? m.num_key_value_heads : m.num_attention_heads;
    c.head_dim = m.head_dim > 0 ? m.head_dim : m.hidden_size / std::max(1, m.num_attention_heads);
    c.rms_eps = static_cast<float>(m.rms_norm_eps);
    c.rope_theta = m.rope_theta;
    c.rope_style = kernels::RopeStyle::kHalf;
    c.max_seq_len = m.max_position_embeddings;
    c.tie_embeddings = m.tie_word_embeddings;
    c.qkv_bias = m.arch == "qwen2";
    return c;
}

// The model: continued from init_from, or new (random init from the seed).
Status build_model(Run& r) {
    const TrainConfig& cfg = r.config;
    TrainModelOptions mo;
    mo.n_threads = cfg.threads;
    mo.recompute = cfg.model.recompute;
    mo.lora = lora_options(cfg.lora);
    if (!cfg.model.init_from.empty()) {
        model::LoadOptions lo;
        lo.n_threads = 1;
        lo.tokenizer_path = cfg.model.tokenizer;
        auto src = model::load_model(cfg.model.init_from, lo, r.env);
        if (!src.ok()) return src.status().with_context("model.init_from");
        JENNY_ASSIGN_OR_RETURN(r.est, estimate_memory(src->model->config(), cfg, r.env));
        JENNY_ASSIGN_OR_RETURN(r.tm, TrainModel::create(src->model->config(), mo));
        JENNY_RETURN_IF_ERROR(r.tm->load_weights(src->model->weights()));
        if (r.tm->is_lora()) r.tm->init_lora(cfg.seed);
        r.shell.path = src->path;
        r.shell.format = src->format;
        r.shell.tokenizer = std::move(src->tokenizer);
        r.shell.chat_template = src->chat_template;
        r.shell.eos_ids = src->eos_ids;
        r.shell.bos_id = src->bos_id;
        r.shell.add_bos = src->add_bos;
    } else {
        int vocab = cfg.model.vocab_size;
        if (!cfg.model.tokenizer.empty()) {
            auto tok = tokenizer::Tokenizer::load(cfg.model.tokenizer, r.env);
            if (!tok.ok()) return tok.status().with_context("model.tokenizer");
            r.shell.tokenizer = std::move(*tok);
            if (vocab == 0) vocab = r.shell.tokenizer->vocab_size();
            if (vocab < r.shell.tokenizer->vocab_size())
                return Status::invalid_argument(fmt::format(
                    "model.vocab_size {} is smaller than the tokenizer's {} tokens", vocab,
                    r.shell.tokenizer->vocab_size()));
            const auto& sp = r.shell.tokenizer->special();
            if (sp.eos) r.shell.eos_ids = {*sp.eos};
            r.shell.bos_id = sp.bos;
            r.shell.add_bos = sp.add_bos;
            // An HF-style tokenizer directory (or tokenizer.json beside others) is copied into
            // every checkpoint by save_hf.
            std::string dir = cfg.model.tokenizer;
            if (!r.env->list_dir(dir).ok()) {
                const size_t slash = dir.rfind('/');
                dir = slash == std::string::npos ? "." : dir.substr(0, slash);
            }
            r.shell.path = dir;
            r.shell.format = "hf";
        } else {
            r.shell.path = cfg.out_dir;
            r.shell.format = "hf";
        }
        const model::LlamaConfig mc = new_model_config(cfg.model, vocab);
        JENNY_RETURN_IF_ERROR(mc.validate());
        JENNY_ASSIGN_OR_RETURN(r.est, estimate_memory(mc, cfg, r.env));
        JENNY_ASSIGN_OR_RETURN(r.tm, TrainModel::create(mc, mo));
        r.tm->init_random(cfg.seed, cfg.model.init_std);
    }
    JENNY_ASSIGN_OR_RETURN(r.shell.model,
                           model::LlamaModel::create(r.tm->config(), r.tm->weights_view(), 1));
    if (cfg.batch.seq_len > r.tm->config().max_seq_len)
        return Status::invalid_argument(fmt::format(
            "batch.seq_len {} exceeds the model's context of {} tokens", cfg.batch.seq_len,
            r.tm->config().max_seq_len));
    if (r.tm->config().sliding_window > 0 && cfg.batch.seq_len > r.tm->config().sliding_window)
        return Status::invalid_argument(fmt::format(
            "batch.seq_len {} exceeds the model's sliding_window of {} tokens: training "
            "attends to every earlier token of a window, which is the model's attention only "
            "up to its window; set batch.seq_len <= {}",
            cfg.batch.seq_len, r.tm->config().sliding_window, r.tm->config().sliding_window));
    return Status();
}

std::vector<AdamWGroup> decay_groups(const TrainModel& tm, const AdamWConfig& o) {
    std::vector<AdamWGroup> groups;
    for (const ParamInfo& p : tm.params_info()) {
        const bool decay = p.is_embedding ? o.decay_embeddings
                                          : (p.is_norm_or_bias ? o.decay_norms : true);
        if (!groups.empty() && groups.back().decay == decay &&
            groups.back().offset + groups.back().size == p.offset) {
            groups.back().size += p.size;
        } else {
            groups.push_back({p.offset, p.size, decay});
        }
    }
    return groups;
}

// Mean loss of eval.batches val micro-batches (deterministic: always the same windows), the
// batches dealt round-robin over the ranks.
double evaluate(Run& r, Collective& comm) {
    const int B = r.config.batch.micro_batch, T = r.config.batch.seq_len;
    std::vector<int32_t> in(static_cast<size_t>(B) * T), tg(in.size());
    std::vector<int32_t> seg(r.config.data.reset_attention() ? in.size() : 0);
    double sum_n[2] = {0, 0};  // loss sum, targets
    const int batches = std::max(1, r.config.eval.batches);
    for (int i = comm.rank(); i < batches; i += comm.size()) {
        r.data->read_val(static_cast<int64_t>(i) * B, B, in.data(), tg.data(),
                         seg.empty() ? nullptr : seg.data());
        kernels::CrossEntropyStats ce =
            r.tm->forward_loss(in.data(), tg.data(), B, T, seg.empty() ? nullptr : seg.data());
        sum_n[0] += ce.loss_sum;
        sum_n[1] += static_cast<double>(ce.n_targets);
    }
    comm.all_reduce_sum(sum_n, 2);
    return sum_n[1] > 0 ? sum_n[0] / sum_n[1] : 0.0;
}

Status write_static_files(Run& r) {
    r.static_dir = r.config.out_dir + "/.static";
    if (r.tm->is_lora()) return save_lora_adapter_dir(*r.tm, r.config, r.static_dir, r.env);
    model::SaveReport rep;
    JENNY_RETURN_IF_ERROR(model::save_hf(r.shell, r.static_dir, tensor::DType::kF32, r.env, &rep));
    return Status();
}

Status save_checkpoint(Run& r, int64_t step) {
    const uint64_t t0 = r.env->now_micros();
    JENNY_ASSIGN_OR_RETURN(std::vector<checkpoint::CheckpointFile> files,
                           checkpoint_files(*r.tm, *r.adamw, r.state, r.static_dir, r.env));
    auto info = r.store->save(step, files);
    if (!info.ok())
        return info.status().with_context(
            fmt::format("checkpoint at step {} (earlier checkpoints are intact)", step));
    r.state.last_checkpoint = info->path;
    r.print(fmt::format("checkpoint: step {} -> {} ({:.1f} s)\n", step, info->path,
                        (r.env->now_micros() - t0) * 1e-6));
    return Status();
}

// The data-parallel side of a run: the ranks, this rank's ZeRO-1 shard of the flat parameters
// (AdamW's m and v exist only for it), and how the global batch is split.
struct Dist {
    std::unique_ptr<Collective> comm;
    std::vector<AdamWGroup> groups;  // decay groups of the whole buffer
    std::vector<int64_t> shard;      // shard_begins(n_params, ranks)
    int64_t begin = 0, size = 0;     // this rank's shard
    DataParallelPlan plan;
};

// On N ranks rank 0 gathers AdamW's m and v into a whole-buffer AdamW (the layout one process
// writes, so a checkpoint of N ranks resumes on any M) and writes the checkpoint; then every
// rank verifies it before going on.
Status save_checkpoint_dist(Run& r, Dist& d, int64_t step) {
    r.state.global_batch = d.plan.global_batch;
    Collective& comm = *d.comm;
    if (comm.size() == 1) return save_checkpoint(r, step);
    const bool root = comm.rank() == 0;
    std::unique_ptr<AdamW> full;
    if (root) full = std::make_unique<AdamW>(r.config.optim.adamw, r.tm->n_params(), d.groups);
    comm.gather(r.adamw->m(), root ? full->m() : nullptr, d.shard, 0);
    comm.gather(r.adamw->v(), root ? full->v() : nullptr, d.shard, 0);
    Status st;
    std::string path;
    if (root) {
        full->set_step_count(r.adamw->step_count());
        std::swap(r.adamw, full);
        st = save_checkpoint(r, step);
        std::swap(r.adamw, full);
        if (st.ok()) path = r.state.last_checkpoint;
    }
    comm.broadcast_string(&path, 0);
    JENNY_RETURN_IF_ERROR(st);
    if (path.empty())
        return Status::failed_precondition(fmt::format(
            "rank 0 could not write the checkpoint of step {}; see its log", step));
    const Status verified = r.store->verify(path);
    int64_t bad = verified.ok() ? 0 : 1;
    comm.all_reduce_sum(&bad, 1);
    if (!verified.ok())
        return verified.with_context(fmt::format(
            "rank {} verifying the checkpoint rank 0 wrote (out_dir must be on a filesystem "
            "every rank sees)", comm.rank()));
    if (bad > 0)
        return Status::failed_precondition(fmt::format(
            "{} rank(s) could not verify checkpoint {}; see their logs (out_dir must be on a "
            "filesystem every rank sees)", bad, path));
    r.state.last_checkpoint = path;
    return Status();
}

// Restores a checkpoint (always written in the whole-buffer layout) into this rank's shard.
Status load_checkpoint_dist(Run& r, Dist& d, const std::string& path) {
    if (d.comm->size() == 1)
        return load_checkpoint(path, r.tm.get(), r.adamw.get(), &r.state, r.env);
    AdamW full(r.config.optim.adamw, r.tm->n_params(), d.groups);
    JENNY_RETURN_IF_ERROR(load_checkpoint(path, r.tm.get(), &full, &r.state, r.env));
    std::copy(full.m() + d.begin, full.m() + d.begin + d.size, r.adamw->m());
    std::copy(full.v() + d.begin, full.v() + d.begin + d.size, r.adamw->v());
    r.adamw->set_step_count(full.step_count());
    return Status();
}

// For tests only: JENNY_TEST_DIST_FAULT=RANK:STEP:kill|stop makes that rank SIGKILL or
// SIGSTOP itself when it starts computing that (1-based) step.
void maybe_inject_dist_fault(int rank, int64_t step) {
    static const std::string spec = [] {
        const char* v = std::getenv("JENNY_TEST_DIST_FAULT");
        return std::string(v ? v : "");
    }();
    if (spec.empty()) return;
    int fr = -1;
    long long fs = -1;
    char what[16] = {0};
    if (std::sscanf(spec.c_str(), "%d:%lld:%15s", &fr, &fs, what) != 3) return;
    if (fr != rank || fs != step) return;
    std::fprintf(stderr, "JENNY_TEST_DIST_FAULT: rank %d %s at step %lld\n", rank, what, fs);
    std::fflush(stderr);
    std::raise(std::string_view(what) == "stop" ? SIGSTOP : SIGKILL);
}

std::string progress_line(const TrainConfig& cfg, int64_t step, double loss, double lr,
                          double gnorm, double tok_s, double mfu, double eta_s) {
    const int width = 20;
    const int64_t total = cfg.schedule.total_steps;
    const int filled = static_cast<int>(width * std::min<double>(1.0, double(step) / total));
    std::string bar(filled, '#');
    bar += std::string(width - filled, '.');
    return fmt::format("step {:>6}/{} [{}] loss {:.4f} lr {:.2e} gnorm {:.3f} {:.0f} tok/s "
                       "MFU {:.1f}% ETA {}\n",
                       step, total, bar, loss, lr, gnorm, tok_s, 100 * mfu,
                       eta_s < 3600 ? fmt::format("{}m{:02}s", int(eta_s) / 60, int(eta_s) % 60)
                                    : fmt::format("{:.1f}h", eta_s / 3600));
}

}  // namespace

void install_stop_signal_handlers() {
    std::signal(SIGTERM, on_stop_signal);
    std::signal(SIGUSR1, on_stop_signal);
}

base::Result<TrainOutcome> run_training(const TrainConfig& config, const TrainOptions& options) {
    JENNY_RETURN_IF_ERROR(config.validate());
    Run r{config, options, options.env, options.print, {}, {}, {}, {}, {}, {}, {}, {}};
    if (!r.print) r.print = [](std::string_view s) {
        std::fwrite(s.data(), 1, s.size(), stdout);
        std::fflush(stdout);
    };
    base::Env* env = r.env;
    TrainOutcome out;
    // Ranks (one unless started by mpirun / srun); rank 0 alone prints and writes files.
    Dist d;
    JENNY_ASSIGN_OR_RETURN(d.comm, Collective::create(config.dist.timeout_s));
    Collective& comm = *d.comm;
    const bool root = comm.rank() == 0;
    if (!root) r.print = [](std::string_view) {};
    JENNY_ASSIGN_OR_RETURN(d.plan, plan_data_parallel(config.batch.global_batch, 0,
                                                      config.batch.micro_batch,
                                                      config.batch.grad_accum, comm.size()));

    JENNY_RETURN_IF_ERROR(build_model(r));
    TrainModel& tm = *r.tm;
    const model::LlamaConfig& mc = tm.config();
    r.print(fmt::format("model: {} ({:.2f} M {}parameters{})\n", mc.summary(),
                        tm.n_params() / 1e6, tm.is_lora() ? "trainable LoRA " : "",
                        config.model.init_from.empty() ? ", new" : ", from " + config.model.init_from));
    const std::string tok_hash =
        r.shell.tokenizer ? tokenizer::tokenizer_fingerprint(*r.shell.tokenizer) : "";
    // SFT sources: validated, rendered and packed (cached under out_dir/sft) first.
    JENNY_ASSIGN_OR_RETURN(
        const TrainConfig data_config,
        prepare_sft_sources(config,
                            config.model.init_from.empty() ? config.model.tokenizer
                                                           : config.model.init_from,
                            options.resume, r.print, env));
    JENNY_ASSIGN_OR_RETURN(r.data, BatchSource::open(data_config, mc.vocab_size, tok_hash, env));
    if (config.data.reset_attention())
        r.print("data: attention reset: each document attends only to itself, positions from 0\n");
    r.print("data: " + r.data->describe() + "\n");

    // ZeRO-1: AdamW's state for this rank's shard only (the whole buffer on one rank).
    d.groups = decay_groups(tm, config.optim.adamw);
    d.shard = shard_begins(tm.n_params(), comm.size());
    d.begin = d.shard[comm.rank()];
    d.size = d.shard[comm.rank() + 1] - d.begin;
    r.adamw = std::make_unique<AdamW>(config.optim.adamw, d.size,
                                      shard_groups(d.groups, d.begin, d.begin + d.size));
    const LrSchedule sched = config.lr_schedule();
    const int B = config.batch.micro_batch, T = config.batch.seq_len;
    int A = d.plan.accum;  // micro-batches per rank per step (a resume may change it)
    int64_t tokens_per_step = d.plan.global_batch * T;

    // Memory and time estimate.
    const Estimate& est = r.est;
    r.print(fmt::format(
        "memory estimate: params {}, grads {}, AdamW state {}, activations {} (B={} T={}{}), "
        "peak ~{}; available {}\n",
        gib(est.params_bytes), gib(est.grads_bytes), gib(est.optim_bytes), gib(est.act_bytes),
        B, T, config.model.recompute ? ", recompute" : "", gib(est.total),
        est.available ? gib(static_cast<double>(est.available)) : std::string("unknown")));
    if (options.dry_run) {
        std::vector<int32_t> in(static_cast<size_t>(B) * T), tg(in.size());
        r.data->read_train(0, B, in.data(), tg.data());
        tm.forward_backward(in.data(), tg.data(), B, T, 1.0f);  // warm-up
        const uint64_t t0 = env->now_micros();
        tm.forward_backward(in.data(), tg.data(), B, T, 1.0f);
        const double secs = std::max(1e-6, (env->now_micros() - t0) * 1e-6);
        tm.zero_grads();
        const double tok_s = B * T / secs;
        r.print(fmt::format(
            "time estimate: {:.0f} tokens/s from a probe micro-batch -> {:.1f} s per step, "
            "{:.1f} min for {} steps ({:.2f} M tokens)\n",
            tok_s, tokens_per_step / tok_s, config.schedule.total_steps * tokens_per_step / tok_s / 60,
            config.schedule.total_steps, config.schedule.total_steps * tokens_per_step / 1e6));
        out.probe_tokens_per_s = tok_s;
        auto status = env->read_file("/proc/self/status");
        if (status.ok()) {
            const size_t at = status->find("VmHWM:");
            if (at != std::string::npos)
                r.print(fmt::format("peak RSS after the probe: {}\n",
                                    gib(std::strtoull(status->c_str() + at + 6, nullptr, 10) * 1024.0)));
        }
        out.end = TrainOutcome::End::kDryRun;
        return out;
    }

    JENNY_RETURN_IF_ERROR(env->create_dirs(config.out_dir));
    JENNY_ASSIGN_OR_RETURN(auto store, checkpoint::CheckpointStore::open(
                                           config.out_dir + "/checkpoints",
                                           config.checkpoint.keep_last, env));
    r.store.emplace(std::move(store));
    if (options.resume) {
        std::string latest;  // rank 0 picks the checkpoint every rank resumes from
        if (root) {
            JENNY_ASSIGN_OR_RETURN(auto found, r.store->latest_valid());
            if (found) latest = found->path;
        }
        comm.broadcast_string(&latest, 0);
        if (!latest.empty()) {
            JENNY_RETURN_IF_ERROR(load_checkpoint_dist(r, d, latest));
            r.state.last_checkpoint = latest;
            r.print(fmt::format("resume: step {} from {}\n", r.state.step, latest));
        } else {
            r.print("resume: no valid checkpoint in " + config.out_dir +
                    "/checkpoints; starting from step 0\n");
        }
    }
    // The global batch of the checkpoint holds on any number of ranks (elastic resume).
    JENNY_ASSIGN_OR_RETURN(d.plan, plan_data_parallel(config.batch.global_batch,
                                                      r.state.global_batch, B,
                                                      config.batch.grad_accum, comm.size()));
    A = d.plan.accum;
    tokens_per_step = d.plan.global_batch * T;
    r.state.global_batch = d.plan.global_batch;
    if (comm.size() > 1 || A != config.batch.grad_accum)
        r.print(d.plan.describe() + (comm.size() > 1 ? " (" + comm.backend() + ", ZeRO-1)" : "") +
                "\n");
    if (root) JENNY_RETURN_IF_ERROR(write_static_files(r));
    // metrics.jsonl keeps the lines of the steps the checkpoint covers (a crashed run may have
    // logged steps after its last checkpoint; they are redone, and logged again, identically).
    std::string kept;
    if (root && r.state.step > 0) {
        auto old = env->read_file(config.out_dir + "/metrics.jsonl");
        if (old.ok()) {
            size_t pos = 0;
            while (pos < old->size()) {
                size_t end = old->find('\n', pos);
                if (end == std::string::npos) break;  // a torn last line
                const std::string line = old->substr(pos, end - pos);
                pos = end + 1;
                try {
                    if (nlohmann::json::parse(line).at("step").get<int64_t>() <= r.state.step)
                        kept += line + "\n";
                } catch (const std::exception&) {
                }
            }
        }
    }
    // The kept lines go to a new file that replaces metrics.jsonl by rename, so a crash at any
    // moment leaves either the old lines or the kept ones (truncating in place could lose
    // them all); the open file then goes on appending under the new name.
    const std::string metrics_path = config.out_dir + "/metrics.jsonl";
    const std::string metrics_tmp = metrics_path + ".tmp";
    std::unique_ptr<base::WritableFile> metrics;  // rank 0 only
    if (root) {
        JENNY_ASSIGN_OR_RETURN(metrics, env->new_writable_file(metrics_tmp));
        JENNY_RETURN_IF_ERROR(metrics->append(kept));
        JENNY_RETURN_IF_ERROR(metrics->sync());
        JENNY_RETURN_IF_ERROR(env->rename_file(metrics_tmp, metrics_path));
    }

    std::vector<int32_t> inputs(static_cast<size_t>(A) * B * T), targets(inputs.size());
    // Each token's document start in its window (data.attention_reset).
    std::vector<int32_t> segs(config.data.reset_attention() ? inputs.size() : 0);
    GradBucketReducer reducer(
        &comm, tm.grads(), tm.n_params(),
        std::max<int64_t>(1024, static_cast<int64_t>(config.dist.bucket_mb * 1e6 / sizeof(float))));
    const double peak = flops_peak_estimate(tm.team().size());
    const double flops_tok = tm.flops_per_token(T);
    uint64_t last_ckpt_us = env->now_micros();
    const uint64_t run_start_us = env->now_micros();
    int64_t steps_this_run = 0;
    double last_tok_s = 0;

    if (r.state.step == 0 && r.data->has_val() && config.eval.batches > 0) {
        // The starting point of the val curve.
        const double vl = evaluate(r, comm);
        out.first_val_loss = vl;
        r.state.val_history.push_back({0, vl});
        r.print(fmt::format("eval: step 0 val loss {:.4f} (perplexity {:.2f})\n", vl, std::exp(vl)));
    }
    while (r.state.step < config.schedule.total_steps) {
        const int64_t step = r.state.step;
        const uint64_t t0 = env->now_micros();
        // The step's samples, and its real number of targets.
        comm.set_step(step + 1);
        maybe_inject_dist_fault(comm.rank(), step + 1);
        // This rank's A micro-batches of the global step's samples; the real targets of the
        // whole global step.
        const int64_t g0 = d.plan.first_sample(step, comm.rank());
        r.data->read_train(g0, A * B, inputs.data(), targets.data(),
                           segs.empty() ? nullptr : segs.data());
        int64_t n_targets = 0;
        for (int32_t t : targets) n_targets += t >= 0;
        comm.all_reduce_sum(&n_targets, 1);
        tm.zero_grads();
        double loss_sum = 0;
        const float scale = n_targets > 0 ? 1.0f / static_cast<float>(n_targets) : 0.0f;
        for (int a = 0; a < A; ++a) {
            const size_t off = static_cast<size_t>(a) * B * T;
            // The last micro-batch's backward starts the gradient sums over ranks bucket by
            // bucket while it computes the earlier layers.
            if (comm.size() > 1 && a == A - 1) {
                reducer.begin();
                tm.set_grads_ready_hook([&reducer](int64_t b) { reducer.ready_from(b); });
            }
            tm.set_step(step, static_cast<int>(g0 / B) + a);  // LoRA dropout's key
            kernels::CrossEntropyStats ce =
                tm.forward_backward(inputs.data() + off, targets.data() + off, B, T, scale,
                                    segs.empty() ? nullptr : segs.data() + off);
            loss_sum += ce.loss_sum;
        }
        double loss = 0, gnorm = 0;
        if (comm.size() > 1) {
            tm.set_grads_ready_hook(nullptr);
            reducer.finish();
            // The norm from each rank's shard, so every rank takes the same decisions.
            double sums[2] = {loss_sum, grad_sum_squares(tm.grads() + d.begin, d.size, &tm.team())};
            comm.all_reduce_sum(sums, 2);
            loss = n_targets > 0 ? sums[0] / n_targets : 0.0;
            if (options.after_backward) {
                options.after_backward(step + 1, &loss, tm.grads(), tm.n_params());
                sums[1] = grad_sum_squares(tm.grads() + d.begin, d.size, &tm.team());
                comm.all_reduce_sum(&sums[1], 1);
            }
            gnorm = std::sqrt(sums[1]);
        } else {
            loss = n_targets > 0 ? loss_sum / n_targets : 0.0;
            if (options.after_backward)
                options.after_backward(step + 1, &loss, tm.grads(), tm.n_params());
            gnorm = grad_global_norm(tm.grads(), tm.n_params(), &tm.team());
        }
        const double lr = sched.lr(step);
        std::string skipped;
        if (!std::isfinite(loss) || !std::isfinite(gnorm)) {
            skipped = "non-finite";
            ++r.state.consecutive_bad;
        } else {
            r.state.consecutive_bad = 0;
            if (config.guards.spike_zscore > 0 &&
                static_cast<int>(r.state.loss_window.size()) >= config.guards.spike_window / 2) {
                double mean = 0, var = 0;
                for (double l : r.state.loss_window) mean += l;
                mean /= r.state.loss_window.size();
                for (double l : r.state.loss_window) var += (l - mean) * (l - mean);
                const double sd = std::sqrt(var / r.state.loss_window.size());
                if (sd > 0 && (loss - mean) / sd > config.guards.spike_zscore) skipped = "loss spike";
            }
        }
        // Every finite loss joins the window, spikes too: after a lasting shift of the loss
        // level the window follows it within a few steps, instead of skipping every update
        // from then on.
        if (std::isfinite(loss)) {
            r.state.loss_window.push_back(loss);
            while (static_cast<int>(r.state.loss_window.size()) > config.guards.spike_window)
                r.state.loss_window.pop_front();
        }
        if (skipped.empty()) {
            // ZeRO-1: each rank updates its shard; then every rank gets all of them.
            clip_grad_norm(tm.grads() + d.begin, d.size, gnorm, config.optim.adamw.grad_clip,
                           &tm.team());
            r.adamw->step(tm.params() + d.begin, tm.grads() + d.begin, lr, &tm.team());
            if (comm.size() > 1) comm.all_gather(tm.params(), d.shard);
        } else {
            ++r.state.skipped_steps;
            r.print(fmt::format("step {}: {} (loss {}, grad norm {}): update skipped{}\n",
                                step + 1, skipped, loss, gnorm,
                                r.state.consecutive_bad > 0
                                    ? fmt::format(" ({} in a row)", r.state.consecutive_bad)
                                    : std::string()));
        }
        r.state.step = step + 1;
        r.state.tokens_seen += tokens_per_step;
        ++steps_this_run;
        const double secs = std::max(1e-9, (env->now_micros() - t0) * 1e-6);
        const double tok_s = tokens_per_step / secs;
        last_tok_s = tok_s;
        const double mfu = peak > 0 ? tok_s * flops_tok / peak : 0;
        out.last_loss = loss;

        nlohmann::json line = {{"step", r.state.step}, {"loss", loss}, {"lr", lr},
                               {"grad_norm", gnorm}, {"tokens", r.state.tokens_seen},
                               {"tokens_per_s", tok_s}, {"mfu", mfu},
                               {"elapsed_s", (env->now_micros() - run_start_us) * 1e-6}};
        if (!skipped.empty()) line["skipped"] = skipped;
        const bool do_eval = r.data->has_val() &&
                             ((config.eval.every > 0 && r.state.step % config.eval.every == 0) ||
                              r.state.step == config.schedule.total_steps);
        if (do_eval) {
            const double vl = evaluate(r, comm);
            line["val_loss"] = vl;
            line["val_ppl"] = std::exp(vl);
            out.last_val_loss = vl;
            r.state.val_history.push_back({r.state.step, vl});
            r.print(fmt::format("eval: step {} val loss {:.4f} (perplexity {:.2f})\n",
                                r.state.step, vl, std::exp(vl)));
        }
        r.state.loss_history.push_back({r.state.step, loss});
        if (metrics) {
            JENNY_RETURN_IF_ERROR(metrics->append(line.dump() + "\n"));
            JENNY_RETURN_IF_ERROR(metrics->sync());
        }
        if (r.state.step % config.log_every == 0 || r.state.step == config.schedule.total_steps) {
            const double eta =
                (config.schedule.total_steps - r.state.step) * tokens_per_step / std::max(1.0, tok_s);
            r.print(progress_line(config, r.state.step, loss, lr, gnorm, tok_s, mfu, eta));
        }
        if (r.state.consecutive_bad >= config.guards.max_bad_steps) {
            r.print(fmt::format("stopping: {} non-finite steps in a row (guards.max_bad_steps); "
                                "lower optim.lr_max or check the data\n",
                                r.state.consecutive_bad));
            out.end = TrainOutcome::End::kNonFinite;
            break;
        }
        const bool finished = r.state.step >= config.schedule.total_steps;
        const bool step_limit = options.max_steps > 0 && steps_this_run >= options.max_steps;
        // Ranks agree: a signal on any rank stops all; rank 0's clock decides the timed ones.
        int64_t flags[3] = {
            g_stop_signal.load(),
            root && config.max_minutes > 0 &&
                (env->now_micros() - run_start_us) * 1e-6 / 60 >= config.max_minutes,
            root && config.checkpoint.every_minutes > 0 &&
                (env->now_micros() - last_ckpt_us) * 1e-6 / 60 >= config.checkpoint.every_minutes};
        if (comm.size() > 1) comm.all_reduce_sum(flags, 3);
        const int sig = flags[0] == 0 ? 0 : g_stop_signal.load() != 0 ? g_stop_signal.load()
                                                                        : SIGTERM;
        const bool time_limit = flags[1] > 0;
        const bool periodic =
            (config.checkpoint.every_steps > 0 && r.state.step % config.checkpoint.every_steps == 0) ||
            flags[2] > 0;
        if (finished || sig != 0 || step_limit || time_limit || periodic) {
            JENNY_RETURN_IF_ERROR(save_checkpoint_dist(r, d, r.state.step));
            last_ckpt_us = env->now_micros();
        }
        // A signal, a step or a time limit on the last step: the run is simply finished.
        if (finished) break;
        if (sig != 0) {
            r.print(fmt::format("stopping on signal {} after step {}: checkpointed; run again "
                                "with --resume (exit code {})\n",
                                sig, r.state.step, kExitRequeue));
            out.end = TrainOutcome::End::kSignal;
            break;
        }
        if (step_limit) {
            out.end = TrainOutcome::End::kStepLimit;
            break;
        }
        if (time_limit) {
            out.end = TrainOutcome::End::kTimeLimit;
            break;
        }
    }
    (void)last_tok_s;
    out.steps_done = r.state.step;
    out.skipped_steps = r.state.skipped_steps;
    out.last_checkpoint = r.state.last_checkpoint;
    if (!root) return out;
    JENNY_RETURN_IF_ERROR(write_loss_curve_svg(config.out_dir + "/loss_curve.svg",
                                               r.state.loss_history, r.state.val_history, env));
    if (out.end == TrainOutcome::End::kFinished && tm.is_lora()) {
        out.model_dir = config.out_dir + "/adapter";
        JENNY_RETURN_IF_ERROR(save_lora_adapter_dir(tm, config, out.model_dir, env));
        r.print("adapter: " + out.model_dir + " (PEFT layout; try jenny generate -m " +
                config.model.init_from + " --lora " + out.model_dir + ")\n");
    } else if (out.end == TrainOutcome::End::kFinished) {
        out.model_dir = config.out_dir + "/model";
        JENNY_RETURN_IF_ERROR(model::save_hf(r.shell, out.model_dir, tensor::DType::kF32, env));
        r.print("model: " + out.model_dir + " (Hugging Face layout; try jenny generate -m " +
                out.model_dir + ")\n");
    }
    return out;
}

}  // namespace jenny::train
