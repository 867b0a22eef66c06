#include "jenny/checkpoint/ggml_type.h"

#include <fmt/format.h>

#include <array>
#include <iterator>

namespace jenny::checkpoint {
namespace {

constexpr uint32_t kQK_K = 256;  // super-block size of the K and IQ quants

// Sizes as in ggml's type_traits (ggml.c) and gguf-py's GGML_QUANT_SIZES.
constexpr GgmlTypeInfo kTypes[] = {
    {GgmlType::kF32, "F32", 1, 4, false},
    {GgmlType::kF16, "F16", 1, 2, false},
    {GgmlType::kQ4_0, "Q4_0", 32, 2 + 16, true},
    {GgmlType::kQ4_1, "Q4_1", 32, 2 + 2 + 16, true},
    {GgmlType::kQ5_0, "Q5_0", 32, 2 + 4 + 16, true},
    {GgmlType::kQ5_1, "Q5_1", 32, 2 + 2 + 4 + 16, true},
    {GgmlType::kQ8_0, "Q8_0", 32, 2 + 32, true},
    {GgmlType::kQ8_1, "Q8_1", 32, 4 + 4 + 32, true},
    {GgmlType::kQ2_K, "Q2_K", kQK_K, 2 + 2 + kQK_K / 16 + kQK_K / 4, true},
    {GgmlType::kQ3_K, "Q3_K", kQK_K, 2 + kQK_K / 4 + kQK_K / 8 + 12, true},
    {GgmlType::kQ4_K, "Q4_K", kQK_K, 2 + 2 + kQK_K / 2 + 12, true},
    {GgmlType::kQ5_K, "Q5_K", kQK_K, 2 + 2 + kQK_K / 2 + kQK_K / 8 + 12, true},
    {GgmlType::kQ6_K, "Q6_K", kQK_K, 2 + kQK_K / 2 + kQK_K / 4 + kQK_K / 16, true},
    {GgmlType::kQ8_K, "Q8_K", kQK_K, 4 + kQK_K + kQK_K / 8, true},
    {GgmlType::kIQ2_XXS, "IQ2_XXS", kQK_K, 2 + kQK_K / 4, true},
    {GgmlType::kIQ2_XS, "IQ2_XS", kQK_K, 2 + kQK_K / 4 + kQK_K / 32, true},
    {GgmlType::kIQ3_XXS, "IQ3_XXS", kQK_K, 2 + kQK_K / 4 + kQK_K / 8, true},
    {GgmlType::kIQ1_S, "IQ1_S", kQK_K, 2 + kQK_K / 8 + kQK_K / 16, true},
    {GgmlType::kIQ4_NL, "IQ4_NL", 32, 2 + 16, true},
    {GgmlType::kIQ3_S, "IQ3_S", kQK_K, 2 + kQK_K / 4 + kQK_K / 8 + kQK_K / 32 + 4, true},
    {GgmlType::kIQ2_S, "IQ2_S", kQK_K, 2 + kQK_K / 4 + kQK_K / 16, true},
    {GgmlType::kIQ4_XS, "IQ4_XS", kQK_K, 2 + 2 + kQK_K / 2 + kQK_K / 64, true},
    {GgmlType::kI8, "I8", 1, 1, false},
    {GgmlType::kI16, "I16", 1, 2, false},
    {GgmlType::kI32, "I32", 1, 4, false},
    {GgmlType::kI64, "I64", 1, 8, false},
    {GgmlType::kF64, "F64", 1, 8, false},
    {GgmlType::kIQ1_M, "IQ1_M", kQK_K, kQK_K / 8 + kQK_K / 16 + kQK_K / 32, true},
    {GgmlType::kBF16, "BF16", 1, 2, false},
    {GgmlType::kTQ1_0, "TQ1_0", kQK_K, 2 + 4 * 13, true},
    {GgmlType::kTQ2_0, "TQ2_0", kQK_K, 2 + 64, true},
    {GgmlType::kMXFP4, "MXFP4", 32, 1 + 16, true},
    {GgmlType::kNVFP4, "NVFP4", 64, 4 + 32, true},
    {GgmlType::kQ1_0, "Q1_0", 128, 2 + 16, true},
};
constexpr size_t kNumTypes = std::size(kTypes);

constexpr uint32_t kMaxId = 41;

// id -> index into kTypes, or -1.
constexpr std::array<int8_t, kMaxId + 1> make_index() {
    std::array<int8_t, kMaxId + 1> index{};
    for (auto& i : index) i = -1;
    for (size_t i = 0; i < kNumTypes; ++i)
        index[static_cast<uint32_t>(kTypes[i].type)] = static_cast<int8_t>(i);
    return index;
}
constexpr std::array<int8_t, kMaxId + 1> kIndex = make_index();

}  // namespace

const GgmlTypeInfo* ggml_type_info(uint32_t id) {
    if (id > kMaxId || kIndex[id] < 0) return nullptr;
    return &kTypes[kIndex[id]];
}

const GgmlTypeInfo& ggml_type_info(GgmlType type) {
    const GgmlTypeInfo* info = ggml_type_info(static_cast<uint32_t>(type));
    JENNY_CHECK(info != nullptr, "ggml_type_info: unknown GgmlType {}",
                static_cast<uint32_t>(type));
    return *info;
}

std::string_view ggml_type_name(GgmlType type) {
    const GgmlTypeInfo* info = ggml_type_info(static_cast<uint32_t>(type));
    return info ? info->name : std::string_view("unknown");
}

std::span<const GgmlTypeInfo> ggml_types() { return {kTypes, kNumTypes}; }

std::string ggml_unknown_type_message(uint32_t id) {
    switch (id) {
        case 4:
        case 5:
            return fmt::format(
                "ggml type {} ({}) was removed from llama.cpp in 2023: convert the "
                "model again with a current llama.cpp",
                id, id == 4 ? "Q4_2" : "Q4_3");
        case 31:
        case 32:
        case 33:
        case 36:
        case 37:
        case 38: {
            static constexpr std::string_view kNames[] = {"Q4_0_4_4",   "Q4_0_4_8",  "Q4_0_8_8",
                                                          "",           "",          "IQ4_NL_4_4",
                                                          "IQ4_NL_4_8", "IQ4_NL_8_8"};
            return fmt::format(
                "ggml type {} ({}) was removed from llama.cpp in 2024 (repacked "
                "at load time now): quantize the model again as Q4_0 or IQ4_NL",
                id, kNames[id - 31]);
        }
        default:
            return fmt::format("unknown ggml type {} (this build knows ids 0..{})", id, kMaxId);
    }
}

base::Result<uint64_t> ggml_bytes(GgmlType type, uint64_t n) {
    const GgmlTypeInfo& info = ggml_type_info(type);
    if (n % info.block_size != 0) {
        return base::Status::invalid_argument(fmt::format(
            "{} elements of {} are not whole blocks of {}", n, info.name, info.block_size));
    }
    uint64_t blocks = n / info.block_size;
    if (blocks > UINT64_MAX / info.type_size) {
        return base::Status::invalid_argument(
            fmt::format("{} elements of {} overflow a 64-bit byte count", n, info.name));
    }
    return blocks * info.type_size;
}

}  // namespace jenny::checkpoint
