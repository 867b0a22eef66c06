// TrainModel's LoRA mode (train/lora.h): the frozen base's layout (f32 in params_, or the
// layer projections quantised), the adapters as the trainable parameters, and the low-rank
// side path's forward and backward with deterministic dropout.
//
// Per adapted projection y = W x (+ b) + s · B A d(x), s = alpha / r, d = dropout:
//   forward:  us = s · d(x) Aᵀ (N, r), saved;  y += us Bᵀ
//   backward: dB += dyᵀ us;  du = s · dy B (N, r);  dA += duᵀ d(x);  dx += d'(du A)
// where d' multiplies by the same mask / (1 − p). The masks are a hash of (seed, step,
// micro-batch, layer, target, element), regenerated in backward (nothing N × in is saved).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "jenny/base/rng.h"
#include "jenny/kernels/activation.h"
#include "jenny/kernels/matmul.h"
#include "jenny/kernels/matmul_dx.h"
#include "jenny/tensor/dtype.h"
#include "jenny/train/train_config.h"
#include "jenny/train/train_model.h"
#include "train/lora_train.h"

namespace jenny::train {

using base::Status;
using tensor::DType;
using tensor::Tensor;

namespace {

uint64_t mix(uint64_t x) {  // splitmix64's finaliser
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

// xd (N, in) = x · mask / (1 − p), the mask a pure function of the key and the element.
void dropout(float* xd, const float* x, int64_t n, double p, uint64_t key) {
    const float keep_scale = static_cast<float>(1.0 / (1.0 - p));
    const uint64_t threshold = static_cast<uint64_t>(p * 18446744073709551616.0);
    for (int64_t i = 0; i < n; ++i)
        xd[i] = mix(key ^ mix(static_cast<uint64_t>(i))) < threshold ? 0.0f : x[i] * keep_scale;
}

Tensor view2(const float* data, int64_t rows, int64_t cols) {
    return Tensor::view(DType::kF32, {rows, cols}, data, nullptr);
}

bool is_layer_matrix(const ParamInfo& p) {
    return p.shape.size() == 2 && p.name.starts_with("model.layers.") &&
           p.name.ends_with("_proj.weight");
}

}  // namespace

Status validate_lora(const model::LlamaConfig& c, const LoraOptions& o) {
    auto bad = [](const std::string& m) { return Status::invalid_argument(m); };
    if (o.rank < 0) return bad("lora.rank: must be >= 0 (0: off)");
    if (!(o.alpha > 0)) return bad("lora.alpha: must be > 0");
    if (!(o.dropout >= 0 && o.dropout < 1)) return bad("lora.dropout: must be in [0, 1)");
    if (o.targets.empty()) return bad("lora.targets: name at least one of q k v o gate up down");
    for (int t : o.targets)
        if (t < 0 || t >= model::kLoraTargets) return bad("lora.targets: unknown target");
    if (c.packed_wqkv) return Status::unsupported("LoRA on InternLM2's packed wqkv");
    if (o.base_dtype != DType::kF32 && o.base_dtype != DType::kQ8_0 && o.base_dtype != DType::kQ4_0)
        return bad("lora.base_dtype: must be f32, q8_0 or q4_0");
    if (o.base_dtype != DType::kF32) {
        const int64_t block = tensor::dtype_info(o.base_dtype).block_size;
        for (int64_t k : {int64_t{c.dim}, int64_t{c.hidden_dim}, int64_t{c.q_dim()}})
            if (k % block != 0)
                return bad("lora.base_dtype " + std::string(tensor::dtype_name(o.base_dtype)) +
                           ": the model's projection inputs (" + std::to_string(k) +
                           ") are not a multiple of its " + std::to_string(block) +
                           "-element blocks; use base_dtype: f32");
    }
    return Status();
}

Tensor frozen_weight(const TrainLora& lora, int idx) { return lora.frozen[idx]; }

Status save_lora_adapter_dir(const TrainModel& tm, const TrainConfig& config,
                             const std::string& dir, base::Env* env) {
    model::LoraAdapter ad = tm.lora_adapter();
    ad.config.base_model = config.model.init_from;
    return model::save_lora_adapter(dir, ad, env);
}

LoraOptions lora_options(const LoraSection& s) {
    LoraOptions o;
    o.rank = s.rank;
    o.alpha = s.alpha;
    o.dropout = s.dropout;
    for (const std::string& name : s.targets)
        if (auto t = model::lora_target_from_name(name)) o.targets.push_back(*t);
    std::sort(o.targets.begin(), o.targets.end());
    o.targets.erase(std::unique(o.targets.begin(), o.targets.end()), o.targets.end());
    o.base_dtype = tensor::dtype_from_name(s.base_dtype).value_or(DType::kF32);
    return o;
}

const std::vector<ParamInfo>& TrainModel::params_info() const {
    return lora_ ? lora_->info : info_;
}
int64_t TrainModel::n_params() const {
    return static_cast<int64_t>(lora_ ? lora_->params.size() : params_.size());
}
float* TrainModel::params() { return lora_ ? lora_->params.data() : params_.data(); }
const float* TrainModel::params() const { return lora_ ? lora_->params.data() : params_.data(); }
float* TrainModel::grads() { return lora_ ? lora_->grads.data() : grads_.data(); }
const float* TrainModel::grads() const { return lora_ ? lora_->grads.data() : grads_.data(); }

int64_t TrainModel::setup_lora(int64_t offset) {
    lora_ = std::make_unique<TrainLora>();
    TrainLora& L = *lora_;
    L.opt = options_.lora;
    L.scale = L.opt.scale();
    L.frozen.resize(info_.size());
    if (L.opt.base_dtype != DType::kF32) {
        // Layer projections live quantised in `frozen` (offset -1); the rest is re-packed.
        offset = 0;
        for (size_t i = 0; i < info_.size(); ++i) {
            ParamInfo& p = info_[i];
            if (is_layer_matrix(p)) {
                p.offset = -1;
                L.frozen[i] = Tensor::empty(L.opt.base_dtype, {p.shape[0], p.shape[1]});
            } else {
                p.offset = offset;
                offset += p.size;
            }
        }
    }
    // The adapters, PEFT's order: layer by layer, q k v o gate up down, A then B.
    const int r = L.opt.rank;
    std::vector<bool> on(model::kLoraTargets, false);
    for (int t : L.opt.targets) on[t] = true;
    int64_t n = 0;
    L.slot.assign(config_.n_layers, {});
    for (int l = 0; l < config_.n_layers; ++l) {
        for (int t = 0; t < model::kLoraTargets; ++t) {
            L.slot[l][t] = -1;
            if (!on[t]) continue;
            const auto [out, in] = model::lora_target_shape(config_, t);
            L.slot[l][t] = static_cast<int>(L.info.size());
            for (bool a : {true, false}) {
                ParamInfo p;
                p.name = model::lora_tensor_name(l, t, a);
                p.shape = a ? std::vector<int64_t>{r, in} : std::vector<int64_t>{out, r};
                p.size = p.shape[0] * p.shape[1];
                p.offset = n;
                n += p.size;
                L.info.push_back(std::move(p));
            }
        }
    }
    L.params.assign(n, 0.0f);
    L.grads.assign(n, 0.0f);
    return offset;
}

Status TrainModel::store_frozen(int idx, const Tensor& t) {
    const ParamInfo& p = info_[idx];
    Tensor f = t.to_f32().reshape({p.shape[0], p.shape[1]});
    if (config_.rope_style == kernels::RopeStyle::kInterleaved &&
        (p.name.ends_with("q_proj.weight") || p.name.ends_with("k_proj.weight"))) {
        // As load_weights does for f32: interleaved RoPE rows to rotate_half's order.
        const int D = config_.head_dim;
        const int heads = p.name.ends_with("q_proj.weight") ? config_.n_heads : config_.n_kv_heads;
        const int64_t cols = p.shape[1];
        Tensor h = Tensor::empty(DType::kF32, {p.shape[0], cols});
        const float* src = f.data_as<float>();
        float* dst = h.mutable_data_as<float>();
        for (int hd = 0; hd < heads; ++hd)
            for (int i = 0; i < D / 2; ++i)
                for (int j = 0; j < 2; ++j)
                    std::memcpy(dst + (static_cast<int64_t>(hd) * D + j * (D / 2) + i) * cols,
                                src + (static_cast<int64_t>(hd) * D + 2 * i + j) * cols,
                                sizeof(float) * cols);
        f = h;
    }
    lora_->frozen[idx] = f.convert(lora_->opt.base_dtype);
    return Status();
}

void TrainModel::init_lora(uint64_t seed) {
    TrainLora& L = *lora_;
    L.seed = seed;
    base::Rng rng(seed ^ 0x4c6f5241ULL);  // "LoRA"
    for (const ParamInfo& p : L.info) {
        float* w = L.params.data() + p.offset;
        const bool is_a = p.name.ends_with("lora_A.weight");
        // kaiming_uniform_(a=√5) on (r, in): bound = gain · √(3 / fan_in), gain = √(2 / 6).
        const double bound = 1.0 / std::sqrt(static_cast<double>(p.shape[1]));
        for (int64_t i = 0; i < p.size; ++i)
            w[i] = is_a ? static_cast<float>((2.0 * rng.uniform_double() - 1.0) * bound) : 0.0f;
    }
    std::fill(L.grads.begin(), L.grads.end(), 0.0f);
}

void TrainModel::set_step(int64_t step, int micro_batch) {
    if (!lora_) return;
    lora_->step = step;
    lora_->micro = micro_batch;
}

model::LoraAdapter TrainModel::lora_adapter() const {
    const TrainLora& L = *lora_;
    model::LoraAdapter ad;
    ad.config.rank = L.opt.rank;
    ad.config.alpha = L.opt.alpha;
    ad.config.dropout = L.opt.dropout;
    ad.config.targets = L.opt.targets;
    std::sort(ad.config.targets.begin(), ad.config.targets.end());
    ad.a.resize(config_.n_layers);
    ad.b.resize(config_.n_layers);
    for (int l = 0; l < config_.n_layers; ++l)
        for (int t = 0; t < model::kLoraTargets; ++t) {
            const int s = L.slot[l][t];
            if (s < 0) continue;
            const ParamInfo &a = L.info[s], &b = L.info[s + 1];
            ad.a[l][t] = view2(L.params.data() + a.offset, a.shape[0], a.shape[1]);
            ad.b[l][t] = view2(L.params.data() + b.offset, b.shape[0], b.shape[1]);
        }
    return ad;
}

int64_t TrainModel::count_lora_params(const model::LlamaConfig& c, const LoraOptions& o) {
    int64_t n = 0;
    for (int t : o.targets) {
        const auto [out, in] = model::lora_target_shape(c, t);
        n += static_cast<int64_t>(o.rank) * (out + in);
    }
    return n * c.n_layers;
}

double TrainModel::frozen_base_bytes(const model::LlamaConfig& c, const LoraOptions& o) {
    double matrices = 0;
    for (int t = 0; t < model::kLoraTargets; ++t) {
        const auto [out, in] = model::lora_target_shape(c, t);
        const auto& d = tensor::dtype_info(o.base_dtype);  // rows that do not fit are refused
        matrices += static_cast<double>(out) * static_cast<double>(in) * d.type_size / d.block_size;
    }
    const double rest =
        4.0 *
        (static_cast<double>(count_params(c)) -
         static_cast<double>(c.n_layers) *
             (2.0 * c.dim * c.q_dim() + 2.0 * c.dim * c.kv_dim() + 3.0 * c.dim * c.hidden_dim));
    return matrices * c.n_layers + rest;
}

void TrainModel::lora_forward(int layer, int target, float* y, const float* x, int64_t N) {
    TrainLora& L = *lora_;
    const int s = L.slot[layer][target];
    if (s < 0) return;
    const int64_t r = L.opt.rank;
    const auto [out, in] = model::lora_target_shape(config_, target);
    if (L.saved_n != N) {
        L.saved_n = N;
        L.saved.assign(static_cast<size_t>(config_.n_layers) * model::kLoraTargets * N * r, 0.0f);
        const int64_t wide =
            std::max<int64_t>(config_.dim, std::max<int64_t>(config_.hidden_dim, config_.q_dim()));
        L.xd.assign(N * wide, 0.0f);
        L.tmp.assign(N * wide, 0.0f);
        L.du.assign(N * r, 0.0f);
    }
    float* us =
        L.saved.data() + (static_cast<int64_t>(layer) * model::kLoraTargets + target) * N * r;
    const float* xd = x;
    if (L.dropping) {
        dropout(L.xd.data(), x, N * in, L.opt.dropout,
                mix(L.seed ^
                    mix(L.step ^ mix(static_cast<uint64_t>(L.micro) ^ mix(layer * 16 + target)))));
        xd = L.xd.data();
    }
    const ParamInfo &a = L.info[s], &b = L.info[s + 1];
    base::WorkerTeam* team = team_.get();
    kernels::matmul_forward(us, xd, view2(L.params.data() + a.offset, r, in), nullptr, N, team);
    for (int64_t i = 0; i < N * r; ++i) us[i] *= L.scale;
    kernels::matmul_forward(L.tmp.data(), us, view2(L.params.data() + b.offset, out, r), nullptr, N,
                            team);
    kernels::add_forward(y, y, L.tmp.data(), N * out);
}

void TrainModel::linear_backward(int layer, int target, float* dx, const float* dout,
                                 const float* x, int w, int b, int64_t N, int64_t K, int64_t M) {
    base::WorkerTeam* team = team_.get();
    if (info_[w].offset < 0) {
        kernels::matmul_backward_dx(dx, dout, weight(w), N, team);  // frozen, quantised
    } else {
        kernels::matmul_backward(dx, grad(w), grad(b), dout, x, param(w), N, K, M, team);
    }
    if (!lora_ || lora_->slot[layer][target] < 0) return;
    TrainLora& L = *lora_;
    const int s = L.slot[layer][target];
    const int64_t r = L.opt.rank;
    const ParamInfo &a = L.info[s], &bi = L.info[s + 1];
    const float* us =
        L.saved.data() + (static_cast<int64_t>(layer) * model::kLoraTargets + target) * N * r;
    // dB += doutᵀ us; du = dout B.
    kernels::matmul_backward(L.du.data(), L.grads.data() + bi.offset, nullptr, dout, us,
                             L.params.data() + bi.offset, N, r, M, team);
    for (int64_t i = 0; i < N * r; ++i) L.du[i] *= L.scale;
    const float* xd = x;
    if (L.dropping) {
        dropout(L.xd.data(), x, N * K, L.opt.dropout,
                mix(L.seed ^
                    mix(L.step ^ mix(static_cast<uint64_t>(L.micro) ^ mix(layer * 16 + target)))));
        xd = L.xd.data();
    }
    // dA += duᵀ d(x); d(d(x)) = du A.
    kernels::matmul_backward(L.tmp.data(), L.grads.data() + a.offset, nullptr, L.du.data(), xd,
                             L.params.data() + a.offset, N, K, r, team);
    if (L.dropping) {
        // Through the mask: the same dropout applied to the gradient (zero where dropped,
        // scaled by 1 / (1 − p) where kept).
        dropout(L.xd.data(), L.tmp.data(), N * K, L.opt.dropout,
                mix(L.seed ^
                    mix(L.step ^ mix(static_cast<uint64_t>(L.micro) ^ mix(layer * 16 + target)))));
        kernels::add_forward(dx, dx, L.xd.data(), N * K);
        return;
    }
    kernels::add_forward(dx, dx, L.tmp.data(), N * K);
}

}  // namespace jenny::train
