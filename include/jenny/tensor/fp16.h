// Scalar conversions between f32 and the 16-bit float formats, bit-exact with ggml, numpy and
// PyTorch for every non-NaN value: f32 -> f16 and f32 -> bf16 round to nearest even (ties to
// even, overflow to inf, f16 subnormals exact); widening is exact. NaN stays NaN with its sign:
//   f32 -> bf16: ggml's choice, the top 16 bits with the quiet bit set (u >> 16 | 0x40);
//                PyTorch instead canonicalises (0x7fc0, or 0xffff from its vectorised path).
//   f32 -> f16:  the canonical quiet NaN 0x7e00 | sign (FP16 library, ggml without F16C);
//                numpy keeps the top payload bits.
//   f16 -> f32:  payload kept, quiet bit set (numpy leaves a signalling NaN signalling).
// tests/fixtures/tensor/{f16,bf16}.bin pin all of this (src/tensor/quant_test.cpp).
// Header-only so that kernels inline them.
#pragma once

#include <cstdint>
#include <cstring>

namespace jenny::tensor {

using f16_t = uint16_t;   // IEEE 754 binary16 bits
using bf16_t = uint16_t;  // bfloat16 bits (the high half of an f32)

inline uint32_t f32_bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}
inline float f32_from_bits(uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

inline float bf16_to_f32(bf16_t h) { return f32_from_bits(static_cast<uint32_t>(h) << 16); }

inline bf16_t f32_to_bf16(float f) {
    uint32_t u = f32_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<bf16_t>((u >> 16) | 64);  // quiet NaN
    u += 0x7fffu + ((u >> 16) & 1);  // round to nearest even
    return static_cast<bf16_t>(u >> 16);
}

// The branch-free conversions of FP16 (Maratyszcza), as ggml uses when F16C is absent.
inline float f16_to_f32(f16_t h) {
    const uint32_t w = static_cast<uint32_t>(h) << 16;
    const uint32_t sign = w & 0x80000000u;
    const uint32_t two_w = w + w;
    const uint32_t exp_offset = 0xE0u << 23;
    const float exp_scale = f32_from_bits(0x7800000u);  // 0x1.0p-112f
    const float normalized = f32_from_bits((two_w >> 4) + exp_offset) * exp_scale;
    const uint32_t magic_mask = 126u << 23;
    const float magic_bias = 0.5f;
    const float denormalized = f32_from_bits((two_w >> 17) | magic_mask) - magic_bias;
    const uint32_t denormalized_cutoff = 1u << 27;
    const uint32_t result =
        sign | (two_w < denormalized_cutoff ? f32_bits(denormalized) : f32_bits(normalized));
    return f32_from_bits(result);
}

inline f16_t f32_to_f16(float f) {
    const float scale_to_inf = f32_from_bits(0x77800000u);   // 0x1.0p+112f
    const float scale_to_zero = f32_from_bits(0x08800000u);  // 0x1.0p-110f
    float base = (f < 0 ? -f : f) * scale_to_inf * scale_to_zero;
    const uint32_t w = f32_bits(f);
    const uint32_t shl1_w = w + w;
    const uint32_t sign = w & 0x80000000u;
    uint32_t bias = shl1_w & 0xFF000000u;
    if (bias < 0x71000000u) bias = 0x71000000u;
    base = f32_from_bits((bias >> 1) + 0x07800000u) + base;
    const uint32_t bits = f32_bits(base);
    const uint32_t exp_bits = (bits >> 13) & 0x00007C00u;
    const uint32_t mantissa_bits = bits & 0x00000FFFu;
    const uint32_t nonsign = exp_bits + mantissa_bits;
    return static_cast<f16_t>((sign >> 16) | (shl1_w > 0xFF000000u ? 0x7E00u : nonsign));
}

}  // namespace jenny::tensor
