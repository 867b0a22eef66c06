// rope_inv_freq against transformers (tests/fixtures/kernels/rope_inv_freq.json, written by
// tools/oracle/rope_fixtures.py) and rope_forward against a closed form and the reference.
//
// Tolerances: inv_freq must equal transformers' float32 values to within 1 ulp (torch's pow
// and libm's powf may round the last bit differently; everything after pow is mirrored op for
// op). rope_forward: the fast path takes cos/sin in f32 of the same f32 angle the reference
// uses in double, so |err| <= 2e-6 * (|x_a| + |x_b|). rope_backward: bounds above its test;
// finite differences (gradcheck.h) of L = Σ out · g on x.
#include "jenny/kernels/rope.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <vector>

#include "kernels/gradcheck.h"

namespace jenny::kernels {
namespace {

int32_t ulp_distance(float a, float b) {
    int32_t ia, ib;
    std::memcpy(&ia, &a, 4);
    std::memcpy(&ib, &b, 4);
    return std::abs(ia - ib);
}

TEST(KernelsRopeInvFreq, MatchesTransformersFixture) {
    std::ifstream f(JENNY_SOURCE_DIR "/tests/fixtures/kernels/rope_inv_freq.json");
    ASSERT_TRUE(f) << "missing fixture; run tools/oracle/rope_fixtures.py";
    const nlohmann::json j = nlohmann::json::parse(f);
    int exact = 0, total = 0;
    for (const auto& c : j["cases"]) {
        SCOPED_TRACE(c["name"].get<std::string>());
        RopeScaling s;
        const std::string type = c["rope_type"];
        if (type == "linear") {
            s.kind = RopeScaling::Kind::kLinear;
            s.factor = c["factor"];
        } else if (type == "llama3") {
            s.kind = RopeScaling::Kind::kLlama3;
            s.factor = c["factor"];
            s.low_freq_factor = c["low_freq_factor"];
            s.high_freq_factor = c["high_freq_factor"];
            s.original_max_position = c["original_max_position_embeddings"];
        }
        const std::vector<float> got = rope_inv_freq(c["head_dim"], c["rope_theta"], s);
        const auto& bits = c["inv_freq_bits"];
        ASSERT_EQ(got.size(), bits.size());
        for (size_t i = 0; i < got.size(); ++i) {
            const uint32_t b = bits[i];
            float want;
            std::memcpy(&want, &b, 4);
            EXPECT_LE(ulp_distance(got[i], want), 1)
                << "i=" << i << " got " << got[i] << " want " << want;
            exact += got[i] == want;
            ++total;
        }
    }
    std::printf("rope_inv_freq: %d of %d frequencies bit-exact with transformers\n", exact, total);
}

TEST(KernelsRopeInvFreq, DefaultClosedForm) {
    const std::vector<float> f = rope_inv_freq(8, 10000.0, {});
    ASSERT_EQ(f.size(), 4u);
    EXPECT_EQ(f[0], 1.0f);
    EXPECT_NEAR(f[1], 0.1f, 1e-7);
    EXPECT_NEAR(f[2], 0.01f, 1e-8);
    EXPECT_NEAR(f[3], 0.001f, 1e-9);
}

TEST(KernelsRope, ClosedFormBothStyles) {
    // One head, D = 4, inv_freq {1, 0.5}, position 3: each pair rotates by pos * freq.
    const float inv_freq[2] = {1.0f, 0.5f};
    const int32_t pos = 3;
    float half[4] = {1.0f, 2.0f, 0.0f, 0.0f};  // pairs (0, 2) and (1, 3)
    rope_forward(half, &pos, inv_freq, 1, 1, 4, RopeStyle::kHalf);
    EXPECT_NEAR(half[0], std::cos(3.0f), 1e-6);
    EXPECT_NEAR(half[2], std::sin(3.0f), 1e-6);
    EXPECT_NEAR(half[1], 2.0f * std::cos(1.5f), 1e-6);
    EXPECT_NEAR(half[3], 2.0f * std::sin(1.5f), 1e-6);
    float inter[4] = {1.0f, 0.0f, 0.0f, 2.0f};  // pairs (0, 1) and (2, 3)
    rope_forward(inter, &pos, inv_freq, 1, 1, 4, RopeStyle::kInterleaved);
    EXPECT_NEAR(inter[0], std::cos(3.0f), 1e-6);
    EXPECT_NEAR(inter[1], std::sin(3.0f), 1e-6);
    EXPECT_NEAR(inter[2], -2.0f * std::sin(1.5f), 1e-6);
    EXPECT_NEAR(inter[3], 2.0f * std::cos(1.5f), 1e-6);
}

TEST(KernelsRope, MatchesReference) {
    std::mt19937 rng(1);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    for (int D : {64, 128}) {
        for (RopeStyle style : {RopeStyle::kHalf, RopeStyle::kInterleaved}) {
            const int64_t N = 17;
            const int H = 3;
            const std::vector<float> inv = rope_inv_freq(D, 500000.0, {});
            std::vector<int32_t> pos(N);
            for (int64_t n = 0; n < N; ++n) pos[n] = static_cast<int32_t>(n * 977 % 9000);
            std::vector<float> x(static_cast<size_t>(N * H * D));
            for (float& v : x) v = dist(rng);
            std::vector<float> fast = x, ref = x;
            rope_forward(fast.data(), pos.data(), inv.data(), N, H, D, style);
            reference::rope_forward(ref.data(), pos.data(), inv.data(), N, H, D, style);
            for (size_t i = 0; i < x.size(); ++i) {
                ASSERT_NEAR(fast[i], ref[i], 2e-6 * (2.0 + 2.0 * std::fabs(x[i]))) << i;
            }
        }
    }
}

// rope_backward against the reference (same bound as the forward), and as the inverse of
// rope_forward: forward then backward gives x back to |err| <= 4e-6 (|x_a| + |x_b|) (two
// rotations with f32 cos/sin). Odd sizes, both pairings, a llama3-scaled inv_freq.
TEST(KernelsRopeBackward, MatchesReferenceAndInvertsForward) {
    std::mt19937 rng(2);
    for (int D : {8, 16, 64}) {
        for (int H : {1, 3}) {
            for (int64_t N : {1, 5, 13}) {
                for (RopeStyle style : {RopeStyle::kHalf, RopeStyle::kInterleaved}) {
                    SCOPED_TRACE(testing::Message() << "D=" << D << " H=" << H << " N=" << N
                                                    << " half=" << (style == RopeStyle::kHalf));
                    RopeScaling llama3;
                    llama3.kind = RopeScaling::Kind::kLlama3;
                    llama3.factor = 8.0f;
                    const std::vector<float> inv = rope_inv_freq(D, 500000.0, llama3);
                    std::vector<int32_t> pos(static_cast<size_t>(N));
                    for (int64_t n = 0; n < N; ++n) pos[n] = static_cast<int32_t>(n * 977 % 9000);
                    const auto dout = gradcheck::random_vector(N * H * D, rng);
                    std::vector<float> fast = dout, ref = dout;
                    rope_backward(fast.data(), pos.data(), inv.data(), N, H, D, style);
                    reference::rope_backward(ref.data(), pos.data(), inv.data(), N, H, D, style);
                    for (size_t i = 0; i < ref.size(); ++i) {
                        ASSERT_NEAR(fast[i], ref[i], 2e-6 * (2.0 + 2.0 * std::fabs(dout[i]))) << i;
                    }
                    std::vector<float> round = dout;
                    rope_forward(round.data(), pos.data(), inv.data(), N, H, D, style);
                    rope_backward(round.data(), pos.data(), inv.data(), N, H, D, style);
                    for (size_t i = 0; i < ref.size(); ++i) {
                        ASSERT_NEAR(round[i], dout[i], 4e-6 * (2.0 + 2.0 * std::fabs(dout[i])))
                            << i;
                    }
                }
            }
        }
    }
}

TEST(KernelsRopeBackward, FiniteDifferences) {
    std::mt19937 rng(3);
    const int64_t N = 5;
    const int H = 2, D = 8;
    const std::vector<float> inv = rope_inv_freq(D, 10000.0, {});
    const std::vector<int32_t> pos = {0, 3, 7, 100, 4000};
    const auto g = gradcheck::random_vector(N * H * D, rng);
    for (RopeStyle style : {RopeStyle::kHalf, RopeStyle::kInterleaved}) {
        auto x = gradcheck::random_vector(N * H * D, rng);
        auto loss = [&] {
            std::vector<float> out = x;
            reference::rope_forward(out.data(), pos.data(), inv.data(), N, H, D, style);
            return gradcheck::dot(out, g);
        };
        for (bool ref : {true, false}) {
            SCOPED_TRACE(testing::Message()
                         << (ref ? "reference" : "cpu") << " half=" << (style == RopeStyle::kHalf));
            std::vector<float> dx = g;
            (ref ? reference::rope_backward : rope_backward)(dx.data(), pos.data(), inv.data(), N,
                                                             H, D, style);
            gradcheck::check("dx", x.data(), dx.data(), N * H * D, loss, rng, 12);
        }
    }
}

}  // namespace
}  // namespace jenny::kernels
