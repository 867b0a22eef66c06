#include "jenny/train/train_model.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "jenny/base/check.h"
#include "jenny/base/rng.h"
#include "jenny/kernels/activation.h"
#include "jenny/kernels/attention.h"
#include "jenny/kernels/embedding.h"
#include "jenny/kernels/matmul.h"
#include "jenny/kernels/norm.h"
#include "jenny/kernels/rope.h"
#include "jenny/tensor/tensor.h"
#include "train/lora_train.h"

namespace jenny::train {

using tensor::DType;
using tensor::Tensor;

namespace {

// Indices of one layer's parameters in info_ (-1: absent).
struct LayerIdx {
    int attn_norm, wq, bq, wk, bk, wv, bv, wo, ffn_norm, w_gate, w_up, w_down;
};

// Saved activations of one layer (pointers into Impl::acts). x_in is always kept.
struct LayerActs {
    float* x_in;   // (N, C) the residual stream entering the layer
    float* xn1;    // (N, C) attention norm output
    float* q;      // (N, H*D) rotated
    float* k;      // (N, Hkv*D) rotated
    float* v;      // (N, Hkv*D)
    float* probs;  // (B, H, T, T)
    float* att;    // (N, H*D) attention output
    float* x_mid;  // (N, C) after the attention residual
    float* xn2;    // (N, C) ffn norm output
    float* gate;   // (N, F)
    float* up;     // (N, F)
    float* act;    // (N, F) silu(gate) * up
};

void add_into(float* dst, const float* src, int64_t n) { kernels::add_forward(dst, dst, src, n); }

// ce_chunk_tokens = 0: the fused LM head + CE takes as many rows as fit 256 MiB of logits,
// 256 to 1024. Each chunk's sgemms re-pack the whole head (V, C) once per team member, and the
// logits sgemm runs ~15 % slower on 128 rows per member than on 512 (OpenBLAS, Zen 3; at V =
// 50304 the head is 62 % of the model's FLOPs).
int64_t auto_ce_chunk(int64_t V) {
    constexpr int64_t kBytes = int64_t{256} << 20;
    return std::clamp<int64_t>(kBytes / (std::max<int64_t>(V, 1) * 4), 256, 1024);
}

}  // namespace

struct TrainModel::Impl {
    int embed = -1, norm = -1, head = -1;  // head == embed when tied
    std::vector<LayerIdx> layers;
    std::vector<float> inv_freq;  // (D/2)

    // Geometry of the buffers below.
    int B = 0, T = 0;
    std::vector<int32_t> pos;       // (N) RoPE positions
    std::vector<int32_t> seg;       // (N) seg_begin of the current batch; empty: none
    std::vector<float> acts;        // saved activations
    std::vector<LayerActs> la;      // (L) views into acts
    float* x_final = nullptr;       // (N, C) residual after the last layer
    float* xf = nullptr;            // (N, C) final norm output
    std::vector<float> scratch;     // backward buffers
    float *dx, *dxf, *tmp, *dxn, *dact, *datt, *dq, *dk, *dv;
};

TrainModel::TrainModel(model::LlamaConfig config, const TrainModelOptions& options)
    : config_(std::move(config)), options_(options), impl_(std::make_unique<Impl>()) {}

TrainModel::~TrainModel() = default;

base::Result<std::unique_ptr<TrainModel>> TrainModel::create(const model::LlamaConfig& config,
                                                            const TrainModelOptions& options) {
    JENNY_RETURN_IF_ERROR(config.validate());
    // InternLM2's packed wqkv trains as separate q/k/v (load_weights unpacks it; save_hf
    // packs it again). A sliding window changes nothing while T <= sliding_window, which
    // forward() requires (the trainer checks batch.seq_len first).
    if (options.ce_chunk_tokens < 0)
        return base::Status::invalid_argument("ce_chunk_tokens must be >= 0 (0: automatic)");
    if (options.lora.enabled()) JENNY_RETURN_IF_ERROR(validate_lora(config, options.lora));
    model::LlamaConfig unpacked = config;
    unpacked.packed_wqkv = false;
    std::unique_ptr<TrainModel> m(new TrainModel(unpacked, options));
    if (m->options_.ce_chunk_tokens == 0) m->options_.ce_chunk_tokens = auto_ce_chunk(config.vocab_size);
    const int64_t V = config.vocab_size, C = config.dim, F = config.hidden_dim;
    const int64_t QD = config.q_dim(), KD = config.kv_dim();
    int64_t offset = 0;
    auto add = [&](std::string name, std::vector<int64_t> shape, bool emb, bool norm) {
        ParamInfo p;
        p.name = std::move(name);
        p.shape = std::move(shape);
        p.size = 1;
        for (int64_t d : p.shape) p.size *= d;
        p.offset = offset;
        p.is_embedding = emb;
        p.is_norm_or_bias = norm;
        offset += p.size;
        m->info_.push_back(std::move(p));
        return static_cast<int>(m->info_.size()) - 1;
    };
    Impl& I = *m->impl_;
    I.embed = add("model.embed_tokens.weight", {V, C}, true, false);
    for (int l = 0; l < config.n_layers; ++l) {
        const std::string p = "model.layers." + std::to_string(l) + ".";
        LayerIdx x{};
        x.attn_norm = add(p + "input_layernorm.weight", {C}, false, true);
        x.wq = add(p + "self_attn.q_proj.weight", {QD, C}, false, false);
        x.bq = config.qkv_bias ? add(p + "self_attn.q_proj.bias", {QD}, false, true) : -1;
        x.wk = add(p + "self_attn.k_proj.weight", {KD, C}, false, false);
        x.bk = config.qkv_bias ? add(p + "self_attn.k_proj.bias", {KD}, false, true) : -1;
        x.wv = add(p + "self_attn.v_proj.weight", {KD, C}, false, false);
        x.bv = config.qkv_bias ? add(p + "self_attn.v_proj.bias", {KD}, false, true) : -1;
        x.wo = add(p + "self_attn.o_proj.weight", {C, QD}, false, false);
        x.ffn_norm = add(p + "post_attention_layernorm.weight", {C}, false, true);
        x.w_gate = add(p + "mlp.gate_proj.weight", {F, C}, false, false);
        x.w_up = add(p + "mlp.up_proj.weight", {F, C}, false, false);
        x.w_down = add(p + "mlp.down_proj.weight", {C, F}, false, false);
        I.layers.push_back(x);
    }
    I.norm = add("model.norm.weight", {C}, false, true);
    I.head = config.tie_embeddings ? I.embed : add("lm_head.weight", {V, C}, false, false);
    if (options.lora.enabled()) offset = m->setup_lora(offset);  // base frozen, maybe quantised
    m->params_.assign(offset, 0.0f);
    if (!m->lora_) m->grads_.assign(offset, 0.0f);
    m->team_ = std::make_unique<base::WorkerTeam>(options.n_threads);
    I.inv_freq = kernels::rope_inv_freq(config.head_dim, config.rope_theta, config.rope_scaling);
    m->init_random(0);
    return m;
}

const ParamInfo* TrainModel::find_param(const std::string& name) const {
    for (const ParamInfo& p : params_info())
        if (p.name == name) return &p;
    return nullptr;
}

void TrainModel::init_random(uint64_t seed, double std) {
    base::Rng rng(seed);
    for (const ParamInfo& p : info_) {
        if (p.offset < 0) continue;  // a frozen quantised LoRA base weight
        float* w = params_.data() + p.offset;
        if (p.is_norm_or_bias) {
            const bool is_bias = p.name.size() > 5 && p.name.ends_with(".bias");
            for (int64_t i = 0; i < p.size; ++i) w[i] = is_bias ? 0.0f : 1.0f;
        } else {
            for (int64_t i = 0; i < p.size; ++i) w[i] = static_cast<float>(rng.normal() * std);
        }
    }
}

model::LlamaWeights TrainModel::weights_view() const {
    const Impl& I = *impl_;
    auto view = [&](int idx) { return idx < 0 ? Tensor() : weight(idx); };
    model::LlamaWeights w;
    w.tok_embeddings = view(I.embed);
    for (const LayerIdx& x : I.layers) {
        model::LlamaLayerWeights lw;
        lw.attn_norm = view(x.attn_norm);
        lw.wq = view(x.wq);
        lw.wk = view(x.wk);
        lw.wv = view(x.wv);
        lw.bq = view(x.bq);
        lw.bk = view(x.bk);
        lw.bv = view(x.bv);
        lw.wo = view(x.wo);
        lw.ffn_norm = view(x.ffn_norm);
        lw.w_gate = view(x.w_gate);
        lw.w_up = view(x.w_up);
        lw.w_down = view(x.w_down);
        w.layers.push_back(std::move(lw));
    }
    w.norm = view(I.norm);
    w.output = view(I.head);
    return w;
}

base::Status TrainModel::load_weights(const model::LlamaWeights& w) {
    const Impl& I = *impl_;
    if (static_cast<int>(w.layers.size()) != config_.n_layers)
        return base::Status::invalid_argument("load_weights: " + std::to_string(w.layers.size()) +
                                              " layers, the config has " +
                                              std::to_string(config_.n_layers));
    auto copy = [&](int idx, const Tensor& t, const char* role) -> base::Status {
        if (idx < 0) return base::Status::ok_status();
        const ParamInfo& p = info_[idx];
        if (!t.defined())
            return base::Status::invalid_argument("load_weights: " + p.name + " (" + role +
                                                  ") is missing");
        if (t.numel() != p.size)
            return base::Status::invalid_argument(
                "load_weights: " + p.name + ": expected " + std::to_string(p.size) +
                " elements, the source tensor has " + std::to_string(t.numel()));
        if (p.offset < 0) return store_frozen(idx, t);  // LoRA: held quantised
        Tensor f = t.to_f32();
        std::memcpy(params_.data() + p.offset, f.data(), sizeof(float) * p.size);
        return base::Status::ok_status();
    };
    JENNY_RETURN_IF_ERROR(copy(I.embed, w.tok_embeddings, "tok_embeddings"));
    for (int l = 0; l < config_.n_layers; ++l) {
        const LayerIdx& x = I.layers[l];
        const model::LlamaLayerWeights& s = w.layers[l];
        JENNY_RETURN_IF_ERROR(copy(x.attn_norm, s.attn_norm, "attn_norm"));
        if (s.wqkv.defined()) {
            // InternLM2: per kv head g, rows [q heads of group g (H/Hkv·D), k (D), v (D)].
            const int D = config_.head_dim, Hkv = config_.n_kv_heads;
            const int q_per_kv = config_.n_heads / Hkv;
            const int64_t C = config_.dim;
            if (s.wqkv.numel() != (config_.q_dim() + 2 * config_.kv_dim()) * C)
                return base::Status::invalid_argument("load_weights: layer " + std::to_string(l) +
                                                      " wqkv has the wrong size");
            Tensor packed = s.wqkv.to_f32();
            Tensor q = Tensor::empty(DType::kF32, {config_.q_dim(), C});
            Tensor k = Tensor::empty(DType::kF32, {config_.kv_dim(), C});
            Tensor v = Tensor::empty(DType::kF32, {config_.kv_dim(), C});
            const float* src = packed.data_as<float>();
            for (int g = 0; g < Hkv; ++g) {
                const float* base = src + int64_t{g} * (q_per_kv + 2) * D * C;
                std::memcpy(q.mutable_data_as<float>() + int64_t{g} * q_per_kv * D * C, base,
                            sizeof(float) * q_per_kv * D * C);
                std::memcpy(k.mutable_data_as<float>() + int64_t{g} * D * C,
                            base + int64_t{q_per_kv} * D * C, sizeof(float) * D * C);
                std::memcpy(v.mutable_data_as<float>() + int64_t{g} * D * C,
                            base + int64_t{q_per_kv + 1} * D * C, sizeof(float) * D * C);
            }
            JENNY_RETURN_IF_ERROR(copy(x.wq, q, "wq (from wqkv)"));
            JENNY_RETURN_IF_ERROR(copy(x.wk, k, "wk (from wqkv)"));
            JENNY_RETURN_IF_ERROR(copy(x.wv, v, "wv (from wqkv)"));
        } else {
            JENNY_RETURN_IF_ERROR(copy(x.wq, s.wq, "wq"));
            JENNY_RETURN_IF_ERROR(copy(x.wk, s.wk, "wk"));
            JENNY_RETURN_IF_ERROR(copy(x.wv, s.wv, "wv"));
        }
        JENNY_RETURN_IF_ERROR(copy(x.bq, s.bq, "bq"));
        JENNY_RETURN_IF_ERROR(copy(x.bk, s.bk, "bk"));
        JENNY_RETURN_IF_ERROR(copy(x.bv, s.bv, "bv"));
        JENNY_RETURN_IF_ERROR(copy(x.wo, s.wo, "wo"));
        JENNY_RETURN_IF_ERROR(copy(x.ffn_norm, s.ffn_norm, "ffn_norm"));
        JENNY_RETURN_IF_ERROR(copy(x.w_gate, s.w_gate, "w_gate"));
        JENNY_RETURN_IF_ERROR(copy(x.w_up, s.w_up, "w_up"));
        JENNY_RETURN_IF_ERROR(copy(x.w_down, s.w_down, "w_down"));
    }
    if (config_.rope_style == kernels::RopeStyle::kInterleaved) {
        // GGUF "llama" and llama2.c store q/k rows in the interleaved RoPE order; training
        // keeps Hugging Face's rotate_half order so checkpoints are HF directories as they
        // are. Row h·D + 2i + j (interleaved) is row h·D + j·D/2 + i (half).
        const int D = config_.head_dim;
        auto to_half = [&](int idx, int heads, int64_t cols) {
            if (idx < 0 || info_[idx].offset < 0) return;  // quantised: re-ordered when stored
            float* w = params_.data() + info_[idx].offset;
            std::vector<float> src(w, w + info_[idx].size);
            for (int h = 0; h < heads; ++h)
                for (int i = 0; i < D / 2; ++i)
                    for (int j = 0; j < 2; ++j)
                        std::memcpy(w + (static_cast<int64_t>(h) * D + j * (D / 2) + i) * cols,
                                    src.data() + (static_cast<int64_t>(h) * D + 2 * i + j) * cols,
                                    sizeof(float) * cols);
        };
        for (const LayerIdx& x : I.layers) {
            to_half(x.wq, config_.n_heads, config_.dim);
            to_half(x.wk, config_.n_kv_heads, config_.dim);
            to_half(x.bq, config_.n_heads, 1);
            to_half(x.bk, config_.n_kv_heads, 1);
        }
        config_.rope_style = kernels::RopeStyle::kHalf;
    }
    JENNY_RETURN_IF_ERROR(copy(I.norm, w.norm, "norm"));
    if (!config_.tie_embeddings) JENNY_RETURN_IF_ERROR(copy(I.head, w.output, "output"));
    if (w.rope_freqs.defined()) {
        Tensor f = w.rope_freqs.to_f32();
        impl_->inv_freq =
            kernels::rope_inv_freq(config_.head_dim, config_.rope_theta, config_.rope_scaling);
        for (size_t i = 0; i < impl_->inv_freq.size() && i < static_cast<size_t>(f.numel()); ++i)
            impl_->inv_freq[i] /= f.data_as<float>()[i];
    }
    return base::Status::ok_status();
}

void TrainModel::zero_grads() { std::fill(grads(), grads() + n_params(), 0.0f); }

size_t TrainModel::activation_bytes(const model::LlamaConfig& c, bool recompute, int B, int T) {
    const int64_t N = static_cast<int64_t>(B) * T, C = c.dim, F = c.hidden_dim;
    const int64_t QD = c.q_dim(), KD = c.kv_dim(), H = c.n_heads;
    const int64_t per_layer_full = 4 * N * C + 2 * N * QD + 2 * N * KD + B * H * T * T + 3 * N * F;
    const int64_t L = c.n_layers;
    const int64_t saved = recompute ? (L + 2) * N * C + (per_layer_full - N * C)
                                    : L * per_layer_full + 2 * N * C;
    const int64_t scratch = 4 * N * C + N * F + 2 * N * QD + 2 * N * KD;
    return static_cast<size_t>(saved + scratch) * sizeof(float);
}

size_t TrainModel::ce_scratch_bytes(const model::LlamaConfig& c, int B, int T) {
    const int64_t N = static_cast<int64_t>(B) * T;
    return static_cast<size_t>(kernels::lm_head_cross_entropy_scratch_bytes(
        std::min(N, auto_ce_chunk(c.vocab_size)), c.vocab_size, 1));
}

int64_t TrainModel::count_params(const model::LlamaConfig& c) {
    const int64_t V = c.vocab_size, C = c.dim, F = c.hidden_dim, QD = c.q_dim(), KD = c.kv_dim();
    const int64_t layer = 2 * C + QD * C + 2 * KD * C + C * QD + 3 * F * C +
                          (c.qkv_bias ? QD + 2 * KD : 0);
    return V * C * (c.tie_embeddings ? 1 : 2) + c.n_layers * layer + C;
}

double TrainModel::flops_per_token(int T) const {
    // Every 2-D weight is a matmul except the token embedding table (a lookup); a tied head
    // shares the table but is a matmul all the same.
    int64_t matmul_params = 0;
    for (size_t i = 0; i < info_.size(); ++i)
        if (info_[i].shape.size() == 2 && static_cast<int>(i) != impl_->embed)
            matmul_params += info_[i].size;
    if (config_.tie_embeddings) matmul_params += info_[impl_->embed].size;
    return 6.0 * static_cast<double>(matmul_params) +
           12.0 * config_.n_layers * static_cast<double>(T) * config_.q_dim();
}

void TrainModel::forward(const int32_t* inputs, int B, int T, const int32_t* seg_begin) {
    Impl& I = *impl_;
    const model::LlamaConfig& c = config_;
    JENNY_CHECK(c.sliding_window <= 0 || T <= c.sliding_window,
                "T={} exceeds the sliding window {}: full causal attention would differ", T,
                c.sliding_window);
    const int64_t N = static_cast<int64_t>(B) * T, C = c.dim, F = c.hidden_dim;
    const int64_t QD = c.q_dim(), KD = c.kv_dim();
    const int L = c.n_layers, H = c.n_heads;
    if (B != I.B || T != I.T) {
        I.B = B;
        I.T = T;
        I.pos.resize(N);
        for (int64_t n = 0; n < N; ++n) I.pos[n] = static_cast<int32_t>(n % T);
        const int64_t layer_full = 4 * N * C + 2 * N * QD + 2 * N * KD +
                                   static_cast<int64_t>(B) * H * T * T + 3 * N * F;
        const int64_t saved = options_.recompute ? (L + 2) * N * C + (layer_full - N * C)
                                                 : L * layer_full + 2 * N * C;
        I.acts.assign(saved, 0.0f);
        float* p = I.acts.data();
        auto take = [&](int64_t n) {
            float* r = p;
            p += n;
            return r;
        };
        I.la.assign(L, LayerActs{});
        LayerActs shared{};
        for (int l = 0; l < L; ++l) {
            LayerActs& a = I.la[l];
            a.x_in = take(N * C);
            if (options_.recompute && l > 0) {
                LayerActs keep = a;
                a = shared;
                a.x_in = keep.x_in;
                continue;
            }
            a.xn1 = take(N * C);
            a.q = take(N * QD);
            a.k = take(N * KD);
            a.v = take(N * KD);
            a.probs = take(static_cast<int64_t>(B) * H * T * T);
            a.att = take(N * QD);
            a.x_mid = take(N * C);
            a.xn2 = take(N * C);
            a.gate = take(N * F);
            a.up = take(N * F);
            a.act = take(N * F);
            if (l == 0) shared = a;
        }
        I.x_final = take(N * C);
        I.xf = take(N * C);
        JENNY_CHECK(p == I.acts.data() + I.acts.size(), "activation layout");
        I.scratch.assign(4 * N * C + N * F + 2 * N * QD + 2 * N * KD, 0.0f);
        float* s = I.scratch.data();
        auto stake = [&](int64_t n) {
            float* r = s;
            s += n;
            return r;
        };
        I.dx = stake(N * C);
        I.dxf = stake(N * C);
        I.tmp = stake(N * C);
        I.dxn = stake(N * C);
        I.dact = stake(N * F);
        I.datt = stake(N * QD);
        I.dq = stake(N * QD);
        I.dk = stake(N * KD);
        I.dv = stake(N * KD);
    }
    if (seg_begin) {
        I.seg.assign(seg_begin, seg_begin + N);
        for (int64_t n = 0; n < N; ++n) I.pos[n] = static_cast<int32_t>(n % T) - I.seg[n];
    } else if (!I.seg.empty()) {
        I.seg.clear();
        for (int64_t n = 0; n < N; ++n) I.pos[n] = static_cast<int32_t>(n % T);
    }
    kernels::embedding_forward(I.la[0].x_in, inputs, N, weight(I.embed));
    for (int l = 0; l < L; ++l) layer_forward(l, l + 1 < L ? I.la[l + 1].x_in : I.x_final);
    kernels::rmsnorm_forward(I.xf, I.x_final, param(I.norm), N, C, c.rms_eps);
}

Tensor TrainModel::weight(int idx) const {
    const ParamInfo& p = info_[idx];
    if (p.offset < 0) return frozen_weight(*lora_, idx);
    tensor::Shape shape = p.shape.size() == 1 ? tensor::Shape{p.shape[0]}
                                              : tensor::Shape{p.shape[0], p.shape[1]};
    return Tensor::view(DType::kF32, shape, params_.data() + p.offset, nullptr);
}

void TrainModel::layer_forward(int l, float* out) {
    Impl& I = *impl_;
    const model::LlamaConfig& c = config_;
    const int B = I.B, T = I.T;
    const int64_t N = static_cast<int64_t>(B) * T, C = c.dim, F = c.hidden_dim;
    const int H = c.n_heads, Hkv = c.n_kv_heads, D = c.head_dim;
    const LayerIdx& x = I.layers[l];
    const LayerActs& a = I.la[l];
    base::WorkerTeam* team = team_.get();
    kernels::rmsnorm_forward(a.xn1, a.x_in, param(x.attn_norm), N, C, c.rms_eps);
    kernels::matmul_forward(a.q, a.xn1, weight(x.wq), param(x.bq), N, team);
    kernels::matmul_forward(a.k, a.xn1, weight(x.wk), param(x.bk), N, team);
    kernels::matmul_forward(a.v, a.xn1, weight(x.wv), param(x.bv), N, team);
    if (lora_) {
        lora_forward(l, model::kLoraQ, a.q, a.xn1, N);
        lora_forward(l, model::kLoraK, a.k, a.xn1, N);
        lora_forward(l, model::kLoraV, a.v, a.xn1, N);
    }
    kernels::rope_forward(a.q, I.pos.data(), I.inv_freq.data(), N, H, D, c.rope_style);
    kernels::rope_forward(a.k, I.pos.data(), I.inv_freq.data(), N, Hkv, D, c.rope_style);
    kernels::causal_attention_forward(a.att, a.probs, a.q, a.k, a.v,
                                      I.seg.empty() ? nullptr : I.seg.data(), B, T, H, Hkv, D,
                                      1.0f / std::sqrt(static_cast<float>(D)), team);
    kernels::matmul_forward(a.x_mid, a.att, weight(x.wo), nullptr, N, team);
    if (lora_) lora_forward(l, model::kLoraO, a.x_mid, a.att, N);
    add_into(a.x_mid, a.x_in, N * C);
    kernels::rmsnorm_forward(a.xn2, a.x_mid, param(x.ffn_norm), N, C, c.rms_eps);
    kernels::matmul_forward(a.gate, a.xn2, weight(x.w_gate), nullptr, N, team);
    kernels::matmul_forward(a.up, a.xn2, weight(x.w_up), nullptr, N, team);
    if (lora_) {
        lora_forward(l, model::kLoraGate, a.gate, a.xn2, N);
        lora_forward(l, model::kLoraUp, a.up, a.xn2, N);
    }
    kernels::swiglu_forward(a.act, a.gate, a.up, N * F);
    kernels::matmul_forward(out, a.act, weight(x.w_down), nullptr, N, team);
    if (lora_) lora_forward(l, model::kLoraDown, out, a.act, N);
    add_into(out, a.x_mid, N * C);
}

// On entry I.dx holds d loss / d (layer output); on exit d loss / d x_in.
void TrainModel::layer_backward(int l) {
    Impl& I = *impl_;
    const model::LlamaConfig& c = config_;
    const int B = I.B, T = I.T;
    const int64_t N = static_cast<int64_t>(B) * T, C = c.dim, F = c.hidden_dim;
    const int64_t QD = c.q_dim(), KD = c.kv_dim();
    const int H = c.n_heads, Hkv = c.n_kv_heads, D = c.head_dim;
    const LayerIdx& x = I.layers[l];
    const LayerActs& a = I.la[l];
    base::WorkerTeam* team = team_.get();
    // With recompute every layer shares one activation set, which holds the last layer's after
    // forward(); the others are computed again from their saved inputs.
    if (options_.recompute && l + 1 < c.n_layers) layer_forward(l, I.tmp);
    // FFN: out = x_mid + down(swiglu(gate(xn2), up(xn2))).
    linear_backward(l, model::kLoraDown, I.dact, I.dx, a.act, x.w_down, -1, N, F, C);
    kernels::swiglu_backward(a.gate, a.up, I.dact, a.gate, a.up, N * F);  // now dgate, dup
    linear_backward(l, model::kLoraGate, I.dxn, a.gate, a.xn2, x.w_gate, -1, N, C, F);
    linear_backward(l, model::kLoraUp, I.tmp, a.up, a.xn2, x.w_up, -1, N, C, F);
    add_into(I.dxn, I.tmp, N * C);
    kernels::rmsnorm_backward(I.tmp, grad(x.ffn_norm), I.dxn, a.x_mid, param(x.ffn_norm), N, C,
                              c.rms_eps);
    add_into(I.dx, I.tmp, N * C);  // d x_mid
    // Attention: x_mid = x_in + o(attn(rope(q(xn1)), rope(k(xn1)), v(xn1))).
    linear_backward(l, model::kLoraO, I.datt, I.dx, a.att, x.wo, -1, N, QD, C);
    kernels::causal_attention_backward(I.dq, I.dk, I.dv, I.datt, a.probs, a.q, a.k, a.v, B, T, H,
                                       Hkv, D, 1.0f / std::sqrt(static_cast<float>(D)), team);
    kernels::rope_backward(I.dq, I.pos.data(), I.inv_freq.data(), N, H, D, c.rope_style);
    kernels::rope_backward(I.dk, I.pos.data(), I.inv_freq.data(), N, Hkv, D, c.rope_style);
    linear_backward(l, model::kLoraQ, I.dxn, I.dq, a.xn1, x.wq, x.bq, N, C, QD);
    linear_backward(l, model::kLoraK, I.tmp, I.dk, a.xn1, x.wk, x.bk, N, C, KD);
    add_into(I.dxn, I.tmp, N * C);
    linear_backward(l, model::kLoraV, I.tmp, I.dv, a.xn1, x.wv, x.bv, N, C, KD);
    add_into(I.dxn, I.tmp, N * C);
    kernels::rmsnorm_backward(I.tmp, grad(x.attn_norm), I.dxn, a.x_in, param(x.attn_norm), N, C,
                              c.rms_eps);
    add_into(I.dx, I.tmp, N * C);  // d x_in
}

kernels::CrossEntropyStats TrainModel::forward_backward(const int32_t* inputs,
                                                        const int32_t* targets, int B, int T,
                                                        float grad_scale,
                                                        const int32_t* seg_begin) {
    Impl& I = *impl_;
    const model::LlamaConfig& c = config_;
    const int64_t N = static_cast<int64_t>(B) * T, C = c.dim;
    if (lora_) lora_->dropping = lora_->opt.dropout > 0;  // adapter dropout: training only
    forward(inputs, B, T, seg_begin);
    kernels::CrossEntropyStats ce = kernels::lm_head_cross_entropy(
        I.dxf, grad(I.head), I.xf, param(I.head), targets, N, C, c.vocab_size, grad_scale,
        options_.ce_chunk_tokens, team_.get());
    kernels::rmsnorm_backward(I.dx, grad(I.norm), I.dxf, I.x_final, param(I.norm), N, C,
                              c.rms_eps);
    // (LoRA: the adapters' grads are final only at the end.)
    if (grads_ready_ && !lora_) grads_ready_(info_[I.norm].offset);
    for (int l = c.n_layers - 1; l >= 0; --l) {
        layer_backward(l);
        if (grads_ready_ && !lora_) grads_ready_(info_[I.layers[l].attn_norm].offset);
    }
    if (grad(I.embed)) kernels::embedding_backward(grad(I.embed), I.dx, inputs, N, C);
    if (grads_ready_) grads_ready_(0);
    if (lora_) lora_->dropping = false;
    return ce;
}

kernels::CrossEntropyStats TrainModel::forward_loss(const int32_t* inputs, const int32_t* targets,
                                                    int B, int T, const int32_t* seg_begin) {
    Impl& I = *impl_;
    const int64_t N = static_cast<int64_t>(B) * T;
    forward(inputs, B, T, seg_begin);
    return kernels::lm_head_cross_entropy(nullptr, nullptr, I.xf, param(I.head), targets, N,
                                          config_.dim, config_.vocab_size, 1.0f,
                                          options_.ce_chunk_tokens, team_.get());
}

void TrainModel::forward_logits(const int32_t* inputs, int B, int T, float* logits,
                                const int32_t* seg_begin) {
    Impl& I = *impl_;
    forward(inputs, B, T, seg_begin);
    kernels::matmul_forward(logits, I.xf, weight(I.head), nullptr, static_cast<int64_t>(B) * T,
                            team_.get());
}

}  // namespace jenny::train
