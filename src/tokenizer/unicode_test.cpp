#include "tokenizer/unicode.h"
#include "jenny/base/utf8.h"

#include <gtest/gtest.h>

#include "tokenizer/regex.h"

namespace jenny::tokenizer {
namespace {

TEST(Utf8, FindsInvalidSequences) {
    EXPECT_EQ(base::find_invalid_utf8("hello, 世界 🎉"), std::string_view::npos);
    EXPECT_EQ(base::find_invalid_utf8(std::string("ab\xff", 3)), 2u);
    EXPECT_EQ(base::find_invalid_utf8(std::string("\xc0\xaf", 2)), 0u);          // overlong
    EXPECT_EQ(base::find_invalid_utf8(std::string("x\xed\xa0\x80", 4)), 1u);     // surrogate
    EXPECT_EQ(base::find_invalid_utf8(std::string("\xe4\xb8", 2)), 0u);          // truncated
    EXPECT_EQ(base::find_invalid_utf8(std::string("\xf4\x90\x80\x80", 4)), 0u);  // > U+10FFFF
}

TEST(Utf8, DecodeEncodeRoundTrip) {
    std::string s = "aé世🎉";
    size_t pos = 0;
    std::string back;
    while (pos < s.size()) base::append_utf8(&back, utf8_next(s, &pos));
    EXPECT_EQ(back, s);
}

TEST(ByteLevel, Gpt2Alphabet) {
    EXPECT_EQ(bytes_to_byte_level(" "), "Ġ");
    EXPECT_EQ(bytes_to_byte_level("\n"), "Ċ");
    EXPECT_EQ(bytes_to_byte_level("a"), "a");
    std::string all;
    for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
    std::string raw;
    ASSERT_TRUE(byte_level_to_bytes(bytes_to_byte_level(all), &raw));
    EXPECT_EQ(raw, all);
    EXPECT_FALSE(byte_level_to_bytes("世", &raw));
}

TEST(Normalize, NfcAndNfkc) {
    EXPECT_EQ(*normalize("e\xcc\x81", NormalForm::kNfc), "\xc3\xa9");  // e + combining acute
    EXPECT_EQ(*normalize("\xef\xac\x81", NormalForm::kNfkc), "fi");    // ligature
    EXPECT_EQ(*normalize("plain", NormalForm::kNfkd), "plain");
}

TEST(Regex, SplitBehaviors) {
    auto re = Regex::compile(R"(\s+)");
    ASSERT_TRUE(re.ok());
    auto run = [&](SplitBehavior b, bool invert) {
        std::vector<std::string_view> out;
        re->split("a b  c", b, invert, &out);
        std::string joined;
        for (auto p : out) joined += "[" + std::string(p) + "]";
        return joined;
    };
    EXPECT_EQ(run(SplitBehavior::kIsolated, false), "[a][ ][b][  ][c]");
    EXPECT_EQ(run(SplitBehavior::kRemoved, false), "[a][b][c]");
    EXPECT_EQ(run(SplitBehavior::kMergedWithPrevious, false), "[a ][b  ][c]");
    EXPECT_EQ(run(SplitBehavior::kMergedWithNext, false), "[a][ b][  c]");
    EXPECT_EQ(run(SplitBehavior::kRemoved, true), "[ ][  ]");
}

TEST(Regex, LookaheadAndUnicodeClasses) {
    // The Llama-3 pre-tokenizer pattern.
    auto re = Regex::compile(
        R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)");
    ASSERT_TRUE(re.ok()) << re.status().to_string();
    std::vector<std::string_view> out;
    re->split("Hello world  12345 你好!!\n\n", SplitBehavior::kIsolated, false, &out);
    std::vector<std::string> got(out.begin(), out.end());
    EXPECT_EQ(got, (std::vector<std::string>{"Hello", " world", " ", " ", "123", "45", " 你好",
                                             "!!\n\n"}));
}

TEST(Regex, BadPatternIsError) {
    auto re = Regex::compile("(unclosed");
    ASSERT_FALSE(re.ok());
    EXPECT_NE(re.status().message().find("offset"), std::string::npos);
}

}  // namespace
}  // namespace jenny::tokenizer
