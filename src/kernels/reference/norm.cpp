#include "jenny/kernels/norm.h"

#include <cmath>

namespace jenny::kernels::reference {

void rmsnorm_forward(float* out, const float* x, const float* weight, int64_t N, int64_t C,
                     float eps) {
    for (int64_t n = 0; n < N; ++n) {
        const float* xn = x + n * C;
        double ss = 0.0;
        for (int64_t c = 0; c < C; ++c) ss += static_cast<double>(xn[c]) * xn[c];
        const double scale = 1.0 / std::sqrt(ss / static_cast<double>(C) + eps);
        float* on = out + n * C;
        for (int64_t c = 0; c < C; ++c) on[c] = static_cast<float>(xn[c] * scale * weight[c]);
    }
}

void rmsnorm_backward(float* dx, float* dweight, const float* dout, const float* x,
                      const float* weight, int64_t N, int64_t C, float eps) {
    for (int64_t n = 0; n < N; ++n) {
        const float* xn = x + n * C;
        const float* gn = dout + n * C;
        double ss = 0.0, ux = 0.0;
        for (int64_t c = 0; c < C; ++c) {
            ss += static_cast<double>(xn[c]) * xn[c];
            ux += static_cast<double>(gn[c]) * weight[c] * xn[c];
        }
        const double r = 1.0 / std::sqrt(ss / static_cast<double>(C) + eps);
        const double k = r * r * r * ux / static_cast<double>(C);
        for (int64_t c = 0; c < C; ++c) {
            const double g = gn[c];
            if (dweight) dweight[c] = static_cast<float>(dweight[c] + r * g * xn[c]);
            dx[n * C + c] = static_cast<float>(r * g * weight[c] - k * xn[c]);
        }
    }
}

}  // namespace jenny::kernels::reference
