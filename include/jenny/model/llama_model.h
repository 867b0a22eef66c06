// LlamaModel: the forward pass of a LLaMA-family transformer over a Batch and a paged KvCache.
//
//   JENNY_ASSIGN_OR_RETURN(auto m, load_model("SmolLM2.gguf"));       // model_loader.h
//   KvCache& kv = ...; kv.add_sequence(0); kv.append(0, prompt.size());
//   Batch b; b.add_sequence(prompt, 0, 0);
//   std::vector<float> logits(b.n_outputs() * V);
//   JENNY_RETURN_IF_ERROR(m->model().forward(b, kv, logits.data()));
//
// forward() computes, for every token of the batch, its keys and values (stored into the
// cache at (seq, pos)) and its hidden state; the outputs rows (n_outputs, V), in batch order
// of the tokens with want_logits, are logits, or log-probabilities when `log_probs`. Every
// (seq, pos) in the batch must already be inside the sequence's reserved length
// (KvCache::append); a token attends to its sequence's positions [0, pos] (or the sliding
// window), so earlier positions must have been computed by this or an earlier call.
//
// Computation is in f32 from weights of any dtype. Scratch comes from an arena that grows to
// the largest batch seen and is then reused: no allocation per token. forward() is not
// thread-safe (one caller at a time); it uses the model's WorkerTeam internally.
#pragma once

#include <memory>
#include <vector>

#include "jenny/base/result.h"
#include "jenny/base/worker_team.h"
#include "jenny/model/batch.h"
#include "jenny/model/kv_cache.h"
#include "jenny/model/llama_config.h"
#include "jenny/model/llama_weights.h"
#include "jenny/model/lora_adapter.h"
#include "jenny/tensor/arena.h"

namespace jenny::model {

class LlamaModel {
public:
    // Checks every tensor's shape against the config (errors name the tensor, the expected
    // and the actual shape). n_threads <= 0: the default thread count.
    static base::Result<std::unique_ptr<LlamaModel>> create(LlamaConfig config,
                                                            LlamaWeights weights,
                                                            int n_threads = 0);

    const LlamaConfig& config() const { return config_; }
    const LlamaWeights& weights() const { return weights_; }
    base::WorkerTeam& team() { return *team_; }

    // See the file comment. kv must have been created for this model (layers, heads, dims).
    // Errors: kInvalidArgument for a token id outside the vocabulary, a position outside the
    // sequence's reserved length or beyond max positions, an unknown sequence.
    base::Status forward(const Batch& batch, KvCache& kv, float* out, bool log_probs = false);

    // A LoRA adapter applied at run time as a low-rank side path on each adapted projection
    // (y = W x + scale · B A x; the base weights are not changed, so adapters can be swapped
    // between calls). nullptr removes it. Errors: the adapter's shapes do not fit this model.
    base::Status set_lora(std::shared_ptr<const LoraAdapter> adapter);
    const LoraAdapter* lora() const { return lora_.get(); }

    // The KV cache geometry for this model.
    KvCacheConfig kv_config(tensor::DType dtype, int64_t n_blocks, int block_size = 16) const;
    // Scratch bytes forward() needs for a batch of n tokens with n_out outputs.
    size_t scratch_bytes(int64_t n, int64_t n_out) const;

private:
    LlamaModel(LlamaConfig config, LlamaWeights weights, int n_threads);
    void attention_block(int layer, const Batch& batch, KvCache& kv, float* x, int64_t N);
    void ffn_block(int layer, float* x, int64_t N);
    // y (N, out) += the adapter's side path for (layer, target) on x, when it has one.
    void lora_side(int layer, int target, float* y, const float* x, int64_t N);

    LlamaConfig config_;
    LlamaWeights weights_;
    std::vector<float> inv_freq_;  // (D/2)
    std::unique_ptr<base::WorkerTeam> team_;
    tensor::Arena arena_;
    std::vector<kernels::KvBlocks> kv_views_;  // (N) per layer call
    std::shared_ptr<const LoraAdapter> lora_;   // in this model's q/k row order
    std::vector<float> lora_scratch_;           // N · (r + out), grown on demand
    struct Scratch {
        float *xn, *tmp, *q, *att, *k, *v, *g, *u, *qkv;
    } s_{};  // carved from arena_ once per forward()
};

}  // namespace jenny::model
