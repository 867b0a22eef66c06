// Element-wise ops of the LLaMA block: SwiGLU (silu(gate) * up) and the residual add.
#pragma once

#include <cstdint>

namespace jenny::kernels {

// out[i] = gate[i] * sigmoid(gate[i]) * up[i]; out may alias gate or up.
void swiglu_forward(float* out, const float* gate, const float* up, int64_t n);
// out[i] = a[i] + b[i]; out may alias a or b.
void add_forward(float* out, const float* a, const float* b, int64_t n);

// Backward (activation gradients are assigned): dgate = dout * up * silu'(gate),
// dup = dout * silu(gate). dgate/dup may alias gate/up respectively (not dout).
void swiglu_backward(float* dgate, float* dup, const float* dout, const float* gate,
                     const float* up, int64_t n);
// Backward of add: da = dout, db = dout (either may be nullptr).
void add_backward(float* da, float* db, const float* dout, int64_t n);

namespace reference {
void swiglu_forward(float* out, const float* gate, const float* up, int64_t n);
void add_forward(float* out, const float* a, const float* b, int64_t n);
void swiglu_backward(float* dgate, float* dup, const float* dout, const float* gate,
                     const float* up, int64_t n);
void add_backward(float* da, float* db, const float* dout, int64_t n);
}  // namespace reference

}  // namespace jenny::kernels
