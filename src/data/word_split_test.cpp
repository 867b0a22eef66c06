// Word and sentence splitting against spaCy 3.8.18's blank English pipeline as datatrove 0.10.1
// calls it. Every expectation below was produced by datatrove's split_into_words /
// split_into_sentences (and spaCy's URL_MATCH) in Python; tools/oracle/datatrove_filters.py
// compares whole filters on corpora.
#include "data/word_split.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "data/py_text.h"

namespace jenny::data {
namespace {

std::vector<std::string> words(const std::string& text) {
    std::u32string t = decode_utf8(text);
    std::vector<std::string> out;
    for (std::u32string_view w : split_into_words(t)) out.push_back(encode_utf8(w));
    return out;
}

using W = std::vector<std::string>;

TEST(WordSplit, PunctuationPrefixesAndSuffixes) {
    EXPECT_EQ(words("Hello, world!"), (W{"Hello", ",", "world", "!"}));
    EXPECT_EQ(words("\u201cQuoted,\u201d she said..."),
              (W{"\u201c", "Quoted", ",", "\u201d", "she", "said", "..."}));
    EXPECT_EQ(words("#hashtag"), (W{"#", "hashtag"}));
    EXPECT_EQ(words("ABC."), (W{"ABC", "."}));
    EXPECT_EQ(words("abc."), (W{"abc", "."}));
    EXPECT_EQ(words("\u00b0C."), (W{"\u00b0", "C", "."}));
}

TEST(WordSplit, TokenizerExceptions) {
    EXPECT_EQ(words("don't stop"), (W{"do", "n't", "stop"}));
    EXPECT_EQ(words("U.S.A. and e.g. a.m."), (W{"U.S.A.", "and", "e.g.", "a.m."}));
    EXPECT_EQ(words("Mr. Smith's dog."), (W{"Mr.", "Smith", "'s", "dog", "."}));
    EXPECT_EQ(words("I'm gonna"), (W{"I", "'m", "gon", "na"}));
    EXPECT_EQ(words("(:"), (W{"(:"}));
    EXPECT_EQ(words("'s"), (W{"'s"}));
    EXPECT_EQ(words("n't"), (W{"n't"}));
}

TEST(WordSplit, SpecialCasesReassembledAfterAffixSplitting) {
    // "Hello:)" loses ")" and ":" as suffixes; spaCy's special-case matcher rejoins ":)".
    EXPECT_EQ(words("Hello:) there"), (W{"Hello", ":)", "there"}));
}

TEST(WordSplit, Infixes) {
    EXPECT_EQ(words("state-of-the-art"), (W{"state", "-", "of", "-", "the", "-", "art"}));
    EXPECT_EQ(words("well-known--really"), (W{"well", "-", "known", "--", "really"}));
    EXPECT_EQ(words("1+2=3"), (W{"1", "+", "2=3"}));
    EXPECT_EQ(words("foo.Bar"), (W{"foo", ".", "Bar"}));
    EXPECT_EQ(words("a\u2026b"), (W{"a", "\u2026", "b"}));
}

TEST(WordSplit, UnitsAndCurrencies) {
    EXPECT_EQ(words("3km 10am $5 US$10"), (W{"3", "km", "10", "am", "$", "5", "US$", "10"}));
    EXPECT_EQ(words("2.5kg"), (W{"2.5", "kg"}));
}

TEST(WordSplit, WhitespaceTokensAreDropped) {
    EXPECT_EQ(words("a  b"), (W{"a", "b"}));
    EXPECT_EQ(words("x\ny"), (W{"x", "y"}));
    EXPECT_EQ(words(" \n\t\u00a0"), W{});
    EXPECT_EQ(words(""), W{});
}

TEST(WordSplit, ChineseRunsAreOneToken) {
    EXPECT_EQ(words("\u4e2d\u6587\u5b57 \u65e5\u672c\u8a9e\u3002"),
              (W{"\u4e2d\u6587\u5b57", "\u65e5\u672c\u8a9e", "\u3002"}));
}

TEST(WordSplit, UrlsStayWhole) {
    EXPECT_EQ(words("see http://www.gnu.org/licenses/ now"),
              (W{"see", "http://www.gnu.org/licenses/", "now"}));
}

TEST(WordSplit, UrlMatchAgreesWithSpacy) {
    auto url = [](const std::string& s) { return spacy_url_match(decode_utf8(s)); };
    EXPECT_TRUE(url("http://www.gnu.org/licenses/"));
    EXPECT_TRUE(url("www.example.com"));
    EXPECT_TRUE(url("example.com:8080/x"));
    EXPECT_TRUE(url("user@example.com"));
    EXPECT_TRUE(url("mailto:joe@x.io"));
    EXPECT_TRUE(url("ftp://x.y.org?q=1"));
    EXPECT_TRUE(url("8.8.8.8"));
    EXPECT_TRUE(url("http://8.8.8.8:80/"));
    EXPECT_TRUE(url("\u4f8b\u5b50.\u4e2d\u56fd"));
    EXPECT_FALSE(url("127.0.0.1"));  // private ranges are excluded
    EXPECT_FALSE(url("10.1.2.3"));
    EXPECT_FALSE(url("192.168.1.1/x"));
    EXPECT_FALSE(url("example.Com"));  // the TLD must be lower case
    EXPECT_FALSE(url("a.b"));
    EXPECT_FALSE(url("hello"));
}

size_t sentences(const std::string& s) { return count_sentences(decode_utf8(s)); }

TEST(SentenceSplit, SentencizerCounts) {
    EXPECT_EQ(sentences("One. Two. Three."), 3u);
    EXPECT_EQ(sentences("Hello world"), 1u);
    EXPECT_EQ(sentences("Wait... what?! Yes."), 2u);
    EXPECT_EQ(sentences("Dr. Who is here. Fine."), 2u);
    EXPECT_EQ(sentences("\"Stop.\" He left."), 2u);
    EXPECT_EQ(sentences("Hi.  There."), 2u);
    EXPECT_EQ(sentences("Wow!  !"), 2u);  // the whitespace token after "!" starts a sentence
    EXPECT_EQ(sentences("\u53e5\u5b50\u4e00\u3002\u53e5\u5b50\u4e8c\u3002"), 1u);
    EXPECT_EQ(sentences(""), 1u);  // datatrove's span arithmetic yields one empty part
}

TEST(SentenceSplit, PartsConcatenateToTheText) {
    std::u32string t = decode_utf8("Hi.  There.");
    std::vector<std::u32string_view> parts = split_into_sentences(t);
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_EQ(encode_utf8(parts[0]), "Hi.");
    EXPECT_EQ(encode_utf8(parts[1]), "  There.");
}

TEST(PyText, SplitlinesLikePython) {
    std::u32string t = decode_utf8(
        "a\r\nb\rc\u2028d\x1c"
        "e\n\nf\n");
    std::vector<std::string> got;
    for (auto l : py_splitlines(t)) got.push_back(encode_utf8(l));
    EXPECT_EQ(got, (W{"a", "b", "c", "d", "e", "", "f"}));
}

TEST(PyText, WhitespaceAndAlphaLikePython) {
    EXPECT_TRUE(py_isspace(U'\x1f'));
    EXPECT_TRUE(py_isspace(U'\u00a0'));
    EXPECT_TRUE(py_isspace(U'\u3000'));
    EXPECT_FALSE(py_isspace(U'\u200b'));  // zero width space is not whitespace in Python
    EXPECT_TRUE(py_isalpha(U'\u4e2d'));
    EXPECT_TRUE(py_isalpha(U'\u00e9'));
    EXPECT_FALSE(py_isalpha(U'\u0301'));  // combining mark
    EXPECT_FALSE(py_isalpha(U'5'));
}

TEST(PyText, LowerKeepsAsciiContent) {
    // U+212A KELVIN SIGN lowers to ASCII "k"; U+0130 to "i" + U+0307.
    EXPECT_EQ(encode_utf8(py_lower_for_ascii_search(decode_utf8("CoO\u212aIE \u0130"))),
              "cookie i\u0307");
}

TEST(PyText, DecodeCountsCodePoints) {
    EXPECT_EQ(decode_utf8("\u4e2d\u6587\U0001F600").size(), 3u);
    EXPECT_EQ(encode_utf8(decode_utf8("caf\u00e9 \U0001F600")), "caf\u00e9 \U0001F600");
}

}  // namespace
}  // namespace jenny::data
