#include "jenny/kernels/activation.h"

#include <cmath>

namespace jenny::kernels::reference {

void swiglu_forward(float* out, const float* gate, const float* up, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        const double g = gate[i];
        out[i] = static_cast<float>(g / (1.0 + std::exp(-g)) * up[i]);
    }
}

void add_forward(float* out, const float* a, const float* b, int64_t n) {
    for (int64_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
}

void swiglu_backward(float* dgate, float* dup, const float* dout, const float* gate,
                     const float* up, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        const double g = gate[i], u = up[i], d = dout[i];
        const double s = 1.0 / (1.0 + std::exp(-g));
        dgate[i] = static_cast<float>(d * u * s * (1.0 + g * (1.0 - s)));
        dup[i] = static_cast<float>(d * g * s);
    }
}

void add_backward(float* da, float* db, const float* dout, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        if (da) da[i] = dout[i];
        if (db) db[i] = dout[i];
    }
}

}  // namespace jenny::kernels::reference
