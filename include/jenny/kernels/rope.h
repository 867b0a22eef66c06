// Rotary position embeddings. Two pairings exist in the wild and both are needed:
//   kInterleaved — dimensions (2i, 2i+1) rotate together: llama2.c, and GGUF "llama" models
//                  (whose q/k weights llama.cpp's converter permuted into this order);
//   kHalf        — dimensions (i, i + D/2) rotate together: Hugging Face rotate_half, and
//                  GGUF "qwen2" (llama.cpp's NEOX mode).
// Frequency i (0 <= i < D/2) is inv_freq[i]; rope_inv_freq() computes them as transformers
// does for rope_type default / linear / llama3.
#pragma once

#include <cstdint>
#include <vector>

namespace jenny::kernels {

enum class RopeStyle { kInterleaved, kHalf };

struct RopeScaling {
    enum class Kind { kNone, kLinear, kLlama3 } kind = Kind::kNone;
    float factor = 1.0f;               // linear and llama3
    float low_freq_factor = 1.0f;      // llama3
    float high_freq_factor = 4.0f;     // llama3
    int original_max_position = 8192;  // llama3
};

// (D/2) inverse frequencies: 1 / theta^(2i/D), then scaled (linear: divided by factor;
// llama3: transformers' _compute_llama3_parameters), computed in f32 as transformers does.
std::vector<float> rope_inv_freq(int D, double theta, const RopeScaling& scaling);

// Rotates x in place: x (N, H, D) where token n is at position pos[n]. Angles are
// pos * inv_freq[i] in f32 with cos/sin in f32 (as transformers does).
void rope_forward(float* x, const int32_t* pos, const float* inv_freq, int64_t N, int H, int D,
                  RopeStyle style);

// Backward: the rotation is orthogonal, so the gradient of the input is dout rotated by the
// opposite angles; done in place on dx (N, H, D) (holding dout on entry).
void rope_backward(float* dx, const int32_t* pos, const float* inv_freq, int64_t N, int H, int D,
                   RopeStyle style);

namespace reference {
void rope_forward(float* x, const int32_t* pos, const float* inv_freq, int64_t N, int H, int D,
                  RopeStyle style);
void rope_backward(float* dx, const int32_t* pos, const float* inv_freq, int64_t N, int H, int D,
                   RopeStyle style);
}  // namespace reference

}  // namespace jenny::kernels
