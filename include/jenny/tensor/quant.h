// The GGUF block formats, laid out byte for byte as ggml stores them, and the row conversions
// between them and f32. These scalar routines are the reference: they match gguf-py 0.19.0's
// numpy implementation (tools/oracle/quant_fixtures.py) bit for bit, and the SIMD kernels in
// src/kernels/cpu/ are tested against them.
//
//   dequantize_row(DType::kQ4_K, row_bytes_ptr, out_f32, n);
//   quantize_row(DType::kQ8_0, in_f32, out_bytes, n);   // can_quantize(kQ8_0) is true
//
// n is the number of elements and must be a multiple of the type's block size (JENNY_CHECK).
// All functions are thread-safe and allocate nothing.
#pragma once

#include <cstdint>

#include "jenny/tensor/dtype.h"
#include "jenny/tensor/fp16.h"

namespace jenny::tensor {

constexpr int kQK = 32;    // elements per block of the *_0 / *_1 types
constexpr int kQKK = 256;  // elements per super-block of the K types
constexpr int kKScaleBytes = 12;

struct BlockQ8_0 {
    f16_t d;  // scale
    int8_t qs[kQK];
};
struct BlockQ4_0 {
    f16_t d;
    uint8_t qs[kQK / 2];  // element j in the low nibble of qs[j], j + 16 in the high nibble
};
struct BlockQ4_1 {
    f16_t d, m;  // scale, min
    uint8_t qs[kQK / 2];
};
struct BlockQ5_0 {
    f16_t d;
    uint8_t qh[4];  // fifth bits, little-endian uint32
    uint8_t qs[kQK / 2];
};
struct BlockQ5_1 {
    f16_t d, m;
    uint8_t qh[4];
    uint8_t qs[kQK / 2];
};
struct BlockQ4_K {
    f16_t d, dmin;
    uint8_t scales[kKScaleBytes];  // 8 x (6-bit scale, 6-bit min)
    uint8_t qs[kQKK / 2];
};
struct BlockQ5_K {
    f16_t d, dmin;
    uint8_t scales[kKScaleBytes];
    uint8_t qh[kQKK / 8];
    uint8_t qs[kQKK / 2];
};
struct BlockQ6_K {
    uint8_t ql[kQKK / 2];
    uint8_t qh[kQKK / 4];
    int8_t scales[kQKK / 16];
    f16_t d;
};
struct BlockQ8_K {
    float d;
    int8_t qs[kQKK];
    int16_t bsums[kQKK / 16];  // sums of each 16 quants
};

static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ5_0) == 22);
static_assert(sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockQ6_K) == 210);
static_assert(sizeof(BlockQ8_K) == 292);

// src (row_bytes(type, n) bytes) -> dst (n floats). Every DType except kI32.
void dequantize_row(DType type, const void* src, float* dst, int64_t n);

// True for the types quantize_row can produce: f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1,
// q8_K (the K types other than q8_K are read-only here).
bool can_quantize(DType type);
// src (n floats) -> dst (row_bytes(type, n) bytes), with ggml's reference rounding.
void quantize_row(DType type, const float* src, void* dst, int64_t n);

}  // namespace jenny::tensor
