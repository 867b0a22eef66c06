// embedding_forward against the reference (tensor::dequantize_row of each id's row): exact for
// every table dtype. embedding_backward: exact against the reference; finite differences
// (gradcheck.h) of L = Σ out · g on the table.
#include "jenny/kernels/embedding.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "kernels/gradcheck.h"

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

// embedding_backward: each id's row gets the dout rows added in token order, so the fast path
// equals the reference exactly (repeated ids included).
TEST(KernelsEmbeddingBackward, MatchesReference) {
    std::mt19937 rng(9);
    for (int64_t C : {1, 7, 33, 64}) {
        const int64_t V = 11;
        const std::vector<int32_t> ids = {3, 0, 10, 3, 7, 3, 0};
        const int64_t N = static_cast<int64_t>(ids.size());
        const auto dout = gradcheck::random_vector(N * C, rng);
        const auto t0 = gradcheck::random_vector(V * C, rng);
        std::vector<float> dt = t0, rdt = t0;
        embedding_backward(dt.data(), dout.data(), ids.data(), N, C);
        reference::embedding_backward(rdt.data(), dout.data(), ids.data(), N, C);
        EXPECT_EQ(dt, rdt) << "C=" << C;
        // Rows no id names are untouched.
        for (int64_t c = 0; c < C; ++c)
            EXPECT_EQ(dt[static_cast<size_t>(5 * C + c)], t0[static_cast<size_t>(5 * C + c)]);
    }
}

TEST(KernelsEmbeddingBackward, FiniteDifferences) {
    const int64_t V = 6, C = 5;
    const std::vector<int32_t> ids = {2, 4, 2, 0};
    const int64_t N = static_cast<int64_t>(ids.size());
    std::mt19937 rng(10);
    tensor::Tensor table = tensor::Tensor::empty(DType::kF32, {V, C});
    float* t = table.mutable_data_as<float>();
    const auto t0 = gradcheck::random_vector(V * C, rng);
    std::copy(t0.begin(), t0.end(), t);
    const auto g = gradcheck::random_vector(N * C, rng);
    auto loss = [&] {
        std::vector<float> out(static_cast<size_t>(N * C));
        reference::embedding_forward(out.data(), ids.data(), N, table);
        return gradcheck::dot(out, g);
    };
    for (bool ref : {true, false}) {
        SCOPED_TRACE(ref ? "reference" : "cpu");
        std::vector<float> dt(static_cast<size_t>(V * C), 0.0f);
        (ref ? reference::embedding_backward : embedding_backward)(dt.data(), g.data(), ids.data(),
                                                                   N, C);
        // Row 2 twice, row 4 once, row 1 never (gradient 0).
        gradcheck::check("dtable", t, dt.data(), V * C, loss, rng, 6, {2 * C + 1, 4 * C, C + 3});
    }
}

}  // namespace
}  // namespace jenny::kernels
