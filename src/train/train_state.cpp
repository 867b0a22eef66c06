#include "jenny/train/train_state.h"

#include <chrono>
#include <cstring>
#include <fmt/format.h>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

#include "jenny/checkpoint/safetensors.h"
#include "jenny/tensor/tensor.h"

namespace jenny::train {

using base::Status;
using checkpoint::CheckpointFile;
using tensor::DType;
using tensor::Tensor;

namespace {

Tensor f32_view(const float* data, const ParamInfo& p) {
    tensor::Shape shape = p.shape.size() == 1 ? tensor::Shape{p.shape[0]}
                                              : tensor::Shape{p.shape[0], p.shape[1]};
    return Tensor::view(DType::kF32, shape, data + p.offset, nullptr);
}

nlohmann::json history_json(const std::vector<std::pair<int64_t, double>>& h) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& [s, l] : h) a.push_back({s, l});
    return a;
}

std::vector<std::pair<int64_t, double>> history_from(const nlohmann::json& a) {
    std::vector<std::pair<int64_t, double>> h;
    for (const auto& e : a) h.emplace_back(e.at(0).get<int64_t>(), e.at(1).get<double>());
    return h;
}

}  // namespace

base::Result<std::vector<CheckpointFile>> checkpoint_files(const TrainModel& tm,
                                                           const AdamW& adamw,
                                                           const TrainState& state,
                                                           const std::string& static_dir,
                                                           base::Env* env) {
    std::vector<CheckpointFile> files;
    // LoRA: the checkpoint is a PEFT adapter directory (adapter_config.json from static_dir).
    const std::string weights = tm.is_lora() ? "adapter_model.safetensors" : "model.safetensors";
    JENNY_ASSIGN_OR_RETURN(std::vector<std::string> names, env->list_dir(static_dir));
    for (const std::string& name : names) {
        if (name == weights || name.find(".tmp") != std::string::npos) continue;
        const std::string path = static_dir + "/" + name;
        files.push_back({name, [path, env](base::WritableFile& f) -> Status {
                             JENNY_ASSIGN_OR_RETURN(std::string text, env->read_file(path));
                             return f.append(text);
                         }});
    }
    files.push_back({weights, [&tm](base::WritableFile& f) -> Status {
                         std::vector<checkpoint::NamedTensor> t;
                         for (const ParamInfo& p : tm.params_info())
                             t.emplace_back(p.name, f32_view(tm.params(), p));
                         return checkpoint::write_safetensors_to(f, t, {{"format", "pt"}});
                     }});
    files.push_back({"optimizer.safetensors", [&tm, &adamw](base::WritableFile& f) -> Status {
                         std::vector<checkpoint::NamedTensor> t;
                         for (const ParamInfo& p : tm.params_info()) {
                             t.emplace_back("m." + p.name, f32_view(adamw.m(), p));
                             t.emplace_back("v." + p.name, f32_view(adamw.v(), p));
                         }
                         return checkpoint::write_safetensors_to(
                             f, t,
                             {{"adamw_step", std::to_string(adamw.step_count())},
                              {"format", "jenny-adamw"}});
                     }});
    nlohmann::json js = {{"format", "jenny-trainer-state"},
                         {"version", 1},
                         {"step", state.step},
                         {"tokens_seen", state.tokens_seen},
                         {"global_batch", state.global_batch},
                         {"skipped_steps", state.skipped_steps},
                         {"consecutive_bad", state.consecutive_bad},
                         {"data_cursor", nlohmann::json::object()},
                         {"loss_window", std::vector<double>(state.loss_window.begin(),
                                                             state.loss_window.end())},
                         {"loss_history", history_json(state.loss_history)},
                         {"val_history", history_json(state.val_history)}};
    // The data order is a pure function of (seed, global sample index): the cursor is the
    // next global sample, step * global_batch, kept for readers of the state.
    js["data_cursor"]["next_step"] = state.step;
    const std::string text = js.dump(1) + "\n";
    files.push_back({"trainer_state.json",
                     [text](base::WritableFile& f) -> Status { return f.append(text); }});
    return files;
}

Status load_checkpoint(const std::string& dir, TrainModel* tm, AdamW* adamw, TrainState* state,
                       base::Env* env) {
    auto load_into = [&](const std::string& file, const std::string& prefix, float* dst) -> Status {
        JENNY_ASSIGN_OR_RETURN(auto st, checkpoint::SafetensorsFile::open(dir + "/" + file, env));
        for (const ParamInfo& p : tm->params_info()) {
            auto t = st->tensor(prefix + p.name);
            if (!t.ok())
                return Status::failed_precondition(
                    fmt::format("{}/{}: {} (was the model config changed since this "
                                "checkpoint?)", dir, file, t.status().message()));
            if (t->dtype() != DType::kF32 || t->numel() != p.size)
                return Status::failed_precondition(fmt::format(
                    "{}/{}: {}{} has shape {} but the model's is {} elements; the config "
                    "changed since this checkpoint",
                    dir, file, prefix, p.name, t->shape().str(), p.size));
            std::memcpy(dst + p.offset, t->data(), sizeof(float) * p.size);
        }
        return Status();
    };
    JENNY_RETURN_IF_ERROR(load_into(
        tm->is_lora() ? "adapter_model.safetensors" : "model.safetensors", "", tm->params()));
    JENNY_RETURN_IF_ERROR(load_into("optimizer.safetensors", "m.", adamw->m()));
    JENNY_RETURN_IF_ERROR(load_into("optimizer.safetensors", "v.", adamw->v()));
    {
        JENNY_ASSIGN_OR_RETURN(auto st,
                               checkpoint::SafetensorsFile::open(dir + "/optimizer.safetensors", env));
        auto it = st->metadata().find("adamw_step");
        if (it == st->metadata().end())
            return Status::corruption(dir + "/optimizer.safetensors: no adamw_step metadata");
        adamw->set_step_count(std::stoll(it->second));
    }
    JENNY_ASSIGN_OR_RETURN(std::string text, env->read_file(dir + "/trainer_state.json"));
    try {
        const nlohmann::json js = nlohmann::json::parse(text);
        TrainState s;
        s.step = js.at("step").get<int64_t>();
        s.tokens_seen = js.at("tokens_seen").get<int64_t>();
        s.global_batch = js.value("global_batch", int64_t{0});  // absent before data parallel
        s.skipped_steps = js.at("skipped_steps").get<int64_t>();
        s.consecutive_bad = js.at("consecutive_bad").get<int>();
        for (double l : js.at("loss_window")) s.loss_window.push_back(l);
        s.loss_history = history_from(js.at("loss_history"));
        s.val_history = history_from(js.at("val_history"));
        *state = std::move(s);
    } catch (const std::exception& e) {
        return Status::corruption(dir + "/trainer_state.json: " + e.what());
    }
    return Status();
}

namespace {

// FLOPs of `iters` rounds of 12 independent 8-wide FMA chains (2 FLOPs per lane).
double fma_loop(int64_t iters) {
#if defined(__AVX2__) && defined(__FMA__)
    __m256 acc[12];
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(0.001f * i);
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    for (int64_t it = 0; it < iters; ++it)
        for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
    __m256 s = acc[0];
    for (int i = 1; i < 12; ++i) s = _mm256_add_ps(s, acc[i]);
    alignas(32) float out[8];
    _mm256_store_ps(out, s);
    volatile float sink = out[0];
    (void)sink;
    return static_cast<double>(iters) * 12 * 8 * 2;
#else
    float acc[12];
    for (int i = 0; i < 12; ++i) acc[i] = 0.001f * i;
    for (int64_t it = 0; it < iters; ++it)
        for (int i = 0; i < 12; ++i) acc[i] = acc[i] * 0.999999f + 1e-7f;
    volatile float sink = acc[0];
    (void)sink;
    return static_cast<double>(iters) * 12 * 2;
#endif
}

}  // namespace

double flops_peak_estimate(int threads) {
    static std::mutex mu;
    static std::vector<double> cache(257, 0.0);
    threads = std::clamp(threads, 1, 256);
    std::lock_guard<std::mutex> lock(mu);
    if (cache[threads] > 0) return cache[threads];
    const int64_t iters = 2'000'000;
    double best = 0;
    for (int rep = 0; rep < 3; ++rep) {
        const auto t0 = std::chrono::steady_clock::now();
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t) pool.emplace_back([&] { fma_loop(iters); });
        for (auto& th : pool) th.join();
        const double secs =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        best = std::max(best, fma_loop(0) + threads * (static_cast<double>(iters) * 12 *
#if defined(__AVX2__) && defined(__FMA__)
                                                        8 *
#endif
                                                        2) / secs);
    }
    cache[threads] = best;
    return best;
}

}  // namespace jenny::train
