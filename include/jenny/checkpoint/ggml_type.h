// GgmlType: the tensor element encodings of ggml (llama.cpp), with their block geometry, so
// the byte size of a tensor can be computed and checked. The ids are the on-disk values of a
// GGUF tensor info's type field; the table mirrors gguf-py 0.19.0 (GGML_QUANT_SIZES), which
// tools/oracle/gguf_dump.py --types prints and checkpoint_gguf_test compares against.
//
// Quantised types store blocks of `block_size` consecutive elements of a row in
// `type_size` bytes; a row's length (ne[0]) must be a multiple of block_size.
// Everything here is immutable and thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "jenny/base/result.h"

namespace jenny::checkpoint {

enum class GgmlType : uint32_t {
    kF32 = 0,
    kF16 = 1,
    kQ4_0 = 2,
    kQ4_1 = 3,
    // 4 (Q4_2) and 5 (Q4_3) were removed from ggml in 2023.
    kQ5_0 = 6,
    kQ5_1 = 7,
    kQ8_0 = 8,
    kQ8_1 = 9,
    kQ2_K = 10,
    kQ3_K = 11,
    kQ4_K = 12,
    kQ5_K = 13,
    kQ6_K = 14,
    kQ8_K = 15,
    kIQ2_XXS = 16,
    kIQ2_XS = 17,
    kIQ3_XXS = 18,
    kIQ1_S = 19,
    kIQ4_NL = 20,
    kIQ3_S = 21,
    kIQ2_S = 22,
    kIQ4_XS = 23,
    kI8 = 24,
    kI16 = 25,
    kI32 = 26,
    kI64 = 27,
    kF64 = 28,
    kIQ1_M = 29,
    kBF16 = 30,
    // 31..33 (Q4_0_4_4, Q4_0_4_8, Q4_0_8_8) and 36..38 (IQ4_NL_4_4 ...) were removed in 2024:
    // llama.cpp repacks Q4_0 / IQ4_NL at load time instead.
    kTQ1_0 = 34,
    kTQ2_0 = 35,
    kMXFP4 = 39,
    kNVFP4 = 40,
    kQ1_0 = 41,
};

struct GgmlTypeInfo {
    GgmlType type;
    std::string_view name;  // as llama.cpp spells it: "F32", "Q4_K", "IQ2_XXS", "BF16"
    uint32_t block_size;    // elements per block; 1 for plain types
    uint32_t type_size;     // bytes per block
    bool quantized;         // block_size > 1 (the I*/F* types are not)
};

// The info for an on-disk type id, or nullptr when the id is not a type this table knows
// (never valid, removed, or newer than this build).
const GgmlTypeInfo* ggml_type_info(uint32_t id);
// The info for a known type (never null).
const GgmlTypeInfo& ggml_type_info(GgmlType type);
// "Q4_K"; for an unknown id "type <id>".
std::string_view ggml_type_name(GgmlType type);

// Every known type, in id order.
std::span<const GgmlTypeInfo> ggml_types();

// A short reason why `id` is not known ("Q4_0_4_4 was removed from llama.cpp in 2024: ...") or
// "unknown ggml type <id>"; for use in error messages.
std::string ggml_unknown_type_message(uint32_t id);

// Bytes of `n` consecutive elements of `type` (a row, or a whole tensor when every row is
// whole blocks). kInvalidArgument when n is not a multiple of the block size or the size
// does not fit in uint64.
base::Result<uint64_t> ggml_bytes(GgmlType type, uint64_t n);

}  // namespace jenny::checkpoint
