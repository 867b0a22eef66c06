// RMSNorm: out = x / sqrt(mean(x²) + eps) * weight, row by row (LLaMA's norm; the sum of
// squares is summed in f32 as llama.cpp does; reference:: sums in double).
#pragma once

#include <cstdint>

namespace jenny::kernels {

// out, x: (N, C); weight: (C). out may alias x.
void rmsnorm_forward(float* out, const float* x, const float* weight, int64_t N, int64_t C,
                     float eps);

// Backward: dx (N, C) = d out / d x (assigned; may alias dout); dweight (C) += ... (nullptr:
// a frozen weight, not wanted);
// x is the forward input; dout (N, C).
void rmsnorm_backward(float* dx, float* dweight, const float* dout, const float* x,
                      const float* weight, int64_t N, int64_t C, float eps);

namespace reference {
void rmsnorm_forward(float* out, const float* x, const float* weight, int64_t N, int64_t C,
                     float eps);
void rmsnorm_backward(float* dx, float* dweight, const float* dout, const float* x,
                      const float* weight, int64_t N, int64_t C, float eps);
}  // namespace reference

}  // namespace jenny::kernels
