// Row conversions: check the row length, then run the per-block routine over the row.
#include "jenny/tensor/quant.h"

#include <cstring>

#include "jenny/base/check.h"
#include "tensor/quant_block.h"

namespace jenny::tensor {
namespace {

int64_t checked_blocks(DType type, int64_t n, const char* what) {
    const DTypeInfo& info = dtype_info(type);
    JENNY_CHECK(n >= 0 && n % info.block_size == 0, "{}: {} elements are not whole {} blocks of {}",
                what, n, info.name, info.block_size);
    return n / info.block_size;
}

template <typename Block, void (*dequantize_block)(const Block&, float*)>
void dequantize_blocks(const void* src, float* dst, int64_t nb, int block_size) {
    const auto* blocks = static_cast<const uint8_t*>(src);
    for (int64_t i = 0; i < nb; ++i) {
        Block b;  // copied out: GGUF data is only 32-byte aligned and f32 d needs 4
        std::memcpy(&b, blocks + i * sizeof(Block), sizeof(Block));
        dequantize_block(b, dst + i * block_size);
    }
}

template <typename Block, void (*quantize_block)(const float*, Block*)>
void quantize_blocks(const float* src, void* dst, int64_t nb, int block_size) {
    auto* blocks = static_cast<uint8_t*>(dst);
    for (int64_t i = 0; i < nb; ++i) {
        Block b;
        quantize_block(src + i * block_size, &b);
        std::memcpy(blocks + i * sizeof(Block), &b, sizeof(Block));
    }
}

}  // namespace

void dequantize_row(DType type, const void* src, float* dst, int64_t n) {
    const int64_t nb = checked_blocks(type, n, "dequantize_row");
    const auto* bytes = static_cast<const uint8_t*>(src);
    switch (type) {
        case DType::kF32:
            std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
            return;
        case DType::kF16:
            for (int64_t i = 0; i < n; ++i) {
                f16_t h;
                std::memcpy(&h, bytes + 2 * i, 2);
                dst[i] = f16_to_f32(h);
            }
            return;
        case DType::kBF16:
            for (int64_t i = 0; i < n; ++i) {
                bf16_t h;
                std::memcpy(&h, bytes + 2 * i, 2);
                dst[i] = bf16_to_f32(h);
            }
            return;
        case DType::kQ8_0:
            return dequantize_blocks<BlockQ8_0, detail::dequantize_block_q8_0>(src, dst, nb, kQK);
        case DType::kQ4_0:
            return dequantize_blocks<BlockQ4_0, detail::dequantize_block_q4_0>(src, dst, nb, kQK);
        case DType::kQ4_1:
            return dequantize_blocks<BlockQ4_1, detail::dequantize_block_q4_1>(src, dst, nb, kQK);
        case DType::kQ5_0:
            return dequantize_blocks<BlockQ5_0, detail::dequantize_block_q5_0>(src, dst, nb, kQK);
        case DType::kQ5_1:
            return dequantize_blocks<BlockQ5_1, detail::dequantize_block_q5_1>(src, dst, nb, kQK);
        case DType::kQ4_K:
            return dequantize_blocks<BlockQ4_K, detail::dequantize_block_q4_K>(src, dst, nb, kQKK);
        case DType::kQ5_K:
            return dequantize_blocks<BlockQ5_K, detail::dequantize_block_q5_K>(src, dst, nb, kQKK);
        case DType::kQ6_K:
            return dequantize_blocks<BlockQ6_K, detail::dequantize_block_q6_K>(src, dst, nb, kQKK);
        case DType::kQ8_K:
            return dequantize_blocks<BlockQ8_K, detail::dequantize_block_q8_K>(src, dst, nb, kQKK);
        case DType::kI32:
            break;
    }
    JENNY_CHECK(false, "dequantize_row: {} is not a float encoding", dtype_name(type));
}

bool can_quantize(DType type) {
    switch (type) {
        case DType::kF32:
        case DType::kF16:
        case DType::kBF16:
        case DType::kQ8_0:
        case DType::kQ4_0:
        case DType::kQ4_1:
        case DType::kQ5_0:
        case DType::kQ5_1:
        case DType::kQ8_K:
            return true;
        default:
            return false;
    }
}

void quantize_row(DType type, const float* src, void* dst, int64_t n) {
    JENNY_CHECK(can_quantize(type), "quantize_row: cannot produce {}; can_quantize() says which",
                dtype_name(type));
    const int64_t nb = checked_blocks(type, n, "quantize_row");
    auto* bytes = static_cast<uint8_t*>(dst);
    switch (type) {
        case DType::kF32:
            std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
            return;
        case DType::kF16:
            for (int64_t i = 0; i < n; ++i) {
                const f16_t h = f32_to_f16(src[i]);
                std::memcpy(bytes + 2 * i, &h, 2);
            }
            return;
        case DType::kBF16:
            for (int64_t i = 0; i < n; ++i) {
                const bf16_t h = f32_to_bf16(src[i]);
                std::memcpy(bytes + 2 * i, &h, 2);
            }
            return;
        case DType::kQ8_0:
            return quantize_blocks<BlockQ8_0, detail::quantize_block_q8_0>(src, dst, nb, kQK);
        case DType::kQ4_0:
            return quantize_blocks<BlockQ4_0, detail::quantize_block_q4_0>(src, dst, nb, kQK);
        case DType::kQ4_1:
            return quantize_blocks<BlockQ4_1, detail::quantize_block_q4_1>(src, dst, nb, kQK);
        case DType::kQ5_0:
            return quantize_blocks<BlockQ5_0, detail::quantize_block_q5_0>(src, dst, nb, kQK);
        case DType::kQ5_1:
            return quantize_blocks<BlockQ5_1, detail::quantize_block_q5_1>(src, dst, nb, kQK);
        case DType::kQ8_K:
            return quantize_blocks<BlockQ8_K, detail::quantize_block_q8_K>(src, dst, nb, kQKK);
        default:
            break;
    }
    JENNY_CHECK(false, "quantize_row: no quantizer for {}", dtype_name(type));
}

}  // namespace jenny::tensor
