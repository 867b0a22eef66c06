// The 32-element block types (q4_0, q4_1, q5_0, q5_1, q8_0): ggml's reference quantizers and
// dequantizers, expression for expression as gguf-py 0.19.0 writes them in numpy.
#include <cmath>
#include <cstring>

#include "tensor/quant_block.h"

namespace jenny::tensor::detail {
namespace {

// The element of largest magnitude, with its sign; the first one on ties (numpy's argmax).
float signed_absmax(const float* x, int n) {
    float amax = 0.0f;
    float max = 0.0f;
    for (int j = 0; j < n; ++j) {
        const float ax = std::fabs(x[j]);
        if (ax > amax) {
            amax = ax;
            max = x[j];
        }
    }
    return max;
}

void min_max(const float* x, int n, float* min, float* max) {
    *min = x[0];
    *max = x[0];
    for (int j = 1; j < n; ++j) {
        *min = std::fmin(*min, x[j]);
        *max = std::fmax(*max, x[j]);
    }
}

float inverse_or_zero(float d) { return d == 0.0f ? 0.0f : 1.0f / d; }

uint8_t clip_u8(uint8_t v, uint8_t hi) { return v > hi ? hi : v; }

// qh bit j holds bit 4 of element j (little-endian uint32).
void pack_fifth_bits(const uint8_t* q, uint8_t* qh) {
    uint32_t bits = 0;
    for (int j = 0; j < kQK; ++j) bits |= static_cast<uint32_t>((q[j] >> 4) & 1u) << j;
    for (int k = 0; k < 4; ++k) qh[k] = static_cast<uint8_t>(bits >> (8 * k));
}

uint32_t load_fifth_bits(const uint8_t* qh) {
    uint32_t bits = 0;
    for (int k = 0; k < 4; ++k) bits |= static_cast<uint32_t>(qh[k]) << (8 * k);
    return bits;
}

// Element j in the low nibble of qs[j], element j + 16 in the high nibble.
void pack_nibbles(const uint8_t* q, uint8_t* qs) {
    for (int j = 0; j < kQK / 2; ++j) {
        qs[j] = static_cast<uint8_t>((q[j] & 0x0f) | (q[j + kQK / 2] << 4));
    }
}

uint8_t nibble(const uint8_t* qs, int j) {
    return j < kQK / 2 ? qs[j] & 0x0f : qs[j - kQK / 2] >> 4;
}

}  // namespace

void quantize_block_q4_0(const float* x, BlockQ4_0* y) {
    const float d = signed_absmax(x, kQK) / -8.0f;
    const float id = inverse_or_zero(d);
    uint8_t q[kQK];
    for (int j = 0; j < kQK; ++j) q[j] = clip_u8(trunc_low_byte(x[j] * id + 8.5f), 15);
    y->d = f32_to_f16(d);
    pack_nibbles(q, y->qs);
}

void quantize_block_q4_1(const float* x, BlockQ4_1* y) {
    float min, max;
    min_max(x, kQK, &min, &max);
    const float d = (max - min) / 15.0f;
    const float id = inverse_or_zero(d);
    uint8_t q[kQK];
    for (int j = 0; j < kQK; ++j) q[j] = clip_u8(trunc_low_byte((x[j] - min) * id + 0.5f), 15);
    y->d = f32_to_f16(d);
    y->m = f32_to_f16(min);
    pack_nibbles(q, y->qs);
}

void quantize_block_q5_0(const float* x, BlockQ5_0* y) {
    const float d = signed_absmax(x, kQK) / -16.0f;
    const float id = inverse_or_zero(d);
    uint8_t q[kQK];
    for (int j = 0; j < kQK; ++j) q[j] = clip_u8(trunc_low_byte(x[j] * id + 16.5f), 31);
    y->d = f32_to_f16(d);
    pack_fifth_bits(q, y->qh);
    pack_nibbles(q, y->qs);
}

void quantize_block_q5_1(const float* x, BlockQ5_1* y) {
    float min, max;
    min_max(x, kQK, &min, &max);
    const float d = (max - min) / 31.0f;
    const float id = inverse_or_zero(d);
    uint8_t q[kQK];
    for (int j = 0; j < kQK; ++j) q[j] = clip_u8(trunc_low_byte((x[j] - min) * id + 0.5f), 31);
    y->d = f32_to_f16(d);
    y->m = f32_to_f16(min);
    pack_fifth_bits(q, y->qh);
    pack_nibbles(q, y->qs);
}

void quantize_block_q8_0(const float* x, BlockQ8_0* y) {
    float amax = 0.0f;
    for (int j = 0; j < kQK; ++j) amax = std::fmax(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = inverse_or_zero(d);
    // Half away from zero (roundf), as ggml; inf/NaN fall through trunc_low_byte to 0.
    for (int j = 0; j < kQK; ++j) {
        y->qs[j] = static_cast<int8_t>(trunc_low_byte(std::round(x[j] * id)));
    }
    y->d = f32_to_f16(d);
}

void dequantize_block_q4_0(const BlockQ4_0& b, float* y) {
    const float d = f16_to_f32(b.d);
    for (int j = 0; j < kQK; ++j) y[j] = d * static_cast<float>(nibble(b.qs, j) - 8);
}

void dequantize_block_q4_1(const BlockQ4_1& b, float* y) {
    const float d = f16_to_f32(b.d);
    const float m = f16_to_f32(b.m);
    for (int j = 0; j < kQK; ++j) y[j] = d * static_cast<float>(nibble(b.qs, j)) + m;
}

void dequantize_block_q5_0(const BlockQ5_0& b, float* y) {
    const float d = f16_to_f32(b.d);
    const uint32_t qh = load_fifth_bits(b.qh);
    for (int j = 0; j < kQK; ++j) {
        const int q = nibble(b.qs, j) | static_cast<int>(((qh >> j) & 1u) << 4);
        y[j] = d * static_cast<float>(q - 16);
    }
}

void dequantize_block_q5_1(const BlockQ5_1& b, float* y) {
    const float d = f16_to_f32(b.d);
    const float m = f16_to_f32(b.m);
    const uint32_t qh = load_fifth_bits(b.qh);
    for (int j = 0; j < kQK; ++j) {
        const int q = nibble(b.qs, j) | static_cast<int>(((qh >> j) & 1u) << 4);
        y[j] = d * static_cast<float>(q) + m;
    }
}

void dequantize_block_q8_0(const BlockQ8_0& b, float* y) {
    const float d = f16_to_f32(b.d);
    for (int j = 0; j < kQK; ++j) y[j] = static_cast<float>(b.qs[j]) * d;
}

}  // namespace jenny::tensor::detail
