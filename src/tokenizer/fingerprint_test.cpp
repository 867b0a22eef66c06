// tokenizer_fingerprint: stable for one vocabulary, different across vocabularies.
#include "jenny/tokenizer/fingerprint.h"

#include <gtest/gtest.h>

namespace jenny::tokenizer {
namespace {

const std::string kData = JENNY_SHARED_DATA "/tokenizers";

std::unique_ptr<Tokenizer> load(const std::string& path) {
    auto tok = Tokenizer::load(path);
    EXPECT_TRUE(tok.ok()) << tok.status().to_string();
    return tok.ok() ? std::move(*tok) : nullptr;
}

TEST(Fingerprint, SameFileSameHash) {
    auto a = load(kData + "/llama2c/tokenizer.bin");
    auto b = load(kData + "/llama2c/tokenizer.bin");
    ASSERT_TRUE(a && b);
    const std::string h = tokenizer_fingerprint(*a);
    EXPECT_EQ(h.size(), 32u);
    EXPECT_EQ(h.find_first_not_of("0123456789abcdef"), std::string::npos) << h;
    EXPECT_EQ(h, tokenizer_fingerprint(*b));
}

TEST(Fingerprint, DifferentTokenizersDiffer) {
    auto llama2c = load(kData + "/llama2c/tokenizer.bin");
    auto spm = load(kData + "/llama2c/tokenizer.model");  // same pieces, another loader
    auto qwen = load(kData + "/hf-qwen2_5");
    auto tiny = load(JENNY_SHARED_DATA "/models/stories260K/tok512.bin");
    ASSERT_TRUE(llama2c && spm && qwen && tiny);
    const std::string a = tokenizer_fingerprint(*llama2c);
    EXPECT_NE(a, tokenizer_fingerprint(*spm));
    EXPECT_NE(a, tokenizer_fingerprint(*qwen));
    EXPECT_NE(a, tokenizer_fingerprint(*tiny));
    EXPECT_EQ(tokenizer_fingerprint(*qwen), tokenizer_fingerprint(*load(kData + "/hf-qwen2_5")));
}

}  // namespace
}  // namespace jenny::tokenizer
