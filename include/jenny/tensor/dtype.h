// DType: the element encodings jenny computes with — f32, f16, bf16 and the GGUF block types —
// with their block geometry. Quantised types store `block_size` consecutive elements of a row
// in `type_size` bytes (ggml's layouts, byte for byte, so GGUF tensors are used in place); a
// row's length must be a multiple of block_size. Everything here is immutable and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace jenny::tensor {

enum class DType : uint8_t {
    kF32,
    kF16,
    kBF16,
    kQ8_0,
    kQ4_0,
    kQ4_1,
    kQ5_0,
    kQ5_1,
    kQ4_K,
    kQ5_K,
    kQ6_K,
    kQ8_K,
    kI32,  // token ids, positions; never a weight
};
constexpr int kNumDTypes = 13;

struct DTypeInfo {
    std::string_view name;  // "f32", "f16", "bf16", "q8_0", ..., "q8_K", "i32"
    int block_size;         // elements per block (1 for f32/f16/bf16/i32)
    int type_size;          // bytes per block
    bool quantized;         // a block type (scales + packed values)
    uint32_t ggml_id;       // the GGUF on-disk type id (ggml_type); i32 is 26
};

const DTypeInfo& dtype_info(DType type);
inline std::string_view dtype_name(DType type) { return dtype_info(type).name; }
// Case-insensitive: "f32", "F16", "bf16", "q4_0", "Q4_K", ... nullopt when unknown.
std::optional<DType> dtype_from_name(std::string_view name);
// nullopt for ggml types jenny does not compute with (q2_K, iq*, ...).
std::optional<DType> dtype_from_ggml(uint32_t ggml_id);

// Bytes of a row of n elements; n must be a multiple of the block size (JENNY_CHECK).
size_t row_bytes(DType type, int64_t n);
// True when n is a whole number of blocks of `type`.
bool row_fits(DType type, int64_t n);

}  // namespace jenny::tensor
