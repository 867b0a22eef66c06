// FineWebQualityFilter rules at, just inside and just outside each threshold. Every case was
// replayed through datatrove 0.10.1 (JENNY_QF_CASES + tools/oracle/datatrove_filters.py --cases).
#include <gtest/gtest.h>

#include "data/py_text.h"
#include "data/quality_filters_testing.h"

namespace jenny::data {
namespace {

using testing::distinct_words;
using testing::fineweb_quality_of;
using testing::join;

// A line unique to `i`, exactly `len` code points long, ending with `end` (ASCII), made of
// many short words.
std::string line_of(size_t i, size_t len, const std::string& end = ".") {
    std::string s = distinct_words(i + 1, 5)[i];
    while (s.size() + 3 + end.size() <= len) s += " ab";
    while (s.size() + end.size() < len) s += "c";
    return s + end;
}

// `n` lines of length `len`; the first `marked` end in "." and the others in "c".
std::string lines(size_t n, size_t marked, size_t len = 40) {
    std::vector<std::string> out;
    for (size_t i = 0; i < n; ++i) out.push_back(line_of(i, len, i < marked ? "." : "c"));
    return join(out, "\n");
}

TEST(FineWebQuality, NaturalTextKept) {
    EXPECT_TRUE(fineweb_quality_of(
                    "The committee met on Tuesday to discuss the new budget for the library.\n"
                    "Several members asked whether the reading room would stay open late.\n"
                    "The chair promised an answer before the end of the month.")
                    .keep);
}

TEST(FineWebQuality, BlankTextDrops_empty) {
    EXPECT_EQ(fineweb_quality_of("").reason, "empty");
    EXPECT_EQ(fineweb_quality_of("\n  \n\t\n").reason, "empty");
}

TEST(FineWebQuality, PunctuatedLineShareAt12PercentKept) {
    EXPECT_TRUE(fineweb_quality_of(lines(25, 3)).keep);  // 3 / 25
}

TEST(FineWebQuality, PunctuatedLineShareBelow12PercentDrops_line_punct_ratio) {
    EXPECT_EQ(fineweb_quality_of(lines(25, 2)).reason, "line_punct_ratio");  // 2 / 25
}

TEST(FineWebQuality, TrailingSpaceHidesThePunctuation_line_punct_ratio) {
    EXPECT_EQ(fineweb_quality_of(line_of(0, 40, ". ") + "\n" + line_of(1, 40, ". ")).reason,
              "line_punct_ratio");
}

TEST(FineWebQuality, ExcludeZeroKeepsUnpunctuatedText) {
    FineWebQualityOptions o;
    EXPECT_EQ(fineweb_quality_of(lines(25, 0), o).reason, "line_punct_ratio");
    o.line_punct_exclude_zero = true;
    EXPECT_TRUE(fineweb_quality_of(lines(25, 0), o).keep);
    EXPECT_EQ(fineweb_quality_of(lines(25, 1), o).reason, "line_punct_ratio");
}

TEST(FineWebQuality, ChineseFullStopIsTerminalPunctuation) {
    std::string text = line_of(0, 40, "\u3002") + "\n" + line_of(1, 40, "\u3002");
    EXPECT_TRUE(fineweb_quality_of(text).keep);
}

TEST(FineWebQuality, CustomStopChars_line_punct_ratio) {
    FineWebQualityOptions o;
    o.stop_chars = std::vector<std::string>{"!", "ab!"};
    EXPECT_EQ(fineweb_quality_of(lines(25, 25), o).reason, "line_punct_ratio");
    EXPECT_TRUE(fineweb_quality_of(line_of(0, 40, "!") + "\n" + line_of(1, 40, "!"), o).keep);
}

// 100 punctuated lines, the first `short_lines` of 30 code points and the rest of 31.
std::string with_short_lines(size_t short_lines) {
    std::vector<std::string> out;
    for (size_t i = 0; i < 100; ++i) out.push_back(line_of(i, i < short_lines ? 30 : 31));
    return join(out, "\n");
}

TEST(FineWebQuality, ShortLineShareAt67PercentKept) {
    EXPECT_TRUE(fineweb_quality_of(with_short_lines(67)).keep);
}

TEST(FineWebQuality, ShortLineShareAbove67PercentDrops_short_line_ratio) {
    EXPECT_EQ(fineweb_quality_of(with_short_lines(68)).reason, "short_line_ratio");
}

std::string cjk_line(char32_t first, size_t len) {
    std::u32string s;
    for (size_t i = 0; i + 1 < len; ++i) s.push_back(first + static_cast<char32_t>(i));
    s.push_back(U'\u3002');
    return encode_utf8(s);
}

TEST(FineWebQuality, LineLengthCountsCodePoints_short_line_ratio) {
    // 30 CJK characters are 90 bytes but a short line.
    EXPECT_EQ(fineweb_quality_of(cjk_line(0x4e00, 30) + "\n" + cjk_line(0x4f00, 30)).reason,
              "short_line_ratio");
    EXPECT_TRUE(fineweb_quality_of(cjk_line(0x4e00, 31) + "\n" + cjk_line(0x4f00, 31)).keep);
}

// 20 unique lines of 49 code points (one of 48 when `shorter`) and a 10-character line twice:
// 10 duplicate characters over 1000 (or 999) non-newline characters.
std::string with_duplicate_line(bool shorter) {
    std::vector<std::string> out;
    for (size_t i = 0; i < 20; ++i) out.push_back(line_of(i, i == 0 && shorter ? 48 : 49));
    out.insert(out.begin() + 5, "Abcdefghi.");
    out.push_back("Abcdefghi.");
    return join(out, "\n");
}

TEST(FineWebQuality, DuplicateLineCharsAtOnePercentKept) {
    EXPECT_TRUE(fineweb_quality_of(with_duplicate_line(false)).keep);
}

TEST(FineWebQuality, DuplicateLineCharsAboveOnePercentDrops_char_dup_ratio) {
    EXPECT_EQ(fineweb_quality_of(with_duplicate_line(true)).reason, "char_dup_ratio");
}

// Four long one-word lines ending in "!"; the first `with_ok` also get an "ok" word, so the
// text has 3 newlines and 8 + with_ok words.
std::string list_like(size_t with_ok) {
    std::vector<std::string> out;
    std::vector<std::string> w = distinct_words(4, 40);
    for (size_t i = 0; i < 4; ++i) out.push_back(w[i] + (i < with_ok ? " ok!" : "!"));
    return join(out, "\n");
}

TEST(FineWebQuality, NewlinesPerWordAt30PercentKept) {
    EXPECT_TRUE(fineweb_quality_of(list_like(2)).keep);  // 3 / 10
}

TEST(FineWebQuality, NewlinesPerWordAbove30PercentDrops_list_ratio) {
    EXPECT_EQ(fineweb_quality_of(list_like(1)).reason, "list_ratio");  // 3 / 9
}

TEST(FineWebQuality, BlankLinesCountAsNewlines_list_ratio) {
    EXPECT_EQ(
        fineweb_quality_of(line_of(0, 40) + "\n\n\n\n\n\n\n\n\n\n\n\n\n\n" + line_of(1, 40)).reason,
        "list_ratio");
}

}  // namespace
}  // namespace jenny::data
