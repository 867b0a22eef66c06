// TrainModel: a LLaMA-family transformer with trainable f32 parameters — forward and backward
// over B sequences of T tokens (a packed training batch), the loss by the fused, chunked
// LM head + cross-entropy (kernels/cross_entropy.h), gradients added into one flat buffer.
//
//   JENNY_ASSIGN_OR_RETURN(auto tm, TrainModel::create(config, {.n_threads = 2}));
//   tm->init_random(seed);                      // or tm->load_weights(loaded.model->weights())
//   tm->zero_grads();
//   auto ce = tm->forward_backward(inputs, targets, B, T, 1.0f / n_targets_global);
//   adamw.step(tm->params(), tm->grads(), lr, &tm->team());
//
// Parameters live in one flat buffer in Hugging Face order and names (params_info()), so the
// optimiser, gradient clipping and checkpoints see one array. Dimension letters: B batch,
// T time, N = B·T tokens, C channels, F ffn hidden, H / Hkv heads, D head dim, V vocab.
// Activations for backward are kept per layer, or with `recompute` only each layer's input
// is kept and the layer's forward runs again during backward (less memory, ~1/3 more work).
// Not thread-safe: one caller at a time; kernels run on the model's WorkerTeam.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "jenny/base/result.h"
#include "jenny/base/worker_team.h"
#include "jenny/kernels/cross_entropy.h"
#include "jenny/model/llama_config.h"
#include "jenny/model/llama_weights.h"
#include "jenny/model/lora_adapter.h"
#include "jenny/train/lora.h"

namespace jenny::train {

struct ParamInfo {
    std::string name;            // HF name, e.g. "model.layers.0.self_attn.q_proj.weight"
    std::vector<int64_t> shape;  // PyTorch order (out, in)
    int64_t offset = 0;          // into params() / grads()
    int64_t size = 0;
    bool is_embedding = false;   // token embeddings (and the head when tied)
    bool is_norm_or_bias = false;
};

struct TrainModelOptions {
    int n_threads = 0;          // <= 0: default
    bool recompute = false;     // recompute each layer's activations during backward
    // Rows of logits alive at once in the fused LM head + CE; 0: as many as fit 256 MiB of
    // logits, clamped to [256, 1024] (fewer rows per sgemm re-pack the head more often).
    int64_t ce_chunk_tokens = 0;
    LoraOptions lora = {};  // rank > 0: train LoRA adapters on the frozen base (train/lora.h)
};

struct TrainLora;  // LoRA state (src/train/lora_train.h)

class TrainModel {
public:
    // kInvalidArgument for a config that does not validate. InternLM2's packed wqkv is
    // trained as separate q/k/v (config().packed_wqkv is false; load_weights unpacks, and
    // model::save_hf packs again for an InternLM2 config). A sliding_window is accepted;
    // forward requires T <= sliding_window (where full causal attention is the same).
    static base::Result<std::unique_ptr<TrainModel>> create(const model::LlamaConfig& config,
                                                            const TrainModelOptions& options = {});
    ~TrainModel();

    const model::LlamaConfig& config() const { return config_; }
    // The trainable parameters: the whole model, or with LoRA the adapters only.
    const std::vector<ParamInfo>& params_info() const;
    const ParamInfo* find_param(const std::string& name) const;
    int64_t n_params() const;
    float* params();
    const float* params() const;
    float* grads();
    const float* grads() const;
    base::WorkerTeam& team() { return *team_; }

    // Weights ~ N(0, std²) (HF's default init), norms 1, biases 0; deterministic in seed.
    void init_random(uint64_t seed, double std = 0.02);
    // Copies (widening / dequantising) every weight of `w`, which must match config(). Weights
    // in the interleaved RoPE order (GGUF "llama", llama2.c) are re-ordered to Hugging Face's
    // rotate_half order and config().rope_style becomes kHalf (the same function).
    // Errors name the tensor and both shapes.
    base::Status load_weights(const model::LlamaWeights& w);
    // LoRA (options.lora.rank > 0; train_model_lora.cpp). PEFT's init from seed: A
    // kaiming-uniform (a = √5: U(±1/√in)), B zeros.
    bool is_lora() const { return lora_ != nullptr; }
    void init_lora(uint64_t seed);
    // Dropout's key for the next forward_backward (deterministic in seed, step, micro-batch,
    // so a resumed run draws the same masks); forward_loss / forward_logits never drop.
    void set_step(int64_t step, int micro_batch);
    // Views of the adapters (valid while *this) with their config, for save_lora_adapter.
    model::LoraAdapter lora_adapter() const;
    // Trainable adapter parameters and frozen base bytes (at lora.base_dtype) of a config.
    static int64_t count_lora_params(const model::LlamaConfig& c, const LoraOptions& lora);
    static double frozen_base_bytes(const model::LlamaConfig& c, const LoraOptions& lora);

    // f32 views of params() in LlamaWeights form (tied: output is tok_embeddings), for
    // LlamaModel::create (generation, evaluation) and the model writers. Valid while *this.
    model::LlamaWeights weights_view() const;

    void zero_grads();
    // One micro-batch: inputs, targets (B, T); targets < 0 are not loss targets. grads +=
    // d(grad_scale · Σ CE) / d params. Returns the CE sum and the number of targets.
    // seg_begin (B, T) or nullptr: packed examples (attention reset). Token t of sequence b
    // belongs to the example starting at offset seg_begin[b·T + t] <= t of its sequence; it
    // attends only to that example's tokens and its RoPE position is t − seg_begin, so each
    // example computes what it would alone. nullptr: one sequence of T tokens per row.
    kernels::CrossEntropyStats forward_backward(const int32_t* inputs, const int32_t* targets,
                                                int B, int T, float grad_scale,
                                                const int32_t* seg_begin = nullptr);
    // Called during forward_backward each time grads()[begin, n_params()) hold their final
    // values for this micro-batch; begin only decreases (final norm and head first, then each
    // layer in reverse, the embeddings, 0, last). Data parallelism starts its gradient
    // all-reduces from it (data_parallel.h). Empty: not called.
    void set_grads_ready_hook(std::function<void(int64_t begin)> hook) {
        grads_ready_ = std::move(hook);
    }
    // The loss only (evaluation); grads untouched.
    kernels::CrossEntropyStats forward_loss(const int32_t* inputs, const int32_t* targets, int B,
                                            int T, const int32_t* seg_begin = nullptr);
    // Logits (B·T, V) of every position (tests and small models only: holds N × V floats).
    void forward_logits(const int32_t* inputs, int B, int T, float* logits,
                        const int32_t* seg_begin = nullptr);

    // Bytes of saved activations and backward scratch for a (B, T) micro-batch.
    size_t activation_bytes(int B, int T) const {
        return activation_bytes(config_, options_.recompute, B, T);
    }
    // The same, and the parameter count, from a config alone (before anything is allocated).
    static size_t activation_bytes(const model::LlamaConfig& c, bool recompute, int B, int T);
    static int64_t count_params(const model::LlamaConfig& c);
    // Scratch of the fused LM head + CE (its logits chunk) at the automatic ce_chunk_tokens.
    static size_t ce_scratch_bytes(const model::LlamaConfig& c, int B, int T);
    // FLOPs of one forward+backward token at sequence length T: 6·(matmul params) + the
    // attention score/value products (6·2·L·T·C for the causal half, counted whole as
    // PaLM's MFU formula does: 12·L·T·Hd).
    double flops_per_token(int T) const;

private:
    struct Impl;
    TrainModel(model::LlamaConfig config, const TrainModelOptions& options);
    void forward(const int32_t* inputs, int B, int T, const int32_t* seg_begin);  // saves acts
    void layer_forward(int layer, float* out);              // out (N, C): the next residual
    void layer_backward(int layer);                         // dx: d out -> d x_in
    tensor::Tensor weight(int idx) const;  // f32 view of info_[idx] (or the frozen quantised one)
    const float* param(int idx) const { return idx < 0 ? nullptr : params_.data() + info_[idx].offset; }
    // nullptr for frozen weights (LoRA: the base has no gradients).
    float* grad(int idx) { return idx < 0 || grads_.empty() ? nullptr : grads_.data() + info_[idx].offset; }
    // LoRA hooks (train_model_lora.cpp): y += the adapter of (layer, target) on x; the
    // backward of a projection y = W x (+ b) (+ adapter): dx assigned, W / b / adapter grads.
    int64_t setup_lora(int64_t offset);  // in create(): frozen layout; returns params_ size
    base::Status store_frozen(int idx, const tensor::Tensor& t);  // quantised base weight
    void lora_forward(int layer, int target, float* y, const float* x, int64_t N);
    void linear_backward(int layer, int target, float* dx, const float* dout, const float* x,
                         int w, int b, int64_t N, int64_t K, int64_t M);

    model::LlamaConfig config_;
    TrainModelOptions options_;
    std::vector<ParamInfo> info_;
    std::vector<float> params_, grads_;
    std::unique_ptr<base::WorkerTeam> team_;
    std::unique_ptr<Impl> impl_;
    std::unique_ptr<TrainLora> lora_;  // null: full training
    std::function<void(int64_t)> grads_ready_;
};

}  // namespace jenny::train
