// The 256-element super-block types (q4_K, q5_K, q6_K read; q8_K read and written): ggml's
// dequantizers and quantize_row_q8_K_ref, in gguf-py 0.19.0's order of float operations.
#include <cmath>

#include "tensor/quant_block.h"

namespace jenny::tensor::detail {
namespace {

// Sub-block j's 6-bit scale and min from q4_K/q5_K's 12 packed bytes: j < 4 in the low six
// bits of bytes j and j + 4; j >= 4 split between byte j + 4 (low bits) and the top two bits
// of bytes j - 4 and j.
void scale_min_k4(const uint8_t* s, int j, int* scale, int* min) {
    if (j < 4) {
        *scale = s[j] & 63;
        *min = s[j + 4] & 63;
    } else {
        *scale = (s[j + 4] & 0x0f) | ((s[j - 4] >> 6) << 4);
        *min = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
}

}  // namespace

// 8 sub-blocks of 32; qs byte l of chunk c holds element 64c + l (low nibble) and 64c + 32 + l.
void dequantize_block_q4_K(const BlockQ4_K& b, float* y) {
    const float d = f16_to_f32(b.d);
    const float dmin = f16_to_f32(b.dmin);
    for (int s = 0; s < 8; ++s) {
        int sc, m;
        scale_min_k4(b.scales, s, &sc, &m);
        const float ds = d * static_cast<float>(sc);
        const float ms = dmin * static_cast<float>(m);
        const uint8_t* qs = b.qs + 32 * (s / 2);
        const int shift = 4 * (s % 2);
        for (int l = 0; l < 32; ++l) {
            y[32 * s + l] = ds * static_cast<float>((qs[l] >> shift) & 0x0f) - ms;
        }
    }
}

// As q4_K, plus bit s of qh[l] as the fifth bit of element 32s + l.
void dequantize_block_q5_K(const BlockQ5_K& b, float* y) {
    const float d = f16_to_f32(b.d);
    const float dmin = f16_to_f32(b.dmin);
    for (int s = 0; s < 8; ++s) {
        int sc, m;
        scale_min_k4(b.scales, s, &sc, &m);
        const float ds = d * static_cast<float>(sc);
        const float ms = dmin * static_cast<float>(m);
        const uint8_t* qs = b.qs + 32 * (s / 2);
        const int shift = 4 * (s % 2);
        for (int l = 0; l < 32; ++l) {
            const int q = ((qs[l] >> shift) & 0x0f) | (((b.qh[l] >> s) & 1) << 4);
            y[32 * s + l] = ds * static_cast<float>(q) - ms;
        }
    }
}

// Two halves of 128: element 128h + 32k + l takes its low four bits from ql[64h + l + 32(k%2)]
// (low nibble for k < 2, high for k >= 2) and its top two from bits 2k of qh[32h + l]; scales
// are per 16 elements.
void dequantize_block_q6_K(const BlockQ6_K& b, float* y) {
    const float d = f16_to_f32(b.d);
    for (int h = 0; h < 2; ++h) {
        const uint8_t* ql = b.ql + 64 * h;
        const uint8_t* qh = b.qh + 32 * h;
        for (int k = 0; k < 4; ++k) {
            for (int l = 0; l < 32; ++l) {
                const int i = 128 * h + 32 * k + l;
                const int lo = (ql[l + 32 * (k % 2)] >> (4 * (k / 2))) & 0x0f;
                const int hi = (qh[l] >> (2 * k)) & 3;
                const int q = (lo | (hi << 4)) - 32;
                y[i] = d * static_cast<float>(b.scales[i / 16]) * static_cast<float>(q);
            }
        }
    }
}

void dequantize_block_q8_K(const BlockQ8_K& b, float* y) {
    for (int j = 0; j < kQKK; ++j) y[j] = b.d * static_cast<float>(b.qs[j]);
}

// quantize_row_q8_K_ref: scale from the signed element of largest magnitude so that it maps to
// -127; values clipped above at 127 only; bsums[j] = sum of qs[16j .. 16j + 15]. An all-zero
// block gets d = 0 and zero quants and sums (ggml leaves its bsums unwritten there).
void quantize_block_q8_K(const float* x, BlockQ8_K* y) {
    float amax = 0.0f;
    float max = 0.0f;
    for (int j = 0; j < kQKK; ++j) {
        const float ax = std::fabs(x[j]);
        if (ax > amax) {
            amax = ax;
            max = x[j];
        }
    }
    if (amax == 0.0f) {
        *y = BlockQ8_K{};
        return;
    }
    const float iscale = -127.0f / max;
    for (int j = 0; j < kQKK; ++j) {
        const int32_t v = nearest_int(iscale * x[j]);
        y->qs[j] = static_cast<int8_t>(v < 127 ? v : 127);
    }
    for (int j = 0; j < kQKK / 16; ++j) {
        int sum = 0;
        for (int l = 0; l < 16; ++l) sum += y->qs[16 * j + l];
        y->bsums[j] = static_cast<int16_t>(sum);
    }
    y->d = 1.0f / iscale;
}

}  // namespace jenny::tensor::detail
