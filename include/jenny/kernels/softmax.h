// Softmax and log-softmax over the last dimension (max-subtracted, sums in f32; reference::
// in double).
#pragma once

#include <cstdint>

namespace jenny::kernels {

// out, x: (N, V); out may alias x.
void softmax_forward(float* out, const float* x, int64_t N, int64_t V);
void log_softmax_forward(float* out, const float* x, int64_t N, int64_t V);

namespace reference {
void softmax_forward(float* out, const float* x, int64_t N, int64_t V);
void log_softmax_forward(float* out, const float* x, int64_t N, int64_t V);
}  // namespace reference

}  // namespace jenny::kernels
