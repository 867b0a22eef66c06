#include "jenny/kernels/softmax.h"

#include <cmath>

namespace jenny::kernels::reference {

namespace {
// max and log(sum(exp(x - max))) of one row, in double.
void row_stats(const float* x, int64_t V, double* max, double* log_sum) {
    double m = x[0];
    for (int64_t v = 1; v < V; ++v) m = x[v] > m ? x[v] : m;
    double s = 0.0;
    for (int64_t v = 0; v < V; ++v) s += std::exp(x[v] - m);
    *max = m;
    *log_sum = std::log(s);
}
}  // namespace

void softmax_forward(float* out, const float* x, int64_t N, int64_t V) {
    for (int64_t n = 0; n < N; ++n) {
        double m, ls;
        row_stats(x + n * V, V, &m, &ls);
        for (int64_t v = 0; v < V; ++v)
            out[n * V + v] = static_cast<float>(std::exp(x[n * V + v] - m - ls));
    }
}

void log_softmax_forward(float* out, const float* x, int64_t N, int64_t V) {
    for (int64_t n = 0; n < N; ++n) {
        double m, ls;
        row_stats(x + n * V, V, &m, &ls);
        for (int64_t v = 0; v < V; ++v) out[n * V + v] = static_cast<float>(x[n * V + v] - m - ls);
    }
}

}  // namespace jenny::kernels::reference
