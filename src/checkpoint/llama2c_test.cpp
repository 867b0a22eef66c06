// Llama2cFile: the real stories260K checkpoint (shared data), version 1 and unshared-classifier
// files made from it, every bad header value, every truncation of a tiny model, byte flips.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cstring>
#include <random>

#include "jenny/base/env.h"
#include "jenny/checkpoint/llama2c.h"

namespace jenny::checkpoint {
namespace {

using base::StatusCode;
using tensor::Tensor;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kStories = JENNY_SHARED_DATA "/models/stories260K/stories260K.bin";

std::string read(const std::string& path) {
    auto r = base::Env::Default()->read_file(path);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? *r : std::string();
}

std::span<const uint8_t> as_bytes(const std::string& s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string i32s(std::initializer_list<int32_t> v) {
    std::string out;
    for (int32_t x : v) out.append(reinterpret_cast<const char*>(&x), 4);
    return out;
}

float f32_at(const std::string& file, size_t offset) {
    float f;
    std::memcpy(&f, file.data() + offset, 4);
    return f;
}

bool same_bytes(const Tensor& a, const Tensor& b) {
    return a.shape() == b.shape() && a.nbytes() == b.nbytes() &&
           std::memcmp(a.data(), b.data(), a.nbytes()) == 0;
}

TEST(Llama2c, Stories260K) {
    auto r = Llama2cFile::open(kStories);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    const Llama2cFile& m = **r;
    const Llama2cConfig& c = m.config();
    EXPECT_EQ(c.version, 0);
    EXPECT_EQ(c.dim, 64);
    EXPECT_EQ(c.hidden_dim, 172);
    EXPECT_EQ(c.n_layers, 5);
    EXPECT_EQ(c.n_heads, 8);
    EXPECT_EQ(c.n_kv_heads, 4);
    EXPECT_EQ(c.vocab_size, 512);
    EXPECT_EQ(c.seq_len, 512);
    EXPECT_TRUE(c.shared_classifier);
    EXPECT_EQ(c.head_size(), 8);
    EXPECT_EQ(c.kv_dim(), 32);
    EXPECT_EQ(m.header_bytes(), 28u);

    EXPECT_EQ(m.tok_embeddings().shape(), (tensor::Shape{512, 64}));
    ASSERT_EQ(m.layers().size(), 5u);
    const Llama2cLayer& l2 = m.layers()[2];
    EXPECT_EQ(l2.wq.shape(), (tensor::Shape{64, 64}));
    EXPECT_EQ(l2.wk.shape(), (tensor::Shape{32, 64}));
    EXPECT_EQ(l2.wv.shape(), (tensor::Shape{32, 64}));
    EXPECT_EQ(l2.w1.shape(), (tensor::Shape{172, 64}));
    EXPECT_EQ(l2.w2.shape(), (tensor::Shape{64, 172}));
    EXPECT_EQ(l2.rms_att.shape(), (tensor::Shape{64}));
    EXPECT_EQ(m.freq_cis_real().shape(), (tensor::Shape{512, 4}));
    EXPECT_EQ(m.wcls().data(), m.tok_embeddings().data());

    // Values against offsets computed by hand from run.c's memory_map_weights.
    const std::string file = read(kStories);
    auto parsed = Llama2cFile::parse(as_bytes(file), "stories");
    ASSERT_TRUE(parsed.ok());
    const Llama2cFile& p = **parsed;
    auto offset_of = [&](const Tensor& t) {
        return static_cast<size_t>(static_cast<const uint8_t*>(t.data()) - as_bytes(file).data());
    };
    const size_t V = 512, D = 64, L = 5, K = 32, F = 172;
    size_t wq0 = 28 + 4 * (V * D + L * D);
    EXPECT_EQ(offset_of(p.layers()[0].wq), wq0);
    size_t w2_3 =
        28 + 4 * (V * D + L * D + 2 * L * D * D + 2 * L * K * D + L * D + L * F * D + 3 * D * F);
    EXPECT_EQ(offset_of(p.layers()[3].w2), w2_3);
    EXPECT_EQ(m.layers()[3].w2.data_as<float>()[5], f32_at(file, w2_3 + 20));
    size_t rms_final = file.size() - 4 * (D + 2 * 512 * 4);
    EXPECT_EQ(offset_of(p.rms_final()), rms_final);
    EXPECT_EQ(m.rms_final().data_as<float>()[63], f32_at(file, rms_final + 4 * 63));
    // The RoPE tables hold cos/sin of position * freq; row 0 is cos 0 = 1, sin 0 = 0.
    EXPECT_FLOAT_EQ(m.freq_cis_real().data_as<float>()[0], 1.0f);
    EXPECT_FLOAT_EQ(m.freq_cis_imag().data_as<float>()[0], 0.0f);

    auto named = m.named_tensors();
    EXPECT_EQ(named.size(), 1 + 9 * 5 + 1u);
    EXPECT_EQ(named.front().first, "tok_embeddings.weight");
    EXPECT_EQ(named[3].first, "layers.0.attention.wk.weight");
    EXPECT_EQ(named.back().first, "norm.weight");

    // Views outlive the file.
    Tensor kept = m.layers()[4].w3;
    float v = kept.data_as<float>()[100];
    r->reset();
    EXPECT_EQ(kept.data_as<float>()[100], v);
}

// The stories260K weights rewritten as a version 1 file (norms first, no RoPE tables), and
// optionally with an unshared classifier appended.
std::string to_v1(const Llama2cFile& m, bool shared) {
    const Llama2cConfig& c = m.config();
    std::string out;
    uint32_t magic = kLlama2cMagic;
    out.append(reinterpret_cast<const char*>(&magic), 4);
    out += i32s(
        {1, c.dim, c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads, c.vocab_size, c.seq_len});
    out += static_cast<char>(shared ? 1 : 0);
    out.resize(256, '\0');
    auto put = [&](const Tensor& t) { out.append(static_cast<const char*>(t.data()), t.nbytes()); };
    for (const auto& l : m.layers()) put(l.rms_att);
    for (const auto& l : m.layers()) put(l.rms_ffn);
    put(m.rms_final());
    put(m.tok_embeddings());
    for (const auto& l : m.layers()) put(l.wq);
    for (const auto& l : m.layers()) put(l.wk);
    for (const auto& l : m.layers()) put(l.wv);
    for (const auto& l : m.layers()) put(l.wo);
    for (const auto& l : m.layers()) put(l.w1);
    for (const auto& l : m.layers()) put(l.w2);
    for (const auto& l : m.layers()) put(l.w3);
    if (!shared) {
        for (size_t i = 0; i < m.tok_embeddings().nbytes(); ++i) out += static_cast<char>(i * 7);
    }
    return out;
}

void expect_same_weights(const Llama2cFile& a, const Llama2cFile& b) {
    EXPECT_TRUE(same_bytes(a.tok_embeddings(), b.tok_embeddings()));
    EXPECT_TRUE(same_bytes(a.rms_final(), b.rms_final()));
    ASSERT_EQ(a.layers().size(), b.layers().size());
    for (size_t l = 0; l < a.layers().size(); ++l) {
        const Llama2cLayer &x = a.layers()[l], &y = b.layers()[l];
        for (auto [p, q] : {std::pair{&x.rms_att, &y.rms_att},
                            {&x.wq, &y.wq},
                            {&x.wk, &y.wk},
                            {&x.wv, &y.wv},
                            {&x.wo, &y.wo},
                            {&x.rms_ffn, &y.rms_ffn},
                            {&x.w1, &y.w1},
                            {&x.w2, &y.w2},
                            {&x.w3, &y.w3}}) {
            EXPECT_TRUE(same_bytes(*p, *q)) << "layer " << l;
        }
    }
}

TEST(Llama2c, Version1) {
    auto v0 = Llama2cFile::open(kStories);
    ASSERT_TRUE(v0.ok());
    for (bool shared : {true, false}) {
        std::string bytes = to_v1(**v0, shared);
        auto v1 = Llama2cFile::parse(as_bytes(bytes), "v1.bin");
        ASSERT_TRUE(v1.ok()) << v1.status().to_string();
        EXPECT_EQ((*v1)->config().version, 1);
        EXPECT_EQ((*v1)->config().shared_classifier, shared);
        EXPECT_EQ((*v1)->header_bytes(), 256u);
        EXPECT_FALSE((*v1)->freq_cis_real().defined());
        expect_same_weights(**v0, **v1);
        if (shared) {
            EXPECT_EQ((*v1)->wcls().data(), (*v1)->tok_embeddings().data());
        } else {
            EXPECT_EQ(static_cast<const uint8_t*>((*v1)->wcls().data()),
                      as_bytes(bytes).data() + bytes.size() - (*v1)->wcls().nbytes());
            EXPECT_EQ((*v1)->named_tensors().back().first, "output.weight");
        }
    }
}

TEST(Llama2c, UnsharedClassifierV0) {
    std::string bytes = read(kStories);
    int32_t neg = -512;
    std::memcpy(bytes.data() + 20, &neg, 4);
    const size_t cls = 512 * 64 * 4;
    for (size_t i = 0; i < cls; ++i) bytes += static_cast<char>(i);
    auto m = Llama2cFile::parse(as_bytes(bytes), "unshared.bin");
    ASSERT_TRUE(m.ok()) << m.status().to_string();
    EXPECT_FALSE((*m)->config().shared_classifier);
    EXPECT_EQ((*m)->config().vocab_size, 512);
    EXPECT_EQ((*m)->wcls().shape(), (tensor::Shape{512, 64}));
    EXPECT_EQ(static_cast<const uint8_t*>((*m)->wcls().data()),
              as_bytes(bytes).data() + bytes.size() - cls);

    // The size of an unshared file with a positive vocab_size: a hint.
    std::memcpy(bytes.data() + 20, &(neg = 512), 4);
    auto bad = Llama2cFile::parse(as_bytes(bytes), "x.bin");
    ASSERT_FALSE(bad.ok());
    EXPECT_THAT(bad.status().message(), HasSubstr("vocab_size should be negative"));
}

// ---------------------------------------------------------------------------------------------
// Bad input.

// A tiny valid v0 model: dim 8, hidden 12, 2 layers, 2 heads, 1 kv head, vocab 10, seq 3.
std::string tiny_v0(std::initializer_list<int32_t> header = {8, 12, 2, 2, 1, 10, 3}) {
    std::string out = i32s(header);
    const uint64_t D = 8, F = 12, L = 2, K = 4, V = 10, S = 3, H = 4;
    uint64_t floats = V * D + L * (2 * D + 2 * D * D + 2 * K * D + 3 * F * D) + D + S * H;
    for (uint64_t i = 0; i < floats; ++i) {
        float f = static_cast<float>(i) * 0.01f;
        out.append(reinterpret_cast<const char*>(&f), 4);
    }
    return out;
}

void expect_error(const std::string& bytes, StatusCode code,
                  std::initializer_list<std::string_view> parts) {
    auto r = Llama2cFile::parse(as_bytes(bytes), "t.bin");
    ASSERT_FALSE(r.ok()) << "parsed a bad file";
    EXPECT_EQ(r.status().code(), code) << r.status().to_string();
    EXPECT_THAT(r.status().message(), StartsWith("t.bin: "));
    for (std::string_view p : parts) {
        EXPECT_THAT(r.status().message(), HasSubstr(std::string(p)));
    }
}

TEST(Llama2cBad, HeaderFields) {
    ASSERT_TRUE(Llama2cFile::parse(as_bytes(tiny_v0()), "tiny").ok());
    const char* names[7] = {"dim",        "hidden_dim", "n_layers", "n_heads",
                            "n_kv_heads", "vocab_size", "seq_len"};
    for (int i = 0; i < 7; ++i) {
        std::string b = tiny_v0();
        int32_t zero = 0;
        std::memcpy(b.data() + 4 * i, &zero, 4);
        expect_error(b, i == 0 ? StatusCode::kInvalidArgument : StatusCode::kCorruption,
                     {std::string("header field ") + names[i],
                      fmt::format("(int32 at byte {}) is 0", 4 * i), "positive"});
    }
    expect_error(tiny_v0({8, 12, 2, 3, 1, 10, 3}), StatusCode::kCorruption,
                 {"n_heads (int32 at byte 12) is 3", "does not divide dim 8"});
    expect_error(tiny_v0({8, 12, 2, 2, 3, 10, 3}), StatusCode::kCorruption,
                 {"n_kv_heads (int32 at byte 16) is 3", "does not divide n_heads 2"});
    expect_error(tiny_v0({6, 12, 2, 2, 1, 10, 3}), StatusCode::kCorruption,
                 {"head size", "= 3 is odd"});
    expect_error(tiny_v0({8, 12, 2, 2, 1, INT32_MIN, 3}), StatusCode::kCorruption,
                 {"vocab_size", "-2147483648"});
    // Huge dimensions: the size check, not an overflow or an allocation.
    expect_error(tiny_v0({INT32_MAX - 3, INT32_MAX, INT32_MAX, 2, 1, INT32_MAX, INT32_MAX}),
                 StatusCode::kCorruption, {"2^64"});
    expect_error(tiny_v0({1 << 20, 1 << 20, 1000, 2, 1, 32000, 4096}), StatusCode::kCorruption,
                 {"truncated", "inside tok_embeddings"});
    expect_error("abc", StatusCode::kCorruption, {"3 bytes", "too short"});
}

TEST(Llama2cBad, Versions) {
    auto v1 = [](int32_t version, uint8_t shared = 1) {
        std::string b("24ka", 4);
        b += i32s({version, 8, 12, 2, 2, 1, 10, 3});
        b += static_cast<char>(shared);
        b.resize(256, '\0');
        return b;
    };
    expect_error(v1(2), StatusCode::kUnsupported, {"version 2", "--version 1"});
    expect_error(v1(7), StatusCode::kUnsupported, {"version 7", "byte 4"});
    expect_error(v1(1, 2), StatusCode::kCorruption, {"shared_classifier (byte 36) is 2"});
    expect_error(v1(1).substr(0, 100), StatusCode::kCorruption, {"100 bytes", "256-byte"});
    expect_error(v1(1), StatusCode::kCorruption,
                 {"file is 256 bytes", "implies", "inside rms_att_weight"});
    expect_error(std::string("24ka\1", 5), StatusCode::kCorruption, {"version"});
}

TEST(Llama2cBad, SizeMismatchNamesTheTensor) {
    std::string b = tiny_v0();
    expect_error(b + "xyz", StatusCode::kCorruption, {"3 bytes too many", "dim=8"});
    // w2 of layer 1: after tok_emb, rms_att, wq, wk, wv, wo, rms_ffn, w1 and layer 0 of w2.
    const size_t w2 = 28 + 4 * (80 + 16 + 128 + 64 + 64 + 128 + 16 + 192);
    expect_error(
        b.substr(0, w2 + 4 * 96 + 10), StatusCode::kCorruption,
        {fmt::format("it ends at byte {}", w2 + 4 * 96 + 10), "inside w2", "layer 1", "truncated"});
}

TEST(Llama2cSweep, EveryTruncationAndByteFlipsOfATinyModel) {
    const std::string whole = tiny_v0();
    for (size_t n = 0; n < whole.size(); ++n) {
        auto r = Llama2cFile::parse(as_bytes(whole.substr(0, n)), "cut");
        ASSERT_FALSE(r.ok()) << n;
        EXPECT_THAT(r.status().message(), StartsWith("cut: "));
    }
    std::mt19937 rng(99);
    int parsed = 0;
    for (int i = 0; i < 5000; ++i) {
        std::string b = whole;
        size_t at = rng() % 2 ? rng() % 28 : rng() % b.size();
        b[at] = static_cast<char>(b[at] ^ (1u << (rng() % 8)));
        if (rng() % 4 == 0) b[3 + 4 * (rng() % 7)] ^= static_cast<char>(0x80);  // negative
        auto r = Llama2cFile::parse(as_bytes(b), "flip");
        if (r.ok()) {
            ++parsed;
            const Llama2cFile& m = **r;
            float sum = m.tok_embeddings().data_as<float>()[m.tok_embeddings().numel() - 1];
            for (const auto& l : m.layers()) sum += l.w3.data_as<float>()[l.w3.numel() - 1];
            sum += m.wcls().data_as<float>()[0];
            volatile float sink = sum;
            (void)sink;
        } else {
            EXPECT_THAT(r.status().message(), StartsWith("flip: "));
        }
    }
    EXPECT_GT(parsed, 0);
}

}  // namespace
}  // namespace jenny::checkpoint

namespace jenny::checkpoint {
namespace {

// The fuzz seeds (fuzz/llama2c_fuzz/) are valid models of every version and classifier kind.
TEST(Llama2c, FuzzSeedsParse) {
    const std::string dir = JENNY_SOURCE_DIR "/fuzz/llama2c_fuzz";
    for (std::string name : {"tiny_v0_shared.bin", "tiny_v0_unshared.bin", "tiny_v1_shared.bin",
                             "tiny_v1_unshared.bin"}) {
        auto m = Llama2cFile::open(dir + "/" + name);
        ASSERT_TRUE(m.ok()) << m.status().to_string();
        EXPECT_EQ((*m)->config().version, name[6] - '0');
        EXPECT_EQ((*m)->config().shared_classifier, name.find("unshared") == std::string::npos);
        EXPECT_EQ((*m)->config().kv_dim(), 4);
    }
}

}  // namespace
}  // namespace jenny::checkpoint
