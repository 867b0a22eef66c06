// The oracle for the fused LM head + cross-entropy: the whole (N, V) logits in double, then
// softmax, loss and both gradients in double.
#include "jenny/kernels/cross_entropy.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "jenny/base/check.h"

namespace jenny::kernels::reference {

CrossEntropyStats lm_head_cross_entropy(float* dx, float* dw, const float* x, const float* w,
                                        const int32_t* targets, int64_t N, int64_t C, int64_t V,
                                        float grad_scale) {
    CrossEntropyStats stats;
    std::vector<double> dlogits(static_cast<size_t>(N * V), 0.0);  // (N, V)
    for (int64_t n = 0; n < N; ++n) {
        const int32_t t = targets[n];
        if (t < 0) continue;
        JENNY_CHECK(t < V, "cross-entropy: target {} outside [0, {})", t, V);
        double* row = dlogits.data() + n * V;
        double max = -INFINITY;
        for (int64_t v = 0; v < V; ++v) {
            double acc = 0.0;
            for (int64_t c = 0; c < C; ++c) acc += static_cast<double>(x[n * C + c]) * w[v * C + c];
            row[v] = acc;
            max = std::max(max, acc);
        }
        double sum = 0.0;
        for (int64_t v = 0; v < V; ++v) sum += std::exp(row[v] - max);
        stats.loss_sum += std::log(sum) + max - row[t];
        ++stats.n_targets;
        for (int64_t v = 0; v < V; ++v) row[v] = grad_scale * std::exp(row[v] - max) / sum;
        row[t] -= grad_scale;
    }
    if (dx) {
        for (int64_t n = 0; n < N; ++n) {
            for (int64_t c = 0; c < C; ++c) {
                double acc = 0.0;
                for (int64_t v = 0; v < V; ++v) acc += dlogits[n * V + v] * w[v * C + c];
                dx[n * C + c] = static_cast<float>(acc);
            }
        }
    }
    if (dw) {
        for (int64_t v = 0; v < V; ++v) {
            for (int64_t c = 0; c < C; ++c) {
                double acc = 0.0;
                for (int64_t n = 0; n < N; ++n) acc += dlogits[n * V + v] * x[n * C + c];
                dw[v * C + c] = static_cast<float>(dw[v * C + c] + acc);
            }
        }
    }
    return stats;
}

}  // namespace jenny::kernels::reference
