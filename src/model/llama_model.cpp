#include "jenny/model/llama_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "jenny/kernels/activation.h"
#include "jenny/kernels/attention.h"
#include "jenny/kernels/embedding.h"
#include "jenny/kernels/matmul.h"
#include "jenny/kernels/norm.h"
#include "jenny/kernels/rope.h"
#include "jenny/kernels/softmax.h"

namespace jenny::model {

using base::Status;
using tensor::DType;
using tensor::Shape;
using tensor::Tensor;

namespace {

Status expect_shape(const Tensor& t, const Shape& want, const std::string& name) {
    if (!t.defined()) return Status::invalid_argument(fmt::format("missing tensor {}", name));
    if (t.shape() != want) {
        return Status::invalid_argument(
            fmt::format("tensor {}: expected shape {}, got {}", name, want.str(), t.shape().str()));
    }
    return Status();
}

// Norm vectors and biases are small: keep them as f32 whatever the file stored.
Tensor as_f32(const Tensor& t) {
    if (!t.defined() || t.dtype() == DType::kF32) return t;
    return t.to_f32();
}

}  // namespace

size_t LlamaWeights::bytes() const {
    size_t total = tok_embeddings.nbytes() + norm.nbytes();
    if (output.data() != tok_embeddings.data()) total += output.nbytes();
    for (const auto& l : layers) {
        for (const Tensor* t : {&l.attn_norm, &l.wq, &l.wk, &l.wv, &l.wqkv, &l.bq, &l.bk, &l.bv,
                                &l.wo, &l.ffn_norm, &l.w_gate, &l.w_up, &l.w_down}) {
            if (t->defined()) total += t->nbytes();
        }
    }
    return total;
}

LlamaModel::LlamaModel(LlamaConfig config, LlamaWeights weights, int n_threads)
    : config_(std::move(config)),
      weights_(std::move(weights)),
      team_(std::make_unique<base::WorkerTeam>(n_threads)) {
    inv_freq_ = kernels::rope_inv_freq(config_.head_dim, config_.rope_theta, config_.rope_scaling);
    if (weights_.rope_freqs.defined()) {
        // llama.cpp's rope_freqs.weight: per-frequency divisors (Llama 3.1 scaling in GGUF).
        Tensor f = weights_.rope_freqs.to_f32();
        for (size_t i = 0; i < inv_freq_.size(); ++i) inv_freq_[i] /= f.data_as<float>()[i];
    }
}

base::Result<std::unique_ptr<LlamaModel>> LlamaModel::create(LlamaConfig config,
                                                             LlamaWeights weights, int n_threads) {
    JENNY_RETURN_IF_ERROR(config.validate());
    const int64_t C = config.dim, F = config.hidden_dim, V = config.vocab_size;
    const int64_t QD = config.q_dim(), KD = config.kv_dim();
    JENNY_RETURN_IF_ERROR(expect_shape(weights.tok_embeddings, {V, C}, "token embeddings"));
    JENNY_RETURN_IF_ERROR(expect_shape(weights.output, {V, C}, "output (lm head)"));
    weights.norm = as_f32(weights.norm);
    JENNY_RETURN_IF_ERROR(expect_shape(weights.norm, {C}, "final norm"));
    if (static_cast<int>(weights.layers.size()) != config.n_layers) {
        return Status::invalid_argument(fmt::format("expected {} layers of weights, got {}",
                                                    config.n_layers, weights.layers.size()));
    }
    if (weights.rope_freqs.defined()) {
        JENNY_RETURN_IF_ERROR(
            expect_shape(weights.rope_freqs, {config.head_dim / 2}, "rope_freqs"));
    }
    for (int i = 0; i < config.n_layers; ++i) {
        auto& l = weights.layers[i];
        auto name = [i](const char* what) { return fmt::format("layer {} {}", i, what); };
        l.attn_norm = as_f32(l.attn_norm);
        l.ffn_norm = as_f32(l.ffn_norm);
        l.bq = as_f32(l.bq);
        l.bk = as_f32(l.bk);
        l.bv = as_f32(l.bv);
        JENNY_RETURN_IF_ERROR(expect_shape(l.attn_norm, {C}, name("attention norm")));
        if (config.packed_wqkv) {
            JENNY_RETURN_IF_ERROR(expect_shape(l.wqkv, {QD + 2 * KD, C}, name("wqkv")));
        } else {
            JENNY_RETURN_IF_ERROR(expect_shape(l.wq, {QD, C}, name("wq")));
            JENNY_RETURN_IF_ERROR(expect_shape(l.wk, {KD, C}, name("wk")));
            JENNY_RETURN_IF_ERROR(expect_shape(l.wv, {KD, C}, name("wv")));
        }
        if (config.qkv_bias) {
            JENNY_RETURN_IF_ERROR(expect_shape(l.bq, {QD}, name("q bias")));
            JENNY_RETURN_IF_ERROR(expect_shape(l.bk, {KD}, name("k bias")));
            JENNY_RETURN_IF_ERROR(expect_shape(l.bv, {KD}, name("v bias")));
        }
        JENNY_RETURN_IF_ERROR(expect_shape(l.wo, {C, QD}, name("wo")));
        JENNY_RETURN_IF_ERROR(expect_shape(l.ffn_norm, {C}, name("ffn norm")));
        JENNY_RETURN_IF_ERROR(expect_shape(l.w_gate, {F, C}, name("ffn gate (w1)")));
        JENNY_RETURN_IF_ERROR(expect_shape(l.w_up, {F, C}, name("ffn up (w3)")));
        JENNY_RETURN_IF_ERROR(expect_shape(l.w_down, {C, F}, name("ffn down (w2)")));
    }
    return std::unique_ptr<LlamaModel>(
        new LlamaModel(std::move(config), std::move(weights), n_threads));
}

KvCacheConfig LlamaModel::kv_config(DType dtype, int64_t n_blocks, int block_size) const {
    KvCacheConfig c;
    c.n_layers = config_.n_layers;
    c.n_kv_heads = config_.n_kv_heads;
    c.head_dim = config_.head_dim;
    c.dtype = dtype;
    c.block_size = block_size;
    c.n_blocks = n_blocks;
    return c;
}

size_t LlamaModel::scratch_bytes(int64_t n, int64_t n_out) const {
    const int64_t C = config_.dim, F = config_.hidden_dim;
    const int64_t QD = config_.q_dim(), KD = config_.kv_dim();
    // x, xn, tmp (C); q, att (QD); k, v (KD); packed qkv; gate, up (F); final rows (C).
    const int64_t floats = n * (3 * C + 2 * QD + 2 * KD + 2 * F) +
                           (config_.packed_wqkv ? n * (QD + 2 * KD) : 0) + n_out * C;
    return static_cast<size_t>(floats) * sizeof(float) + 16 * tensor::kAlignment;
}

Status LlamaModel::forward(const Batch& batch, KvCache& kv, float* out, bool log_probs) {
    const int64_t N = batch.size();
    if (N == 0) return Status();
    if (batch.pos.size() != batch.tokens.size() || batch.seq.size() != batch.tokens.size() ||
        batch.want_logits.size() != batch.tokens.size()) {
        return Status::invalid_argument("batch arrays differ in length");
    }
    for (int64_t i = 0; i < N; ++i) {
        const int32_t t = batch.tokens[i], p = batch.pos[i], s = batch.seq[i];
        if (t < 0 || t >= config_.vocab_size) {
            return Status::invalid_argument(
                fmt::format("batch token {}: id {} is outside the vocabulary [0, {})", i, t,
                            config_.vocab_size));
        }
        if (!kv.has_sequence(s)) {
            return Status::invalid_argument(
                fmt::format("batch token {}: sequence {} is not in the KV cache", i, s));
        }
        if (p < 0 || p >= kv.length(s)) {
            return Status::invalid_argument(fmt::format(
                "batch token {}: position {} is outside sequence {}'s reserved length {}", i, p, s,
                kv.length(s)));
        }
    }
    const int64_t n_out = batch.n_outputs();
    const int64_t C = config_.dim, V = config_.vocab_size;

    const int64_t F = config_.hidden_dim, QD = config_.q_dim(), KD = config_.kv_dim();
    arena_.reserve(scratch_bytes(N, n_out));
    arena_.reset();
    float* x = arena_.alloc<float>(N * C);  // (N, C) the residual stream
    s_.xn = arena_.alloc<float>(N * C);     // (N, C)
    s_.tmp = arena_.alloc<float>(N * C);    // (N, C)
    s_.q = arena_.alloc<float>(N * QD);     // (N, H, D)
    s_.att = arena_.alloc<float>(N * QD);   // (N, H*D)
    s_.k = arena_.alloc<float>(N * KD);     // (N, Hkv, D)
    s_.v = arena_.alloc<float>(N * KD);     // (N, Hkv, D)
    s_.g = arena_.alloc<float>(N * F);      // (N, F)
    s_.u = arena_.alloc<float>(N * F);      // (N, F)
    s_.qkv = config_.packed_wqkv ? arena_.alloc<float>(N * (QD + 2 * KD)) : nullptr;
    kernels::embedding_forward(x, batch.tokens.data(), N, weights_.tok_embeddings);
    for (int l = 0; l < config_.n_layers; ++l) {
        attention_block(l, batch, kv, x, N);
        ffn_block(l, x, N);
    }
    if (n_out == 0) return Status();
    float* xo = arena_.alloc<float>(n_out * C);  // (n_out, C)
    for (int64_t i = 0, j = 0; i < N; ++i) {
        if (batch.want_logits[i]) std::memcpy(xo + (j++) * C, x + i * C, C * sizeof(float));
    }
    kernels::rmsnorm_forward(xo, xo, weights_.norm.data_as<float>(), n_out, C, config_.rms_eps);
    kernels::matmul_forward(out, xo, weights_.output, nullptr, n_out, team_.get());  // (n_out, V)
    if (log_probs) kernels::log_softmax_forward(out, out, n_out, V);
    return Status();
}

void LlamaModel::attention_block(int layer, const Batch& batch, KvCache& kv, float* x, int64_t N) {
    const LlamaLayerWeights& w = weights_.layers[layer];
    const int64_t C = config_.dim, QD = config_.q_dim(), KD = config_.kv_dim();
    const int H = config_.n_heads, Hkv = config_.n_kv_heads, D = config_.head_dim;
    base::WorkerTeam* team = team_.get();

    float *xn = s_.xn, *q = s_.q, *k = s_.k, *v = s_.v;
    kernels::rmsnorm_forward(xn, x, w.attn_norm.data_as<float>(), N, C, config_.rms_eps);
    if (config_.packed_wqkv) {
        // InternLM2: rows grouped per kv head g as [n_rep query heads, key, value].
        float* qkv = s_.qkv;  // (N, Hkv, n_rep + 2, D)
        kernels::matmul_forward(qkv, xn, w.wqkv, nullptr, N, team);
        const int n_rep = H / Hkv;
        for (int64_t i = 0; i < N; ++i) {
            const float* src = qkv + i * (QD + 2 * KD);
            for (int g = 0; g < Hkv; ++g) {
                const float* grp = src + static_cast<int64_t>(g) * (n_rep + 2) * D;
                std::memcpy(q + i * QD + static_cast<int64_t>(g) * n_rep * D, grp,
                            sizeof(float) * n_rep * D);
                std::memcpy(k + i * KD + g * D, grp + n_rep * D, sizeof(float) * D);
                std::memcpy(v + i * KD + g * D, grp + (n_rep + 1) * D, sizeof(float) * D);
            }
        }
    } else {
        const float* bq = w.bq.defined() ? w.bq.data_as<float>() : nullptr;
        const float* bk = w.bk.defined() ? w.bk.data_as<float>() : nullptr;
        const float* bv = w.bv.defined() ? w.bv.data_as<float>() : nullptr;
        kernels::matmul_forward(q, xn, w.wq, bq, N, team);
        kernels::matmul_forward(k, xn, w.wk, bk, N, team);
        kernels::matmul_forward(v, xn, w.wv, bv, N, team);
        if (lora_) {
            lora_side(layer, kLoraQ, q, xn, N);
            lora_side(layer, kLoraK, k, xn, N);
            lora_side(layer, kLoraV, v, xn, N);
        }
    }
    kernels::rope_forward(q, batch.pos.data(), inv_freq_.data(), N, H, D, config_.rope_style);
    kernels::rope_forward(k, batch.pos.data(), inv_freq_.data(), N, Hkv, D, config_.rope_style);

    // Every key and value of the batch goes into the cache before any query reads it, so a
    // prompt chunk attends to itself.
    for (int64_t i = 0; i < N; ++i) {
        kv.store(layer, batch.seq[i], batch.pos[i], k + i * KD, v + i * KD);
    }
    kv_views_.resize(N);
    for (int64_t i = 0; i < N; ++i) {
        const int p = batch.pos[i];
        const int begin =
            config_.sliding_window > 0 ? std::max(0, p - config_.sliding_window + 1) : 0;
        kv_views_[i] = kv.blocks(layer, batch.seq[i], begin, p + 1);
    }
    float* att = s_.att;  // (N, H*D)
    kernels::attention_forward(att, q, kv_views_.data(), N, H, Hkv, D,
                               1.0f / std::sqrt(static_cast<float>(D)), team);
    kernels::matmul_forward(s_.tmp, att, w.wo, nullptr, N, team);  // (N, C)
    if (lora_) lora_side(layer, kLoraO, s_.tmp, att, N);
    kernels::add_forward(x, x, s_.tmp, N * C);
}

void LlamaModel::ffn_block(int layer, float* x, int64_t N) {
    const LlamaLayerWeights& w = weights_.layers[layer];
    const int64_t C = config_.dim, F = config_.hidden_dim;
    base::WorkerTeam* team = team_.get();
    float *xn = s_.xn, *g = s_.g, *u = s_.u;
    kernels::rmsnorm_forward(xn, x, w.ffn_norm.data_as<float>(), N, C, config_.rms_eps);
    kernels::matmul_forward(g, xn, w.w_gate, nullptr, N, team);
    kernels::matmul_forward(u, xn, w.w_up, nullptr, N, team);
    if (lora_) {
        lora_side(layer, kLoraGate, g, xn, N);
        lora_side(layer, kLoraUp, u, xn, N);
    }
    kernels::swiglu_forward(g, g, u, N * F);
    kernels::matmul_forward(s_.tmp, g, w.w_down, nullptr, N, team);  // (N, C)
    if (lora_) lora_side(layer, kLoraDown, s_.tmp, g, N);
    kernels::add_forward(x, x, s_.tmp, N * C);
}

Status LlamaModel::set_lora(std::shared_ptr<const LoraAdapter> adapter) {
    if (!adapter) {
        lora_.reset();
        return Status();
    }
    JENNY_RETURN_IF_ERROR(check_lora_adapter(*adapter, config_));
    if (config_.rope_style == kernels::RopeStyle::kHalf) {
        lora_ = std::move(adapter);
    } else {
        lora_ = std::make_shared<const LoraAdapter>(lora_for_rope_style(*adapter, config_));
    }
    return Status();
}

void LlamaModel::lora_side(int layer, int target, float* y, const float* x, int64_t N) {
    if (layer >= static_cast<int>(lora_->a.size())) return;
    const Tensor& A = lora_->a[layer][target];
    if (!A.defined()) return;
    const Tensor& B = lora_->b[layer][target];
    const size_t need = static_cast<size_t>(N * (A.rows() + B.rows()));
    if (lora_scratch_.size() < need) lora_scratch_.resize(need);
    lora_apply(y, x, A, B, lora_->config.scale(), N, lora_scratch_.data(), team_.get());
}

}  // namespace jenny::model
