// Internal to src/tensor: the per-block routines behind quant.h's row functions, and the float
// to integer conversion they share. Each takes one block (`x`: block_size floats, `y`: one
// Block*) and follows gguf-py 0.19.0's numpy expressions operation by operation (float32
// arithmetic, no fused multiply-add: CMakeLists.txt compiles src/tensor with
// -ffp-contract=off), which are ggml's reference C expressions.
#pragma once

#include <cstdint>

#include "jenny/tensor/quant.h"

namespace jenny::tensor::detail {

// Truncates toward zero to int32 the way x86-64 does (cvttss2si: NaN and out-of-range values
// give INT32_MIN) and keeps the low byte: what numpy's float32 -> uint8/int8 casts and ggml's
// C casts produce, including for the inf/NaN that a subnormal block's 1/d turns values into.
inline uint8_t trunc_low_byte(float v) {
    const int32_t i =
        (v > -2147483648.0f && v < 2147483648.0f) ? static_cast<int32_t>(v) : INT32_MIN;
    return static_cast<uint8_t>(static_cast<uint32_t>(i) & 0xffu);
}

// ggml's nearest_int: round half to even through the 1.5 * 2^23 trick, bit for bit, also
// outside the |v| <= 4194303 range ggml asserts.
inline int32_t nearest_int(float v) {
    const float shifted = v + 12582912.0f;
    return static_cast<int32_t>(f32_bits(shifted) & 0x007fffffu) - 0x00400000;
}

void quantize_block_q4_0(const float* x, BlockQ4_0* y);
void quantize_block_q4_1(const float* x, BlockQ4_1* y);
void quantize_block_q5_0(const float* x, BlockQ5_0* y);
void quantize_block_q5_1(const float* x, BlockQ5_1* y);
void quantize_block_q8_0(const float* x, BlockQ8_0* y);
void quantize_block_q8_K(const float* x, BlockQ8_K* y);

void dequantize_block_q4_0(const BlockQ4_0& b, float* y);
void dequantize_block_q4_1(const BlockQ4_1& b, float* y);
void dequantize_block_q5_0(const BlockQ5_0& b, float* y);
void dequantize_block_q5_1(const BlockQ5_1& b, float* y);
void dequantize_block_q8_0(const BlockQ8_0& b, float* y);
void dequantize_block_q4_K(const BlockQ4_K& b, float* y);
void dequantize_block_q5_K(const BlockQ5_K& b, float* y);
void dequantize_block_q6_K(const BlockQ6_K& b, float* y);
void dequantize_block_q8_K(const BlockQ8_K& b, float* y);

}  // namespace jenny::tensor::detail
