#include "jenny/kernels/rope.h"

#include <cmath>

namespace jenny::kernels::reference {

namespace {

// The angle is pos * inv_freq rounded to f32, as the header (and transformers) define it; its
// cos/sin and the rotation are in double. sign -1 rotates back (the backward).
void rotate(float* x, const int32_t* pos, const float* inv_freq, int64_t N, int H, int D,
            RopeStyle style, double sign) {
    const int half = D / 2;
    for (int64_t n = 0; n < N; ++n) {
        for (int h = 0; h < H; ++h) {
            float* xh = x + (n * H + h) * D;  // (D)
            for (int i = 0; i < half; ++i) {
                const float angle = static_cast<float>(pos[n]) * inv_freq[i];
                const double c = std::cos(static_cast<double>(angle));
                const double s = sign * std::sin(static_cast<double>(angle));
                const int a = style == RopeStyle::kInterleaved ? 2 * i : i;
                const int b = style == RopeStyle::kInterleaved ? 2 * i + 1 : i + half;
                const double xa = xh[a], xb = xh[b];
                xh[a] = static_cast<float>(xa * c - xb * s);
                xh[b] = static_cast<float>(xb * c + xa * s);
            }
        }
    }
}

}  // namespace

void rope_forward(float* x, const int32_t* pos, const float* inv_freq, int64_t N, int H, int D,
                  RopeStyle style) {
    rotate(x, pos, inv_freq, N, H, D, style, 1.0);
}

void rope_backward(float* dx, const int32_t* pos, const float* inv_freq, int64_t N, int H, int D,
                   RopeStyle style) {
    rotate(dx, pos, inv_freq, N, H, D, style, -1.0);
}

}  // namespace jenny::kernels::reference
