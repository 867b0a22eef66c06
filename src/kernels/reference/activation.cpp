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

}  // namespace jenny::kernels::reference
