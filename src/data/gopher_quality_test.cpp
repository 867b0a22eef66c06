// GopherQualityFilter rules at, just inside and just outside each threshold. Every case was
// replayed through datatrove 0.10.1 (JENNY_QF_CASES + tools/oracle/datatrove_filters.py --cases).
#include <gtest/gtest.h>

#include "data/quality_filters_testing.h"

namespace jenny::data {
namespace {

using testing::distinct_words;
using testing::gopher_quality_of;
using testing::join;
using Words = std::vector<std::string>;

Words cat(Words a, const Words& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// "the and" + n distinct 4-letter words: mean length (6 + 4n) / (n + 2), two stop words.
std::string base(size_t n) { return join(cat({"the", "and"}, distinct_words(n, 4)), " "); }

TEST(GopherQuality, CleanDocumentKept) { EXPECT_TRUE(gopher_quality_of(base(48)).keep); }

TEST(GopherQuality, FiftyWordsAtMinDocWordsKept) { EXPECT_TRUE(gopher_quality_of(base(48)).keep); }

TEST(GopherQuality, FortyNineWordsDrops_gopher_short_doc) {
    EXPECT_EQ(gopher_quality_of(base(47)).reason, "gopher_short_doc");
}

TEST(GopherQuality, PunctuationOnlyWordsDoNotCount_gopher_short_doc) {
    // "...", "!", "--" are words of punctuation only: still 49 counted words.
    EXPECT_EQ(gopher_quality_of(base(47) + " ... ! -- ,").reason, "gopher_short_doc");
}

TEST(GopherQuality, OrderShortDocBeforeHashes_gopher_short_doc) {
    EXPECT_EQ(gopher_quality_of("# # # the and a#b").reason, "gopher_short_doc");
}

TEST(GopherQuality, AtMaxDocWordsKept) {
    GopherQualityOptions o;
    o.max_doc_words = 60;
    EXPECT_TRUE(gopher_quality_of(base(58), o).keep);
}

TEST(GopherQuality, AboveMaxDocWordsDrops_gopher_long_doc) {
    GopherQualityOptions o;
    o.max_doc_words = 60;
    EXPECT_EQ(gopher_quality_of(base(59), o).reason, "gopher_long_doc");
}

TEST(GopherQuality, DefaultMaxDocWords100000Kept) {
    EXPECT_TRUE(gopher_quality_of(join(cat({"the", "and"}, distinct_words(99998, 5)), " ")).keep);
}

TEST(GopherQuality, DefaultMaxDocWords100001Drops_gopher_long_doc) {
    EXPECT_EQ(gopher_quality_of(join(cat({"the", "and"}, distinct_words(99999, 5)), " ")).reason,
              "gopher_long_doc");
}

TEST(GopherQuality, MeanWordLengthExactly3Kept) {
    // (6 + 48 * 3) / 50 = 3.0
    EXPECT_TRUE(gopher_quality_of(join(cat({"the", "and"}, distinct_words(48, 3)), " ")).keep);
}

TEST(GopherQuality, MeanWordLengthBelow3Drops_gopher_below_avg_threshold) {
    // (6 + 47 * 3 + 2) / 50 = 2.98
    std::string text = join(cat({"the", "and"}, distinct_words(47, 3)), " ") + " qz";
    EXPECT_EQ(gopher_quality_of(text).reason, "gopher_below_avg_threshold");
}

TEST(GopherQuality, MeanWordLengthExactly10Kept) {
    // (6 + 46 * 10 + 2 * 17) / 50 = 10.0
    Words w = cat(cat({"the", "and"}, distinct_words(46, 10)), distinct_words(2, 17, 'r'));
    EXPECT_TRUE(gopher_quality_of(join(w, " ")).keep);
}

TEST(GopherQuality, MeanWordLengthAbove10Drops_gopher_above_avg_threshold) {
    // (6 + 46 * 10 + 17 + 18) / 50 = 10.02
    Words w = cat(cat(cat({"the", "and"}, distinct_words(46, 10)), distinct_words(1, 17, 'r')),
                  distinct_words(1, 18, 's'));
    EXPECT_EQ(gopher_quality_of(join(w, " ")).reason, "gopher_above_avg_threshold");
}

TEST(GopherQuality, MeanWordLengthCountsCodePointsNotBytes) {
    // 48 words of 4 Chinese characters (12 bytes each): mean 3.96 code points, not 11.6 bytes.
    Words w = cat({"the", "and"}, Words(48, "\u4e2d\u6587\u5b57\u8bcd"));
    EXPECT_TRUE(gopher_quality_of(join(w, " ")).keep);
}

// `hashes` words "a#b" (one token each) among 50 words.
std::string with_hashes(size_t hashes) {
    return join(cat(cat({"the", "and"}, distinct_words(48 - hashes, 4)), Words(hashes, "a#b")),
                " ");
}

TEST(GopherQuality, HashRatioAtOneTenthKept) {
    EXPECT_TRUE(gopher_quality_of(with_hashes(5)).keep);
}

TEST(GopherQuality, HashRatioAboveOneTenthDrops_gopher_too_many_hashes) {
    EXPECT_EQ(gopher_quality_of(with_hashes(6)).reason, "gopher_too_many_hashes");
}

// 56 plain words and `k` "wow<ellipsis>" (two tokens each): ratio k / (56 + 2k).
std::string with_ellipses(size_t k, const std::string& ellipsis) {
    Words w = cat({"the", "and"}, distinct_words(53, 4));
    for (size_t i = 0; i < k; ++i) w.push_back("wow" + ellipsis);
    w.push_back("qend");
    return join(w, " ");
}

TEST(GopherQuality, EllipsisRatioAtOneTenthKept) {
    EXPECT_TRUE(gopher_quality_of(with_ellipses(7, "...")).keep);  // 7 / 70
}

TEST(GopherQuality, EllipsisRatioAboveOneTenthDrops_gopher_too_many_ellipsis) {
    EXPECT_EQ(gopher_quality_of(with_ellipses(8, "...")).reason, "gopher_too_many_ellipsis");
}

TEST(GopherQuality, UnicodeEllipsisCounts_gopher_too_many_ellipsis) {
    EXPECT_EQ(gopher_quality_of(with_ellipses(8, "\u2026")).reason, "gopher_too_many_ellipsis");
}

// 10 lines of 6 words; the first `marked` lines start with `bullet` / end with `end`.
std::string lines(size_t marked, const std::string& bullet, const std::string& end) {
    Words out;
    Words w = distinct_words(40, 4);
    for (size_t i = 0; i < 10; ++i) {
        std::string line =
            "the and " + w[i * 4] + " " + w[i * 4 + 1] + " " + w[i * 4 + 2] + " " + w[i * 4 + 3];
        if (i < marked) line = bullet + line + end;
        out.push_back(line);
    }
    return join(out, "\n");
}

TEST(GopherQuality, NinetyPercentBulletLinesKept) {
    EXPECT_TRUE(gopher_quality_of(lines(9, "- ", "")).keep);
}

TEST(GopherQuality, AllBulletLinesDrops_gopher_too_many_bullets) {
    EXPECT_EQ(gopher_quality_of(lines(10, "- ", "")).reason, "gopher_too_many_bullets");
}

TEST(GopherQuality, IndentedBulletPointsCount_gopher_too_many_bullets) {
    EXPECT_EQ(gopher_quality_of(lines(10, "  \u2022 ", "")).reason, "gopher_too_many_bullets");
}

TEST(GopherQuality, ThirtyPercentEllipsisLinesKept) {
    EXPECT_TRUE(gopher_quality_of(lines(3, "", "...")).keep);
}

TEST(GopherQuality, FortyPercentEllipsisLinesDrops_gopher_too_many_end_ellipsis) {
    EXPECT_EQ(gopher_quality_of(lines(4, "", "\u2026  ")).reason, "gopher_too_many_end_ellipsis");
}

// 40 alphabetic words and `digits` words "123": alpha share 40 / (40 + digits).
std::string with_numbers(size_t digits, const std::string& number = "123") {
    return join(cat(cat({"the", "and"}, distinct_words(38, 4)), Words(digits, number)), " ");
}

TEST(GopherQuality, AlphaWordShareAt80PercentKept) {
    EXPECT_TRUE(gopher_quality_of(with_numbers(10)).keep);
}

TEST(GopherQuality, AlphaWordShareBelow80PercentDrops_gopher_below_alpha_threshold) {
    EXPECT_EQ(gopher_quality_of(with_numbers(11)).reason, "gopher_below_alpha_threshold");
}

TEST(GopherQuality, ChineseWordsAreAlphabetic) {
    EXPECT_TRUE(gopher_quality_of(with_numbers(11, "\u4e2d\u6587\u5b57")).keep);
}

TEST(GopherQuality, TwoStopWordsKept) { EXPECT_TRUE(gopher_quality_of(base(48)).keep); }

TEST(GopherQuality, OneStopWordDrops_gopher_enough_stop_words) {
    std::string text = join(cat({"the", "the", "the"}, distinct_words(47, 4)), " ");
    EXPECT_EQ(gopher_quality_of(text).reason, "gopher_enough_stop_words");
}

TEST(GopherQuality, StopWordsAreCaseSensitive_gopher_enough_stop_words) {
    std::string text = join(cat({"The", "And"}, distinct_words(48, 4)), " ");
    EXPECT_EQ(gopher_quality_of(text).reason, "gopher_enough_stop_words");
}

TEST(GopherQuality, CustomStopWords) {
    GopherQualityOptions o;
    o.stop_words = {"qaaa", "qaab"};
    EXPECT_TRUE(gopher_quality_of(join(distinct_words(50, 4), " "), o).keep);
    o.min_stop_words = 3;
    EXPECT_EQ(gopher_quality_of(join(distinct_words(50, 4), " "), o).reason,
              "gopher_enough_stop_words");
}

TEST(GopherQuality, ZeroTurnsRulesOff) {
    GopherQualityOptions o;
    o.min_doc_words = 0;
    o.min_stop_words = 0;
    EXPECT_TRUE(gopher_quality_of("Short text here", o).keep);
    EXPECT_TRUE(gopher_quality_of("", o).keep);  // datatrove raises ZeroDivisionError here
}

TEST(GopherQuality, ChineseWithoutSpacesIsOneWord_gopher_short_doc) {
    EXPECT_EQ(gopher_quality_of("\u8fd9\u662f\u4e00\u4e2a\u6ca1\u6709\u7a7a\u683c\u7684\u53e5"
                                "\u5b50\u3002")
                  .reason,
              "gopher_short_doc");
}

}  // namespace
}  // namespace jenny::data
