// GGUF vocabularies: SmolLM2-135M-Instruct's vocabulary against llama.cpp (a committed fixture
// that tools/oracle/llama_cpp_tokenize.py makes with llama-cpp-python), decoding, and bad
// files.
#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "jenny/base/env.h"
#include "jenny/base/paths.h"
#include "jenny/tokenizer/tokenizer.h"

namespace jenny::tokenizer {
namespace {

// SHA-256 (FIPS 180-4), for the fixture's digests of id lists.
std::string sha256_hex(std::string_view data) {
    static const uint32_t k[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2};
    uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    std::string msg(data);
    const uint64_t bits = static_cast<uint64_t>(data.size()) * 8;
    msg += static_cast<char>(0x80);
    while (msg.size() % 64 != 56) msg += '\0';
    for (int i = 7; i >= 0; --i) msg += static_cast<char>((bits >> (i * 8)) & 0xff);
    auto rotr = [](uint32_t x, int n) { return (x >> n) | (x << (32 - n)); };
    for (size_t off = 0; off < msg.size(); off += 64) {
        uint32_t w[64];
        for (int i = 0; i < 16; ++i) {
            w[i] = 0;
            for (int b = 0; b < 4; ++b) {
                w[i] = (w[i] << 8) |
                       static_cast<unsigned char>(msg[off + static_cast<size_t>(i * 4 + b)]);
            }
        }
        for (int i = 16; i < 64; ++i) {
            uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
            uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
        for (int i = 0; i < 64; ++i) {
            uint32_t t1 =
                hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + k[i] + w[i];
            uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            hh = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
        }
        h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
    }
    return fmt::format("{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}", h[0], h[1], h[2], h[3],
                       h[4], h[5], h[6], h[7]);
}

TEST(Sha256, KnownVector) {
    EXPECT_EQ(sha256_hex("abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

std::vector<std::string> mixed_corpus() {
    std::vector<std::string> out;
    const std::string path =
        testing::TempDir() + "/" + std::to_string(::getpid()) + "_gguf_mixed_corpus.jsonl";
    const std::string cmd = std::string(JENNY_SOURCE_DIR "/.venv/bin/python ") +
                            JENNY_SOURCE_DIR "/tools/oracle/mixed_corpus.py " + path +
                            " > /dev/null";
    if (std::system(cmd.c_str()) != 0) return out;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
        out.push_back(nlohmann::json::parse(line)["text"].get<std::string>());
    }
    return out;
}

TEST(GgufVocab, SmolLM2MatchesLlamaCppOnMixedCorpus) {
    auto path = base::smollm2_gguf_path();
    ASSERT_TRUE(path.ok()) << path.status().to_string();
    auto tok = Tokenizer::load(*path);
    ASSERT_TRUE(tok.ok()) << tok.status().to_string();
    EXPECT_EQ((*tok)->type_name(), "gguf-gpt2");
    std::ifstream in(JENNY_SOURCE_DIR "/tests/fixtures/tokenizer/smollm2_mixed_corpus.json");
    ASSERT_TRUE(in) << "fixture missing: run tools/oracle/llama_cpp_tokenize.py --out ...";
    nlohmann::json fixture = nlohmann::json::parse(in);
    const auto docs = mixed_corpus();
    ASSERT_EQ(docs.size(), fixture["docs"].size()) << "mixed_corpus.py changed?";
    size_t bytes = 0;
    int bad = 0;
    EncodeOptions opt;
    opt.add_special = false;
    opt.parse_special = false;
    for (size_t i = 0; i < docs.size(); ++i) {
        bytes += docs[i].size();
        auto ids = (*tok)->encode(docs[i], opt);
        ASSERT_TRUE(ids.ok()) << ids.status().to_string();
        const nlohmann::json& want = fixture["docs"][i];
        std::string joined;
        for (size_t j = 0; j < ids->size(); ++j) {
            if (j > 0) joined += ' ';
            joined += std::to_string((*ids)[j]);
        }
        std::vector<TokenId> head(
            ids->begin(),
            ids->begin() + static_cast<std::ptrdiff_t>(std::min<size_t>(ids->size(), 64)));
        const bool same = want["n"].get<size_t>() == ids->size() &&
                          want["sha256"].get<std::string>() == sha256_hex(joined) &&
                          want["head"].get<std::vector<TokenId>>() == head;
        if (!same && ++bad <= 3) {
            ADD_FAILURE() << "document " << i
                          << " differs from llama.cpp: " << testing::PrintToString(docs[i])
                          << "\n want head " << want["head"].dump() << " (" << want["n"]
                          << " ids)\n got  " << testing::PrintToString(head) << " (" << ids->size()
                          << " ids)";
        }
        EXPECT_EQ((*tok)->decode(*ids), docs[i]) << "round trip of document " << i;
    }
    EXPECT_GE(bytes, 1'000'000u);
    EXPECT_EQ(bad, 0) << "of " << docs.size() << " documents";
}

TEST(GgufVocab, SmolLM2SpecialsAndPieces) {
    auto path = base::smollm2_gguf_path();
    ASSERT_TRUE(path.ok()) << path.status().to_string();
    auto tok = Tokenizer::load(*path);
    ASSERT_TRUE(tok.ok()) << tok.status().to_string();
    const Tokenizer& t = **tok;
    auto im_start = t.token_id("<|im_start|>");
    ASSERT_TRUE(im_start.has_value());
    EXPECT_EQ(t.token_kind(*im_start), TokenKind::kControl);
    auto ids = t.encode("<|im_start|>user\nHi there", EncodeOptions{false, true});
    ASSERT_TRUE(ids.ok());
    ASSERT_FALSE(ids->empty());
    EXPECT_EQ(ids->front(), *im_start);
    EXPECT_EQ(t.decode(*ids), "<|im_start|>user\nHi there");
    EXPECT_EQ(t.decode(*ids, /*skip_special=*/true), "user\nHi there");
    auto plain = t.encode("<|im_start|>", EncodeOptions{false, false});
    ASSERT_TRUE(plain.ok());
    EXPECT_GT(plain->size(), 1u);          // tokenized as text
    auto the = t.token_id("\xc4\xa0the");  // "Ġthe"
    ASSERT_TRUE(the.has_value());
    EXPECT_EQ(t.token_to_piece(*the), " the");
}

// A minimal GGUF v3 writer for bad-input tests.
class GgufBuilder {
public:
    GgufBuilder& kv_str(const std::string& k, const std::string& v) {
        key(k, 8);
        str(v);
        ++n_kv_;
        return *this;
    }
    GgufBuilder& kv_strs(const std::string& k, const std::vector<std::string>& v) {
        key(k, 9);
        u32(8);
        u64(v.size());
        for (const auto& s : v) str(s);
        ++n_kv_;
        return *this;
    }
    GgufBuilder& kv_i32s(const std::string& k, const std::vector<int32_t>& v) {
        key(k, 9);
        u32(5);
        u64(v.size());
        for (int32_t x : v) u32(static_cast<uint32_t>(x));
        ++n_kv_;
        return *this;
    }
    std::string bytes() const {
        std::string out = "GGUF";
        auto put = [&](uint64_t v, int n) {
            for (int i = 0; i < n; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
        };
        put(3, 4);
        put(0, 8);
        put(n_kv_, 8);
        return out + body_;
    }

private:
    void u32(uint32_t v) {
        for (int i = 0; i < 4; ++i) body_ += static_cast<char>((v >> (8 * i)) & 0xff);
    }
    void u64(uint64_t v) {
        for (int i = 0; i < 8; ++i) body_ += static_cast<char>((v >> (8 * i)) & 0xff);
    }
    void str(const std::string& s) {
        u64(s.size());
        body_ += s;
    }
    void key(const std::string& k, uint32_t type) {
        str(k);
        u32(type);
    }
    std::string body_;
    uint64_t n_kv_ = 0;
};

base::Status load_bytes(const std::string& name, const std::string& bytes) {
    const std::string path = testing::TempDir() + "/" + std::to_string(::getpid()) + "_" + name;
    base::Status w = base::Env::Default()->write_file_atomic(path, bytes);
    if (!w.ok()) return w;
    auto tok = Tokenizer::load(path);
    if (tok.ok()) return base::Status();
    EXPECT_NE(tok.status().message().find(path), std::string::npos) << tok.status().to_string();
    return tok.status();
}

TEST(GgufVocab, BadFilesAreClearErrors) {
    auto path = base::smollm2_gguf_path();
    ASSERT_TRUE(path.ok()) << path.status().to_string();
    auto real = base::Env::Default()->read_file(*path);
    ASSERT_TRUE(real.ok());
    for (size_t keep : {size_t{3}, size_t{100}, size_t{500'000}}) {
        base::Status s = load_bytes("truncated_vocab.gguf", real->substr(0, keep));
        EXPECT_FALSE(s.ok()) << keep;
    }
    std::string corrupt = real->substr(0, 2'000'000);
    std::memset(corrupt.data() + 200, 0xff, 64);
    EXPECT_FALSE(load_bytes("corrupt_vocab.gguf", corrupt).ok());

    base::Status missing =
        load_bytes("no_tokenizer.gguf", GgufBuilder().kv_str("general.name", "x").bytes());
    EXPECT_EQ(missing.code(), base::StatusCode::kNotFound) << missing.to_string();
    EXPECT_NE(missing.message().find("tokenizer.ggml.model"), std::string::npos);

    base::Status unknown =
        load_bytes("unknown_model.gguf", GgufBuilder()
                                             .kv_str("tokenizer.ggml.model", "xyz")
                                             .kv_strs("tokenizer.ggml.tokens", {"a"})
                                             .bytes());
    EXPECT_EQ(unknown.code(), base::StatusCode::kUnsupported) << unknown.to_string();
    EXPECT_NE(unknown.message().find("tokenizer.ggml.model 'xyz'"), std::string::npos);

    base::Status pre = load_bytes("unknown_pre.gguf", GgufBuilder()
                                                          .kv_str("tokenizer.ggml.model", "gpt2")
                                                          .kv_str("tokenizer.ggml.pre", "xyz")
                                                          .kv_strs("tokenizer.ggml.tokens", {"a"})
                                                          .kv_strs("tokenizer.ggml.merges", {})
                                                          .bytes());
    EXPECT_EQ(pre.code(), base::StatusCode::kUnsupported) << pre.to_string();
    EXPECT_NE(pre.message().find("tokenizer.ggml.pre 'xyz'"), std::string::npos);

    base::Status no_tokens =
        load_bytes("no_tokens.gguf", GgufBuilder().kv_str("tokenizer.ggml.model", "llama").bytes());
    EXPECT_FALSE(no_tokens.ok());
    EXPECT_NE(no_tokens.message().find("tokenizer.ggml.tokens"), std::string::npos);

    base::Status short_types =
        load_bytes("short_types.gguf", GgufBuilder()
                                           .kv_str("tokenizer.ggml.model", "llama")
                                           .kv_strs("tokenizer.ggml.tokens", {"<unk>", "<s>", "a"})
                                           .kv_i32s("tokenizer.ggml.token_type", {2, 3})
                                           .bytes());
    EXPECT_FALSE(short_types.ok());
    EXPECT_NE(short_types.message().find("token_type"), std::string::npos);

    base::Status no_merges =
        load_bytes("no_merges.gguf", GgufBuilder()
                                         .kv_str("tokenizer.ggml.model", "gpt2")
                                         .kv_str("tokenizer.ggml.pre", "gpt-2")
                                         .kv_strs("tokenizer.ggml.tokens", {"a"})
                                         .bytes());
    EXPECT_FALSE(no_merges.ok());
    EXPECT_NE(no_merges.message().find("tokenizer.ggml.merges"), std::string::npos);
}

TEST(GgufVocab, TinySpmVocabEncodesAndDecodes) {
    // <unk> <s> </s> then bytes would be usual; a tiny vocabulary shows the SPM rules.
    const std::string path =
        testing::TempDir() + "/" + std::to_string(::getpid()) + "_tiny_spm.gguf";
    std::vector<std::string> tokens = {"<unk>",
                                       "<s>",
                                       "</s>",
                                       "\xe2\x96\x81",
                                       "a",
                                       "b",
                                       "ab",
                                       "\xe2\x96\x81"
                                       "ab",
                                       "<0x0A>"};
    ASSERT_TRUE(base::Env::Default()
                    ->write_file_atomic(
                        path, GgufBuilder()
                                  .kv_str("tokenizer.ggml.model", "llama")
                                  .kv_strs("tokenizer.ggml.tokens", tokens)
                                  .kv_i32s("tokenizer.ggml.token_type", {2, 3, 3, 1, 1, 1, 1, 1, 6})
                                  .bytes())
                    .ok());
    auto tok = Tokenizer::load(path);
    ASSERT_TRUE(tok.ok()) << tok.status().to_string();
    auto ids = (*tok)->encode("ab\nab");
    ASSERT_TRUE(ids.ok());
    // BOS, "▁ab", "\n" as a byte, then "ab" (no prefix: only after BOS/specials).
    EXPECT_EQ(*ids, (std::vector<TokenId>{1, 7, 8, 6}));
    EXPECT_EQ((*tok)->decode(*ids, /*skip_special=*/true), "ab\nab");
    EXPECT_EQ((*tok)->token_to_piece(7), " ab");
    EXPECT_EQ((*tok)->token_to_piece(8), "\n");
}

}  // namespace
}  // namespace jenny::tokenizer
