#include "jenny/tensor/tensor.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "jenny/tensor/arena.h"
#include "jenny/tensor/quant.h"

namespace jenny::tensor {
namespace {

bool aligned64(const void* p) { return reinterpret_cast<uintptr_t>(p) % kAlignment == 0; }

TEST(DType, TableMatchesGgml) {
    struct Row {
        DType type;
        const char* name;
        int block_size, type_size;
        uint32_t ggml_id;
    };
    const Row rows[] = {
        {DType::kF32, "f32", 1, 4, 0},        {DType::kF16, "f16", 1, 2, 1},
        {DType::kBF16, "bf16", 1, 2, 30},     {DType::kQ8_0, "q8_0", 32, 34, 8},
        {DType::kQ4_0, "q4_0", 32, 18, 2},    {DType::kQ4_1, "q4_1", 32, 20, 3},
        {DType::kQ5_0, "q5_0", 32, 22, 6},    {DType::kQ5_1, "q5_1", 32, 24, 7},
        {DType::kQ4_K, "q4_K", 256, 144, 12}, {DType::kQ5_K, "q5_K", 256, 176, 13},
        {DType::kQ6_K, "q6_K", 256, 210, 14}, {DType::kQ8_K, "q8_K", 256, 292, 15},
        {DType::kI32, "i32", 1, 4, 26},
    };
    ASSERT_EQ(std::size(rows), static_cast<size_t>(kNumDTypes));
    for (const Row& r : rows) {
        const DTypeInfo& info = dtype_info(r.type);
        EXPECT_EQ(info.name, r.name);
        EXPECT_EQ(info.block_size, r.block_size) << r.name;
        EXPECT_EQ(info.type_size, r.type_size) << r.name;
        EXPECT_EQ(info.ggml_id, r.ggml_id) << r.name;
        EXPECT_EQ(info.quantized, r.block_size > 1) << r.name;
        EXPECT_EQ(dtype_from_ggml(r.ggml_id), r.type) << r.name;
        EXPECT_EQ(dtype_from_name(r.name), r.type) << r.name;
    }
    EXPECT_EQ(dtype_from_name("Q4_k"), DType::kQ4_K);
    EXPECT_EQ(dtype_from_name("BF16"), DType::kBF16);
    EXPECT_EQ(dtype_from_name("q3_K"), std::nullopt);
    EXPECT_EQ(dtype_from_name(""), std::nullopt);
    EXPECT_EQ(dtype_from_ggml(10), std::nullopt);  // q2_K
    EXPECT_EQ(dtype_from_ggml(16), std::nullopt);  // iq2_xxs
}

TEST(DType, RowBytes) {
    EXPECT_EQ(row_bytes(DType::kF32, 7), 28u);
    EXPECT_EQ(row_bytes(DType::kQ4_0, 64), 36u);
    EXPECT_EQ(row_bytes(DType::kQ6_K, 512), 420u);
    EXPECT_EQ(row_bytes(DType::kQ8_0, 0), 0u);
    EXPECT_TRUE(row_fits(DType::kQ4_K, 256));
    EXPECT_FALSE(row_fits(DType::kQ4_K, 128));
    EXPECT_FALSE(row_fits(DType::kQ8_0, 33));
    EXPECT_DEATH(row_bytes(DType::kQ8_0, 33), "not whole q8_0 blocks");
}

TEST(Shape, Basics) {
    const Shape s{2, 3, 4};
    EXPECT_EQ(s.ndim(), 3);
    EXPECT_EQ(s.numel(), 24);
    EXPECT_EQ(s.cols(), 4);
    EXPECT_EQ(s.rows(), 6);
    EXPECT_EQ(s.str(), "(2, 3, 4)");
    EXPECT_EQ(s, (Shape{2, 3, 4}));
    EXPECT_NE(s, (Shape{6, 4}));
    EXPECT_NE(s, (Shape{2, 3, 5}));
    const Shape scalar;
    EXPECT_EQ(scalar.numel(), 1);
    EXPECT_EQ(scalar.rows(), 1);
    EXPECT_EQ(scalar.str(), "()");
    EXPECT_EQ((Shape{5, 0}).rows(), 5);  // no division by a zero last dimension
    EXPECT_EQ((Shape{0, 7}).rows(), 0);
    EXPECT_EQ((Shape{9}).rows(), 1);
    EXPECT_DEATH((Shape{1, 2, 3, 4, 5}), "at most 4");
}

TEST(Tensor, EmptyIsZeroedAlignedAndOwned) {
    const Tensor t = Tensor::empty(DType::kF32, {3, 5});
    ASSERT_TRUE(t.defined());
    EXPECT_TRUE(aligned64(t.data()));
    EXPECT_EQ(t.nbytes(), 60u);
    for (int i = 0; i < 15; ++i) EXPECT_EQ(t.data_as<float>()[i], 0.0f);
    const Tensor copy = t;  // shares bytes
    copy.mutable_data_as<float>()[4] = 2.5f;
    EXPECT_EQ(t.data_as<float>()[4], 2.5f);
    EXPECT_EQ(t.row(1), static_cast<const uint8_t*>(t.data()) + 20);

    const Tensor q = Tensor::empty(DType::kQ4_0, {2, 64});
    EXPECT_EQ(q.row_bytes(), 36u);
    EXPECT_EQ(q.nbytes(), 72u);
    EXPECT_DEATH(Tensor::empty(DType::kQ4_0, {2, 48}), "not whole q4_0 blocks");
}

TEST(Tensor, ViewKeepsOwnerAliveAndIsReadOnly) {
    auto owner = std::make_shared<std::vector<float>>(std::vector<float>{1, 2, 3, 4, 5, 6});
    const Tensor v = Tensor::view(DType::kF32, {2, 3}, owner->data(), owner);
    const std::weak_ptr<std::vector<float>> weak = owner;
    owner.reset();
    EXPECT_FALSE(weak.expired());
    EXPECT_EQ(v.data_as<float>()[5], 6.0f);
    EXPECT_DEATH(v.mutable_data(), "read-only view");
}

TEST(Tensor, ReshapeAndSliceRows) {
    Tensor t = Tensor::empty(DType::kF32, {2, 3, 4});
    for (int i = 0; i < 24; ++i) t.mutable_data_as<float>()[i] = static_cast<float>(i);
    const Tensor r = t.reshape({4, 6});
    EXPECT_EQ(r.shape(), (Shape{4, 6}));
    EXPECT_EQ(r.data(), t.data());
    EXPECT_DEATH(t.reshape({5, 5}), "changes the element count");

    const Tensor s = t.slice_rows(2, 5);  // rows of the (6, 4) view
    EXPECT_EQ(s.shape(), (Shape{3, 4}));
    EXPECT_EQ(s.data_as<float>()[0], 8.0f);
    EXPECT_EQ(s.data_as<float>()[11], 19.0f);
    EXPECT_EQ(t.slice_rows(6, 6).rows(), 0);
    EXPECT_DEATH(t.slice_rows(3, 7), "outside the 6 rows");

    const Tensor q = Tensor::empty(DType::kQ8_0, {4, 64});
    EXPECT_EQ(q.slice_rows(1, 3).row(0), q.row(1));
    EXPECT_DEATH(q.reshape({16, 16}), "not whole q8_0 blocks");
}

TEST(Tensor, ConvertAndBack) {
    Tensor x = Tensor::empty(DType::kF32, {2, 64});
    for (int i = 0; i < 128; ++i)
        x.mutable_data_as<float>()[i] = 0.25f * static_cast<float>(i - 64);
    for (DType type : {DType::kF16, DType::kBF16, DType::kQ8_0}) {
        const Tensor q = x.convert(type);
        EXPECT_EQ(q.dtype(), type);
        EXPECT_EQ(q.shape(), x.shape());
        // Multiples of 1/4 up to 16 are exact in f16/bf16, and (2 rows of) q8_0 with
        // amax = 16 or 15.75 reproduces those within half a step.
        const Tensor back = q.to_f32();
        for (int i = 0; i < 128; ++i) {
            const float want = x.data_as<float>()[i];
            const float got = back.data_as<float>()[i];
            if (type == DType::kQ8_0) {
                EXPECT_NEAR(got, want, 16.0f / 127 / 2 + 1e-3f) << i;
            } else {
                EXPECT_EQ(got, want) << dtype_name(type) << " " << i;
            }
        }
    }
    // to_f32 on a quantised view: row by row, the same as dequantize_row.
    const Tensor q4 = x.convert(DType::kQ4_0);
    const Tensor v = Tensor::view(DType::kQ4_0, {2, 64}, q4.data());
    std::vector<float> want(64);
    dequantize_row(DType::kQ4_0, v.row(1), want.data(), 64);
    EXPECT_EQ(std::memcmp(v.to_f32().data_as<float>() + 64, want.data(), 256), 0);

    const Tensor ids = Tensor::empty(DType::kI32, {3});
    ids.mutable_data_as<int32_t>()[2] = -7;
    EXPECT_EQ(ids.to_f32().data_as<float>()[2], -7.0f);
    EXPECT_DEATH(x.convert(DType::kQ4_K), "cannot produce q4_K");
}

TEST(Arena, BumpsAlignedAndResets) {
    Arena arena(1000);
    EXPECT_EQ(arena.capacity(), 1024u);
    float* a = arena.alloc<float>(3);
    char* b = arena.alloc<char>(65);
    EXPECT_TRUE(aligned64(a));
    EXPECT_TRUE(aligned64(b));
    EXPECT_EQ(reinterpret_cast<uint8_t*>(b) - reinterpret_cast<uint8_t*>(a), 64);
    EXPECT_EQ(arena.used(), 192u);
    arena.reset();
    EXPECT_EQ(arena.used(), 0u);
    EXPECT_EQ(arena.high_water(), 192u);
    EXPECT_EQ(arena.alloc<float>(1), a);
    EXPECT_DEATH(arena.alloc_bytes(2000), "request of 2000 bytes");
    arena.reserve(4096);
    EXPECT_EQ(arena.capacity(), 4096u);
    EXPECT_EQ(arena.used(), 0u);
    EXPECT_NE(arena.alloc_bytes(4096), nullptr);
}

TEST(Arena, AlignedAllocZeroes) {
    auto p = aligned_alloc_bytes(100);
    EXPECT_TRUE(aligned64(p.get()));
    for (int i = 0; i < 100; ++i) EXPECT_EQ(p[i], 0);
    EXPECT_NE(aligned_alloc_bytes(0), nullptr);
}

}  // namespace
}  // namespace jenny::tensor
