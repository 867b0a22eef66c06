// embedding_forward against the reference (tensor::dequantize_row of each id's row): exact for
// every table dtype.
#include "jenny/kernels/embedding.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace jenny::kernels {
namespace {

using tensor::DType;

TEST(KernelsEmbedding, MatchesReferenceForEveryDType) {
    const int64_t V = 11, C = 64;
    tensor::Tensor t32 = tensor::Tensor::empty(DType::kF32, {V, C});
    std::mt19937 rng(8);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    for (int64_t i = 0; i < V * C; ++i) t32.mutable_data_as<float>()[i] = dist(rng);
    const std::vector<int32_t> ids = {3, 0, 10, 3, 7};
    for (DType dt : {DType::kF32, DType::kF16, DType::kBF16, DType::kQ8_0, DType::kQ4_0,
                     DType::kQ4_1, DType::kQ5_0, DType::kQ5_1}) {
        const tensor::Tensor table = dt == DType::kF32 ? t32 : t32.convert(dt);
        std::vector<float> out(ids.size() * C), ref(ids.size() * C);
        embedding_forward(out.data(), ids.data(), static_cast<int64_t>(ids.size()), table);
        reference::embedding_forward(ref.data(), ids.data(), static_cast<int64_t>(ids.size()),
                                     table);
        EXPECT_EQ(out, ref) << tensor::dtype_name(dt);
    }
}

TEST(KernelsEmbeddingDeathTest, IdOutOfRange) {
    tensor::Tensor t = tensor::Tensor::empty(DType::kF32, {4, 8});
    std::vector<float> out(8);
    const int32_t id = 4;
    EXPECT_DEATH(embedding_forward(out.data(), &id, 1, t), "outside");
}

}  // namespace
}  // namespace jenny::kernels
