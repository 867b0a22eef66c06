// Fused AdamW over one flat f32 parameter buffer (the master weights), and global-norm
// gradient clipping. One pass reads params, grads, m and v once per step, split over a
// WorkerTeam. The arithmetic follows torch.optim.AdamW (foreach=False) in f32, so jenny's
// trajectory matches PyTorch's to rounding:
//   p *= 1 - lr * wd;  m += (1 - b1) (g - m);  v = b2 v + (1 - b2) g²
//   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// Weight decay applies per range (AdamWGroup): no decay on norms and embeddings by default.
#pragma once

#include <cstdint>
#include <vector>

#include "jenny/base/status.h"
#include "jenny/base/worker_team.h"

namespace jenny::train {

struct AdamWConfig {
    double beta1 = 0.9;
    double beta2 = 0.95;
    double eps = 1e-8;
    double weight_decay = 0.1;
    double grad_clip = 1.0;         // max global L2 norm; <= 0: no clipping
    bool decay_embeddings = false;  // also decay the token embeddings (and a tied head)
    bool decay_norms = false;       // also decay RMSNorm weights and biases

    template <class V>
    void visit(V& v) {
        v.field("beta1", beta1, "AdamW first-moment decay");
        v.field("beta2", beta2, "AdamW second-moment decay");
        v.field("eps", eps, "AdamW epsilon");
        v.field("weight_decay", weight_decay, "decoupled weight decay of 2-D weights");
        v.field("grad_clip", grad_clip, "clip the global gradient L2 norm to this (0: off)");
        v.field("decay_embeddings", decay_embeddings, "apply weight decay to embeddings too");
        v.field("decay_norms", decay_norms, "apply weight decay to norms and biases too");
    }
    base::Status validate() const;  // kInvalidArgument naming the field
};

// A contiguous range of the flat buffer and whether weight decay applies to it.
struct AdamWGroup {
    int64_t offset = 0;
    int64_t size = 0;
    bool decay = true;
};

class AdamW {
public:
    // groups must tile [0, n_params) without overlap (JENNY_CHECK).
    AdamW(AdamWConfig config, int64_t n_params, std::vector<AdamWGroup> groups);

    // One update with learning rate `lr`; increments step_count(). grads are read only.
    void step(float* params, const float* grads, double lr, base::WorkerTeam* team);

    // Optimiser state, for checkpoints: m, v (n_params each) and the step count.
    float* m() { return m_.data(); }
    float* v() { return v_.data(); }
    const float* m() const { return m_.data(); }
    const float* v() const { return v_.data(); }
    int64_t n_params() const { return static_cast<int64_t>(m_.size()); }
    int64_t step_count() const { return step_; }
    void set_step_count(int64_t t) { step_ = t; }
    const AdamWConfig& config() const { return config_; }

private:
    AdamWConfig config_;
    std::vector<AdamWGroup> groups_;
    std::vector<float> m_, v_;
    int64_t step_ = 0;
};

// The L2 norm of g (n), accumulated in double per thread chunk (deterministic for a given
// team size and n).
double grad_global_norm(const float* g, int64_t n, base::WorkerTeam* team);
// torch.nn.utils.clip_grad_norm_: scales g by min(1, max_norm / (norm + 1e-6)) and returns
// the factor used. max_norm <= 0 leaves g alone and returns 1.
float clip_grad_norm(float* g, int64_t n, double norm, double max_norm, base::WorkerTeam* team);
// True when every value is finite.
bool all_finite(const float* g, int64_t n, base::WorkerTeam* team);

}  // namespace jenny::train
