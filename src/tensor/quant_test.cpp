// quant.h and fp16.h against gguf-py 0.19.0 (= ggml's reference C) and PyTorch, bit for bit,
// through the fixtures tools/oracle/quant_fixtures.py writes into tests/fixtures/tensor/.
#include "jenny/tensor/quant.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "jenny/tensor/fp16.h"

namespace jenny::tensor {

// gtest prints parameters through this (found by argument-dependent lookup).
void PrintTo(DType type, std::ostream* os) { *os << dtype_name(type); }

namespace {

// A fixture file: named arrays (see the script's docstring for the layout).
class Fixture {
public:
    explicit Fixture(const std::string& name) {
        const std::string path = std::string(JENNY_SOURCE_DIR) + "/tests/fixtures/tensor/" + name;
        std::ifstream in(path, std::ios::binary);
        bytes_.assign(std::istreambuf_iterator<char>(in), {});
        if (bytes_.size() < 8 || std::memcmp(bytes_.data(), "JTF1", 4) != 0) {
            ADD_FAILURE() << path << " is missing or not a JTF1 file; run "
                          << "tools/oracle/quant_fixtures.py";
            return;
        }
        size_t at = 4;
        const uint32_t count = read<uint32_t>(&at);
        for (uint32_t i = 0; i < count; ++i) {
            const uint32_t name_len = read<uint32_t>(&at);
            std::string key(reinterpret_cast<const char*>(bytes_.data() + at), name_len);
            at += name_len;
            const uint32_t kind = read<uint32_t>(&at);
            const uint64_t n = read<uint64_t>(&at);
            static constexpr size_t kWidth[] = {4, 1, 2, 4};
            const size_t len = static_cast<size_t>(n) * kWidth[kind];
            arrays_[key] = std::vector<uint8_t>(bytes_.begin() + static_cast<ptrdiff_t>(at),
                                                bytes_.begin() + static_cast<ptrdiff_t>(at + len));
            at += len;
        }
    }

    template <typename T>
    std::vector<T> get(const std::string& key) const {
        const auto it = arrays_.find(key);
        if (it == arrays_.end()) {
            ADD_FAILURE() << "fixture has no array " << key;
            return {};
        }
        std::vector<T> out(it->second.size() / sizeof(T));
        std::memcpy(out.data(), it->second.data(), out.size() * sizeof(T));
        return out;
    }
    int64_t scalar(const std::string& key) const {
        const auto v = get<uint32_t>(key);
        return v.empty() ? 0 : v[0];
    }

private:
    template <typename T>
    T read(size_t* at) const {
        T v{};
        if (*at + sizeof(T) <= bytes_.size()) std::memcpy(&v, bytes_.data() + *at, sizeof(T));
        *at += sizeof(T);
        return v;
    }

    std::vector<uint8_t> bytes_;
    std::map<std::string, std::vector<uint8_t>> arrays_;
};

bool is_nan_bits16(uint16_t h) { return (h & 0x7c00) == 0x7c00 && (h & 0x03ff) != 0; }
bool is_bf16_nan(uint16_t h) { return (h & 0x7f80) == 0x7f80 && (h & 0x007f) != 0; }

// Index of the first element whose bits differ, or -1.
int64_t first_bit_difference(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size()) return 0;
    for (size_t i = 0; i < a.size(); ++i) {
        if (f32_bits(a[i]) != f32_bits(b[i])) return static_cast<int64_t>(i);
    }
    return -1;
}

class QuantFixture : public ::testing::TestWithParam<DType> {};

TEST_P(QuantFixture, QuantizeMatchesGgufPyByteForByte) {
    const DType type = GetParam();
    const Fixture fx(std::string(dtype_name(type)) + ".bin");
    const int64_t rows = fx.scalar("rows"), cols = fx.scalar("cols");
    const auto input = fx.get<float>("input");
    const auto want = fx.get<uint8_t>("quant");
    ASSERT_GT(rows, 0);
    ASSERT_EQ(input.size(), static_cast<size_t>(rows * cols));
    const size_t rb = row_bytes(type, cols);
    ASSERT_EQ(want.size(), rb * static_cast<size_t>(rows));
    const size_t block_bytes = static_cast<size_t>(dtype_info(type).type_size);

    std::vector<uint8_t> got(want.size(), 0xAB);
    for (int64_t r = 0; r < rows; ++r) {
        quantize_row(type, input.data() + r * cols, got.data() + r * rb, cols);
    }
    int bad_blocks = 0;
    for (size_t b = 0; b < want.size() / block_bytes; ++b) {
        if (std::memcmp(got.data() + b * block_bytes, want.data() + b * block_bytes, block_bytes) !=
            0) {
            if (++bad_blocks <= 3)
                ADD_FAILURE() << dtype_name(type) << " block " << b << " differs";
        }
    }
    EXPECT_EQ(bad_blocks, 0);
}

TEST_P(QuantFixture, DequantizeMatchesGgufPyBitForBit) {
    const DType type = GetParam();
    const Fixture fx(std::string(dtype_name(type)) + ".bin");
    const int64_t rows = fx.scalar("rows"), cols = fx.scalar("cols");
    const auto bytes = fx.get<uint8_t>("quant");
    const auto want = fx.get<float>("dequant");
    ASSERT_EQ(want.size(), static_cast<size_t>(rows * cols));
    const size_t rb = row_bytes(type, cols);
    std::vector<float> got(want.size());
    for (int64_t r = 0; r < rows; ++r) {
        dequantize_row(type, bytes.data() + r * rb, got.data() + r * cols, cols);
    }
    const int64_t at = first_bit_difference(got, want);
    EXPECT_EQ(at, -1) << dtype_name(type) << " element " << at << ": got "
                      << (at >= 0 ? got[at] : 0) << ", gguf-py " << (at >= 0 ? want[at] : 0);
    // The fixtures are not trivial: most values are distinct and nonzero.
    int64_t nonzero = 0;
    for (float v : want) nonzero += v != 0.0f;
    EXPECT_GT(nonzero, static_cast<int64_t>(want.size()) / 2);
}

INSTANTIATE_TEST_SUITE_P(tensor, QuantFixture,
                         ::testing::Values(DType::kQ8_0, DType::kQ4_0, DType::kQ4_1, DType::kQ5_0,
                                           DType::kQ5_1, DType::kQ8_K),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

class ReadOnlyKFixture : public ::testing::TestWithParam<DType> {};

TEST_P(ReadOnlyKFixture, DequantizeMatchesGgufPyBitForBit) {
    const DType type = GetParam();
    EXPECT_FALSE(can_quantize(type));
    const Fixture fx(std::string(dtype_name(type)) + ".bin");
    const int64_t rows = fx.scalar("rows"), cols = fx.scalar("cols");
    const auto bytes = fx.get<uint8_t>("quant");
    const auto want = fx.get<float>("dequant");
    ASSERT_EQ(want.size(), static_cast<size_t>(rows * cols));
    ASSERT_EQ(bytes.size(), row_bytes(type, cols) * static_cast<size_t>(rows));
    std::vector<float> got(want.size());
    dequantize_row(type, bytes.data(), got.data(), rows * cols);  // one long row
    const int64_t at = first_bit_difference(got, want);
    EXPECT_EQ(at, -1) << dtype_name(type) << " element " << at << ": got "
                      << (at >= 0 ? got[at] : 0) << ", gguf-py " << (at >= 0 ? want[at] : 0);
}

INSTANTIATE_TEST_SUITE_P(tensor, ReadOnlyKFixture,
                         ::testing::Values(DType::kQ4_K, DType::kQ5_K, DType::kQ6_K),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

// Values that are exactly codes times a power-of-two scale come back as the same bytes.
TEST(Quant, ExactlyRepresentableBlocksRoundTrip) {
    std::mt19937 rng(7);
    auto code = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    const float d = 0.125f;
    struct Case {
        DType type;
        int lo, hi;    // code range
        int extreme;   // the code placed first so it sets the scale
        float offset;  // value of code 0
    };
    const Case cases[] = {
        {DType::kQ8_0, -127, 127, 127, 0.0f}, {DType::kQ4_0, 0, 15, 0, -8 * d},
        {DType::kQ4_1, 0, 15, 0, -8 * d},     {DType::kQ5_0, 0, 31, 0, -16 * d},
        {DType::kQ5_1, 0, 31, 0, -8 * d},     {DType::kQ8_K, -127, 127, -127, 0.0f},
    };
    for (const Case& c : cases) {
        const int bs = dtype_info(c.type).block_size;
        std::vector<float> x(static_cast<size_t>(4 * bs));
        for (size_t i = 0; i < x.size(); ++i) {
            int q = code(c.lo, c.hi);
            if (i % bs == 0) q = c.extreme;
            if (i % bs == 1 && (c.type == DType::kQ4_1 || c.type == DType::kQ5_1)) q = c.hi;
            x[i] = c.offset + d * static_cast<float>(q);
        }
        std::vector<uint8_t> q1(row_bytes(c.type, static_cast<int64_t>(x.size())));
        std::vector<uint8_t> q2(q1.size());
        std::vector<float> y(x.size());
        quantize_row(c.type, x.data(), q1.data(), static_cast<int64_t>(x.size()));
        dequantize_row(c.type, q1.data(), y.data(), static_cast<int64_t>(x.size()));
        EXPECT_EQ(first_bit_difference(y, x), -1) << dtype_name(c.type);
        quantize_row(c.type, y.data(), q2.data(), static_cast<int64_t>(y.size()));
        EXPECT_EQ(q1, q2) << dtype_name(c.type);
    }
}

// |x - dequantize(quantize(x))| stays within half a step (a whole step where the symmetric
// 4/5-bit types clip their positive end), plus the f16 rounding of the scale and min.
TEST(Quant, ErrorWithinHalfAStep) {
    std::mt19937 rng(11);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (DType type : {DType::kQ8_0, DType::kQ4_0, DType::kQ4_1, DType::kQ5_0, DType::kQ5_1,
                       DType::kQ8_K, DType::kF16, DType::kBF16}) {
        const int bs = std::max(32, dtype_info(type).block_size);
        for (float scale : {1e-3f, 1.0f, 300.0f}) {
            std::vector<float> x(static_cast<size_t>(8 * bs));
            for (float& v : x) v = normal(rng) * scale;
            std::vector<uint8_t> q(row_bytes(type, static_cast<int64_t>(x.size())));
            std::vector<float> y(x.size());
            quantize_row(type, x.data(), q.data(), static_cast<int64_t>(x.size()));
            dequantize_row(type, q.data(), y.data(), static_cast<int64_t>(x.size()));
            for (size_t b = 0; b < x.size() / bs; ++b) {
                float lo = x[b * bs], hi = lo, amax = 0;
                for (int j = 0; j < bs; ++j) {
                    lo = std::min(lo, x[b * bs + j]);
                    hi = std::max(hi, x[b * bs + j]);
                    amax = std::max(amax, std::fabs(x[b * bs + j]));
                }
                float bound = 0;
                switch (type) {
                    case DType::kQ8_0:
                        bound = 0.5f * amax / 127;
                        break;
                    case DType::kQ8_K:
                        bound = 0.5f * amax / 127;
                        break;
                    case DType::kQ4_0:
                        bound = amax / 8;
                        break;
                    case DType::kQ5_0:
                        bound = amax / 16;
                        break;
                    case DType::kQ4_1:
                        bound = 0.5f * (hi - lo) / 15;
                        break;
                    case DType::kQ5_1:
                        bound = 0.5f * (hi - lo) / 31;
                        break;
                    case DType::kF16:
                        bound = amax * 0x1p-11f;
                        break;
                    default:
                        bound = amax * 0x1p-8f;
                        break;
                }
                bound += amax * 0x1p-9f;  // the f16 scale and min
                for (int j = 0; j < bs; ++j) {
                    const size_t i = b * bs + j;
                    ASSERT_LE(std::fabs(x[i] - y[i]), bound)
                        << dtype_name(type) << " scale " << scale << " element " << i;
                }
            }
        }
    }
}

TEST(Quant, BlockBytesLandInPlace) {
    // One q8_0 block by hand: d = 0.5 and codes 0..31.
    std::vector<float> x(32);
    for (int j = 0; j < 32; ++j) x[j] = 0.5f * static_cast<float>(j == 0 ? 127 : j);
    BlockQ8_0 b{};
    quantize_row(DType::kQ8_0, x.data(), &b, 32);
    EXPECT_EQ(b.d, 0x3800);  // 0.5 in f16
    EXPECT_EQ(b.qs[0], 127);
    EXPECT_EQ(b.qs[31], 31);
    // q8_K: bsums are the sums of each 16 quants.
    std::vector<float> k(256);
    for (int j = 0; j < 256; ++j) k[j] = static_cast<float>((j * 37) % 255 - 127);
    BlockQ8_K kb{};
    quantize_row(DType::kQ8_K, k.data(), &kb, 256);
    for (int g = 0; g < 16; ++g) {
        int sum = 0;
        for (int j = 0; j < 16; ++j) sum += kb.qs[16 * g + j];
        EXPECT_EQ(kb.bsums[g], sum) << g;
    }
    EXPECT_EQ(kb.d, 1.0f);  // the first element of largest magnitude, -127, maps to -127
    EXPECT_EQ(kb.qs[0], -127);
    EXPECT_EQ(kb.qs[7], static_cast<int8_t>((7 * 37) % 255 - 127));
}

TEST(Quant, CanQuantize) {
    for (DType t : {DType::kF32, DType::kF16, DType::kBF16, DType::kQ8_0, DType::kQ4_0,
                    DType::kQ4_1, DType::kQ5_0, DType::kQ5_1, DType::kQ8_K}) {
        EXPECT_TRUE(can_quantize(t)) << dtype_name(t);
    }
    for (DType t : {DType::kQ4_K, DType::kQ5_K, DType::kQ6_K, DType::kI32}) {
        EXPECT_FALSE(can_quantize(t)) << dtype_name(t);
    }
    float x[32] = {};
    uint8_t out[64];
    EXPECT_DEATH(quantize_row(DType::kQ4_K, x, out, 32), "cannot produce q4_K");
    EXPECT_DEATH(quantize_row(DType::kQ8_0, x, out, 31), "not whole q8_0 blocks");
    EXPECT_DEATH(dequantize_row(DType::kI32, out, x, 4), "not a float encoding");
}

TEST(Fp16, AllHalfPatternsWidenAsNumpy) {
    const Fixture fx("f16.bin");
    const auto want = fx.get<float>("f16_to_f32");
    ASSERT_EQ(want.size(), 65536u);
    std::vector<uint16_t> all(65536);
    for (uint32_t h = 0; h < 65536; ++h) all[h] = static_cast<uint16_t>(h);
    std::vector<float> got(65536);
    dequantize_row(DType::kF16, all.data(), got.data(), 65536);
    int nan_payload_differs = 0;
    for (uint32_t h = 0; h < 65536; ++h) {
        const uint16_t bits = static_cast<uint16_t>(h);
        EXPECT_EQ(f32_bits(f16_to_f32(bits)), f32_bits(got[h])) << h;
        if (is_nan_bits16(bits)) {
            // A signalling f16 NaN widens to the quiet f32 NaN with the same payload; numpy
            // keeps it signalling. Sign and payload must agree.
            ASSERT_TRUE(std::isnan(got[h])) << h;
            const uint32_t mask = ~0x00400000u;
            EXPECT_EQ(f32_bits(got[h]) & mask, f32_bits(want[h]) & mask) << h;
            nan_payload_differs += f32_bits(got[h]) != f32_bits(want[h]);
        } else {
            ASSERT_EQ(f32_bits(got[h]), f32_bits(want[h])) << "f16 bits " << h;
        }
    }
    EXPECT_LE(nan_payload_differs, 2 * 511);
}

TEST(Fp16, NarrowingRoundsAsNumpy) {
    const Fixture fx("f16.bin");
    const auto x = fx.get<float>("f32_input");
    const auto want = fx.get<uint16_t>("f32_to_f16");
    ASSERT_EQ(x.size(), want.size());
    ASSERT_GT(x.size(), 1000u);
    std::vector<uint16_t> got(x.size());
    quantize_row(DType::kF16, x.data(), got.data(), static_cast<int64_t>(x.size()));
    int nans = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        if (std::isnan(x[i])) {
            // NaN stays NaN with its sign; jenny returns the canonical quiet 0x7e00 (numpy
            // keeps payload bits), see fp16.h.
            ASSERT_TRUE(is_nan_bits16(got[i]) && is_nan_bits16(want[i])) << i;
            EXPECT_EQ(got[i], (want[i] & 0x8000) | 0x7e00) << i;
            ++nans;
            continue;
        }
        ASSERT_EQ(got[i], want[i]) << "f32 bits " << std::hex << f32_bits(x[i]);
    }
    EXPECT_GT(nans, 0);
}

// Every non-NaN f16 and bf16 pattern survives widening and narrowing (the bf16 NaNs,
// 0x7f81..0x7fff and 0xff81..0xffff, lie inside the f16 NaN ranges skipped here).
TEST(Fp16, EveryHalfSurvivesARoundTrip) {
    for (uint32_t h = 0; h < 65536; ++h) {
        const auto bits = static_cast<uint16_t>(h);
        if (is_nan_bits16(bits)) continue;
        ASSERT_EQ(f32_to_f16(f16_to_f32(bits)), bits) << h;
        ASSERT_EQ(f32_to_bf16(bf16_to_f32(bits)), bits) << h;
    }
}

TEST(Bf16, NarrowingMatchesGgmlAndTorch) {
    const Fixture fx("bf16.bin");
    const auto x = fx.get<float>("f32_input");
    const auto ggml = fx.get<uint16_t>("f32_to_bf16");
    const auto torch = fx.get<uint16_t>("f32_to_bf16_torch");
    ASSERT_EQ(x.size(), ggml.size());
    ASSERT_EQ(x.size(), torch.size());
    std::vector<uint16_t> got(x.size());
    quantize_row(DType::kBF16, x.data(), got.data(), static_cast<int64_t>(x.size()));
    int nans = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        ASSERT_EQ(got[i], ggml[i]) << "f32 bits " << std::hex << f32_bits(x[i]);
        if (std::isnan(x[i])) {
            // Torch canonicalises NaN (0x7fc0 from a scalar, 0xffff from its vectorised CPU
            // path, as here); jenny, like ggml, keeps sign and payload and sets the quiet bit.
            EXPECT_TRUE(is_bf16_nan(torch[i])) << i;
            EXPECT_EQ(got[i], (f32_bits(x[i]) >> 16) | 0x40) << i;
            EXPECT_TRUE(std::isnan(bf16_to_f32(got[i])));
            ++nans;
        } else {
            ASSERT_EQ(got[i], torch[i]) << "f32 bits " << std::hex << f32_bits(x[i]);
        }
    }
    EXPECT_GT(nans, 0);
}

TEST(Bf16, WideningMatchesGgufPy) {
    const Fixture fx("bf16.bin");
    const auto patterns = fx.get<uint16_t>("bf16_input");
    const auto want = fx.get<float>("bf16_to_f32");
    ASSERT_EQ(patterns.size(), want.size());
    std::vector<float> got(patterns.size());
    dequantize_row(DType::kBF16, patterns.data(), got.data(),
                   static_cast<int64_t>(patterns.size()));
    EXPECT_EQ(first_bit_difference(got, want), -1);
}

}  // namespace
}  // namespace jenny::tensor
