#include "jenny/kernels/rope.h"

#include <cmath>
#include <numbers>

#include "jenny/base/check.h"

namespace jenny::kernels {

// Mirrors transformers' modeling_rope_utils step by step in float32: torch evaluates these
// tensor expressions in the tensor's dtype, with Python scalars rounded to float32 first.
// Every operation is its own statement so the compiler cannot contract a multiply and an add
// into an FMA that torch does not do.
std::vector<float> rope_inv_freq(int D, double theta, const RopeScaling& scaling) {
    JENNY_CHECK(D > 0 && D % 2 == 0, "rope_inv_freq: head dim {} must be even", D);
    const int half = D / 2;
    const float base = static_cast<float>(theta);
    std::vector<float> inv_freq(static_cast<size_t>(half));
    for (int i = 0; i < half; ++i) {
        const float exponent = static_cast<float>(2 * i) / static_cast<float>(D);
        const volatile float power = std::pow(base, exponent);
        inv_freq[static_cast<size_t>(i)] = 1.0f / power;
    }
    if (scaling.kind == RopeScaling::Kind::kLinear) {
        for (float& f : inv_freq) f /= scaling.factor;
    } else if (scaling.kind == RopeScaling::Kind::kLlama3) {
        const double old_context = scaling.original_max_position;
        const float low_wavelen = static_cast<float>(old_context / scaling.low_freq_factor);
        const float high_wavelen = static_cast<float>(old_context / scaling.high_freq_factor);
        const float two_pi = static_cast<float>(2.0 * std::numbers::pi);
        const float factor = scaling.factor;
        const float low = scaling.low_freq_factor;
        const float span = static_cast<float>(static_cast<double>(scaling.high_freq_factor) -
                                              static_cast<double>(scaling.low_freq_factor));
        const float old_context_f = static_cast<float>(old_context);
        for (float& f : inv_freq) {
            const float wavelen = two_pi / f;
            const float llama = wavelen > low_wavelen ? f / factor : f;
            const bool medium = !(wavelen < high_wavelen) && !(wavelen > low_wavelen);
            if (medium) {
                const volatile float ratio = old_context_f / wavelen;
                const volatile float smooth = (ratio - low) / span;
                const volatile float one_minus = 1.0f - smooth;
                const volatile float a = one_minus * llama;
                const volatile float a_scaled = a / factor;
                const volatile float b = smooth * llama;
                f = a_scaled + b;
            } else {
                f = llama;
            }
        }
    }
    return inv_freq;
}

namespace {

// Rotates every pair of x (N, H, D) by sign · pos * inv_freq[i]: sign 1 is the forward, -1
// its transpose (the rotation is orthogonal). sin(-a) == -sin(a) exactly, so the backward
// uses the forward's very cos/sin values.
void rope_rotate(float* x, const int32_t* pos, const float* inv_freq, int64_t N, int H, int D,
                 RopeStyle style, float sign) {
    const int half = D / 2;
    JENNY_CHECK(half <= 512, "rope: head dim {} above 1024", D);
    float cos_t[512], sin_t[512];
    for (int64_t n = 0; n < N; ++n) {
        // One table per token, shared by its H heads: angle = pos * inv_freq in f32.
        const float p = static_cast<float>(pos[n]);
        for (int i = 0; i < half; ++i) {
            const float angle = p * inv_freq[i];
            cos_t[i] = std::cos(angle);
            sin_t[i] = sign * std::sin(angle);
        }
        for (int h = 0; h < H; ++h) {
            float* xh = x + (n * H + h) * D;  // (D)
            if (style == RopeStyle::kHalf) {
                for (int i = 0; i < half; ++i) {
                    const float a = xh[i], b = xh[i + half];
                    xh[i] = a * cos_t[i] - b * sin_t[i];
                    xh[i + half] = b * cos_t[i] + a * sin_t[i];
                }
            } else {
                for (int i = 0; i < half; ++i) {
                    const float a = xh[2 * i], b = xh[2 * i + 1];
                    xh[2 * i] = a * cos_t[i] - b * sin_t[i];
                    xh[2 * i + 1] = b * cos_t[i] + a * sin_t[i];
                }
            }
        }
    }
}

}  // namespace

void rope_forward(float* x, const int32_t* pos, const float* inv_freq, int64_t N, int H, int D,
                  RopeStyle style) {
    rope_rotate(x, pos, inv_freq, N, H, D, style, 1.0f);
}

void rope_backward(float* dx, const int32_t* pos, const float* inv_freq, int64_t N, int H, int D,
                   RopeStyle style) {
    rope_rotate(dx, pos, inv_freq, N, H, D, style, -1.0f);
}

}  // namespace jenny::kernels
