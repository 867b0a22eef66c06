#include "jenny/train/adamw.h"

#include <cmath>
#include <string>

#include "jenny/base/check.h"

namespace jenny::train {

base::Status AdamWConfig::validate() const {
    auto bad = [](const std::string& m) { return base::Status::invalid_argument("optim." + m); };
    if (!(beta1 >= 0 && beta1 < 1)) return bad("beta1: must be in [0, 1)");
    if (!(beta2 >= 0 && beta2 < 1)) return bad("beta2: must be in [0, 1)");
    if (!(eps > 0)) return bad("eps: must be > 0");
    if (!(weight_decay >= 0)) return bad("weight_decay: must be >= 0");
    if (!(grad_clip >= 0)) return bad("grad_clip: must be >= 0 (0 turns clipping off)");
    return base::Status::ok_status();
}

AdamW::AdamW(AdamWConfig config, int64_t n_params, std::vector<AdamWGroup> groups)
    : config_(config), groups_(std::move(groups)), m_(n_params, 0.0f), v_(n_params, 0.0f) {
    int64_t next = 0;
    for (const AdamWGroup& g : groups_) {
        JENNY_CHECK(g.offset == next && g.size >= 0, "AdamW groups must tile the buffer");
        next += g.size;
    }
    JENNY_CHECK(next == n_params, "AdamW groups must cover every parameter");
}

void AdamW::step(float* params, const float* grads, double lr, base::WorkerTeam* team) {
    ++step_;
    // Scalars in f32 as torch computes them per tensor (step_size and the bias correction
    // are Python floats, i.e. doubles, rounded when they meet f32 tensors).
    const double bc1 = 1.0 - std::pow(config_.beta1, static_cast<double>(step_));
    const double bc2 = 1.0 - std::pow(config_.beta2, static_cast<double>(step_));
    const float step_size = static_cast<float>(lr / bc1);
    const float bc2_sqrt = static_cast<float>(std::sqrt(bc2));
    const float b1w = static_cast<float>(1.0 - config_.beta1);
    const float b2 = static_cast<float>(config_.beta2);
    const float b2w = static_cast<float>(1.0 - config_.beta2);
    const float eps = static_cast<float>(config_.eps);
    for (const AdamWGroup& g : groups_) {
        const float decay = g.decay ? static_cast<float>(1.0 - lr * config_.weight_decay) : 1.0f;
        float* p = params + g.offset;
        const float* gr = grads + g.offset;
        float* m = m_.data() + g.offset;
        float* v = v_.data() + g.offset;
        auto body = [&](int64_t b, int64_t e) {
            for (int64_t i = b; i < e; ++i) {
                const float gi = gr[i];
                float pi = p[i] * decay;
                const float mi = m[i] + b1w * (gi - m[i]);
                const float vi = v[i] * b2 + b2w * gi * gi;  // torch addcmul: (w * g) * g
                const float denom = std::sqrt(vi) / bc2_sqrt + eps;
                pi += -step_size * mi / denom;  // torch addcdiv: (value * m) / denom
                m[i] = mi;
                v[i] = vi;
                p[i] = pi;
            }
        };
        if (team != nullptr) {
            team->parallel_for(g.size, body, 4096);
        } else {
            body(0, g.size);
        }
    }
}

double grad_global_norm(const float* g, int64_t n, base::WorkerTeam* team) {
    const int T = team != nullptr ? team->size() : 1;
    std::vector<double> partial(T, 0.0);
    auto body = [&](int t, int nt) {
        const int64_t b = n * t / nt, e = n * (t + 1) / nt;
        double s = 0;
        for (int64_t i = b; i < e; ++i) s += static_cast<double>(g[i]) * g[i];
        partial[t] = s;
    };
    if (team != nullptr) {
        team->run(body);
    } else {
        body(0, 1);
    }
    double s = 0;
    for (double p : partial) s += p;
    return std::sqrt(s);
}

float clip_grad_norm(float* g, int64_t n, double norm, double max_norm, base::WorkerTeam* team) {
    if (max_norm <= 0) return 1.0f;
    const float coef = static_cast<float>(max_norm / (norm + 1e-6));
    if (coef >= 1.0f) return 1.0f;
    auto body = [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) g[i] *= coef;
    };
    if (team != nullptr) {
        team->parallel_for(n, body, 4096);
    } else {
        body(0, n);
    }
    return coef;
}

bool all_finite(const float* g, int64_t n, base::WorkerTeam* team) {
    const int T = team != nullptr ? team->size() : 1;
    std::vector<char> ok(T, 1);
    auto body = [&](int t, int nt) {
        const int64_t b = n * t / nt, e = n * (t + 1) / nt;
        bool fine = true;
        for (int64_t i = b; i < e; ++i) fine &= std::isfinite(g[i]);
        ok[t] = fine;
    };
    if (team != nullptr) {
        team->run(body);
    } else {
        body(0, 1);
    }
    for (char c : ok)
        if (!c) return false;
    return true;
}

}  // namespace jenny::train
