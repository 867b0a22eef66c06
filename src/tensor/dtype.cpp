#include "jenny/tensor/dtype.h"

#include <array>
#include <cctype>

#include "jenny/base/check.h"

namespace jenny::tensor {
namespace {

// Indexed by DType; geometry and ids as ggml defines them (ggml.h, ggml.c type_traits).
constexpr std::array<DTypeInfo, kNumDTypes> kInfos = {{
    {"f32", 1, 4, false, 0},
    {"f16", 1, 2, false, 1},
    {"bf16", 1, 2, false, 30},
    {"q8_0", 32, 34, true, 8},
    {"q4_0", 32, 18, true, 2},
    {"q4_1", 32, 20, true, 3},
    {"q5_0", 32, 22, true, 6},
    {"q5_1", 32, 24, true, 7},
    {"q4_K", 256, 144, true, 12},
    {"q5_K", 256, 176, true, 13},
    {"q6_K", 256, 210, true, 14},
    {"q8_K", 256, 292, true, 15},
    {"i32", 1, 4, false, 26},
}};

bool equal_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        const auto ca = static_cast<unsigned char>(a[i]);
        const auto cb = static_cast<unsigned char>(b[i]);
        if (std::tolower(ca) != std::tolower(cb)) return false;
    }
    return true;
}

}  // namespace

const DTypeInfo& dtype_info(DType type) {
    const auto i = static_cast<size_t>(type);
    JENNY_CHECK(i < kInfos.size(), "dtype_info: invalid DType {}", i);
    return kInfos[i];
}

std::optional<DType> dtype_from_name(std::string_view name) {
    for (size_t i = 0; i < kInfos.size(); ++i) {
        if (equal_ignoring_case(kInfos[i].name, name)) return static_cast<DType>(i);
    }
    return std::nullopt;
}

std::optional<DType> dtype_from_ggml(uint32_t ggml_id) {
    for (size_t i = 0; i < kInfos.size(); ++i) {
        if (kInfos[i].ggml_id == ggml_id) return static_cast<DType>(i);
    }
    return std::nullopt;
}

bool row_fits(DType type, int64_t n) { return n >= 0 && n % dtype_info(type).block_size == 0; }

size_t row_bytes(DType type, int64_t n) {
    const DTypeInfo& info = dtype_info(type);
    JENNY_CHECK(row_fits(type, n), "row_bytes: {} elements are not whole {} blocks of {}", n,
                info.name, info.block_size);
    return static_cast<size_t>(n / info.block_size) * static_cast<size_t>(info.type_size);
}

}  // namespace jenny::tensor
