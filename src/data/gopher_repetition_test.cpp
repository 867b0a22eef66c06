// GopherRepetitionFilter rules at, just inside and just outside each threshold; each rule is
// isolated by turning the others off. Every case was replayed through datatrove 0.10.1
// (JENNY_QF_CASES + tools/oracle/datatrove_filters.py --cases).
#include <gtest/gtest.h>

#include "data/quality_filters_testing.h"

namespace jenny::data {
namespace {

using testing::distinct_words;
using testing::gopher_repetition_of;
using testing::join;
using testing::repeat;

GopherRepetitionOptions none() {
    GopherRepetitionOptions o;
    o.dup_line_frac = o.dup_para_frac = o.dup_line_char_frac = o.dup_para_char_frac = 0;
    o.top_n_grams.clear();
    o.dup_n_grams.clear();
    return o;
}

// `unique` distinct one-word blocks then `dups` copies of the first, separated by `sep`.
std::string blocks(size_t unique, size_t dups, const std::string& sep) {
    std::vector<std::string> b = distinct_words(unique, 5);
    for (size_t i = 0; i < dups; ++i) b.push_back(b[0]);
    return join(b, sep);
}

TEST(GopherRepetition, EmptyTextDrops_empty) {
    EXPECT_EQ(gopher_repetition_of("").reason, "empty");
}

TEST(GopherRepetition, NaturalTextKept) {
    EXPECT_TRUE(gopher_repetition_of(
                    "The quick brown fox jumps over the lazy dog while the cat sleeps on a warm "
                    "mat by the window.\n\nLater that evening the fox returned to find the dog "
                    "asleep, and the cat had moved to the sofa near the fire.\n\nNobody knew "
                    "where the fox went next, but the farmer counted his hens twice.")
                    .keep);
}

TEST(GopherRepetition, DuplicateParagraphShareAt30PercentKept) {
    GopherRepetitionOptions o = none();
    o.dup_para_frac = 0.3;
    EXPECT_TRUE(gopher_repetition_of(blocks(7, 3, "\n\n"), o).keep);  // 3 / 10
}

TEST(GopherRepetition, DuplicateParagraphShareAbove30PercentDrops_dup_para_frac) {
    GopherRepetitionOptions o = none();
    o.dup_para_frac = 0.3;
    EXPECT_EQ(gopher_repetition_of(blocks(6, 4, "\n\n"), o).reason, "dup_para_frac");  // 4 / 10
}

TEST(GopherRepetition, ThreeNewlinesSeparateParagraphsToo_dup_para_frac) {
    GopherRepetitionOptions o = none();
    o.dup_para_frac = 0.3;
    EXPECT_EQ(gopher_repetition_of(blocks(6, 4, "\n\n\n"), o).reason, "dup_para_frac");
}

// A 26-character unique paragraph plus two copies of a 10-character one, "\n\n" apart:
// 10 duplicate characters over `26 + filler_delta + 24` code points.
std::string para_chars(int filler_delta, const std::string& sep) {
    std::string filler(26 + filler_delta, 'x');
    std::string dup = "\u4e2d\u6587\u5b57\u4e2d\u6587\u5b57\u4e2d\u6587\u5b57\u4e2d";  // 10 chars
    return filler + sep + dup + sep + dup;
}

TEST(GopherRepetition, DuplicateParagraphCharsAt20PercentKept) {
    GopherRepetitionOptions o = none();
    o.dup_para_char_frac = 0.2;
    EXPECT_TRUE(gopher_repetition_of(para_chars(0, "\n\n"), o).keep);  // 10 / 50
}

TEST(GopherRepetition, DuplicateParagraphCharsAbove20PercentDrops_dup_para_char_frac) {
    GopherRepetitionOptions o = none();
    o.dup_para_char_frac = 0.2;
    EXPECT_EQ(gopher_repetition_of(para_chars(-1, "\n\n"), o).reason, "dup_para_char_frac");
}

TEST(GopherRepetition, DuplicateLineShareAt30PercentKept) {
    GopherRepetitionOptions o = none();
    o.dup_line_frac = 0.3;
    EXPECT_TRUE(gopher_repetition_of(blocks(7, 3, "\n"), o).keep);
}

TEST(GopherRepetition, DuplicateLineShareAbove30PercentDrops_dup_line_frac) {
    GopherRepetitionOptions o = none();
    o.dup_line_frac = 0.3;
    EXPECT_EQ(gopher_repetition_of(blocks(6, 4, "\n"), o).reason, "dup_line_frac");
}

TEST(GopherRepetition, DuplicateLineCharsAt20PercentKept) {
    GopherRepetitionOptions o = none();
    o.dup_line_char_frac = 0.2;
    EXPECT_TRUE(gopher_repetition_of(para_chars(2, "\n"), o).keep);  // 10 / 50
}

TEST(GopherRepetition, DuplicateLineCharsAbove20PercentDrops_dup_line_char_frac) {
    GopherRepetitionOptions o = none();
    o.dup_line_char_frac = 0.2;
    EXPECT_EQ(gopher_repetition_of(para_chars(1, "\n"), o).reason, "dup_line_char_frac");
}

TEST(GopherRepetition, DefaultsCheckParagraphsBeforeLines_dup_para_frac) {
    EXPECT_EQ(gopher_repetition_of(blocks(2, 8, "\n\n")).reason, "dup_para_frac");
}

// "ab cd ab cd" + unique filler: the top 2-gram "ab cd" twice = 10 chars over 12 + filler.
std::string top_bigram(size_t filler_len) {
    std::string filler;
    for (const std::string& w : distinct_words(filler_len / 5, 4)) filler += w + " ";
    filler.pop_back();
    filler += std::string(filler_len - filler.size(), 'z');
    return "ab cd ab cd " + filler;
}

TEST(GopherRepetition, Top2GramAt20PercentKept) {
    GopherRepetitionOptions o = none();
    o.top_n_grams = {{2, 0.2}};
    EXPECT_TRUE(gopher_repetition_of(top_bigram(38), o).keep);  // 10 / 50
}

TEST(GopherRepetition, Top2GramAbove20PercentDrops_top_2_gram) {
    GopherRepetitionOptions o = none();
    o.top_n_grams = {{2, 0.2}};
    EXPECT_EQ(gopher_repetition_of(top_bigram(37), o).reason, "top_2_gram");  // 10 / 49
}

TEST(GopherRepetition, Top3And4GramsReportTheirN) {
    GopherRepetitionOptions o = none();
    o.top_n_grams = {{3, 0.18}};
    EXPECT_EQ(gopher_repetition_of(repeat("ab cd ef", 4), o).reason, "top_3_gram");
    o.top_n_grams = {{4, 0.16}};
    EXPECT_EQ(gopher_repetition_of(repeat("ab cd ef gh", 4), o).reason, "top_4_gram");
}

TEST(GopherRepetition, TopNGramTieGoesToTheFirstSeen) {
    // "a b" and "ccccc ddddd" both occur twice; Counter.most_common picks "a b": 6 / 31 chars.
    GopherRepetitionOptions o = none();
    o.top_n_grams = {{2, 0.2}};
    EXPECT_TRUE(gopher_repetition_of("a b a b ccccc ddddd ccccc ddddd", o).keep);
}

TEST(GopherRepetition, TooFewWordsForAnNGramSkipsTheRule) {
    GopherRepetitionOptions o = none();
    o.top_n_grams = {{4, 0.0}};
    EXPECT_TRUE(gopher_repetition_of("one two three", o).keep);
}

// "aa b c d e" twice (one repeated 5-gram "aabcde", 6 chars) + unique filler to `len` chars.
std::string dup_fivegram(size_t len) {
    std::string s = "aa b c d e aa b c d e";
    std::string filler;
    for (const std::string& w : distinct_words(len, 4)) {
        if (s.size() + filler.size() + 5 > len) break;
        filler += " " + w;
    }
    return s + filler + std::string(len - s.size() - filler.size(), 'z');
}

TEST(GopherRepetition, Duplicated5GramsAt15PercentKept) {
    GopherRepetitionOptions o = none();
    o.dup_n_grams = {{5, 0.15}};
    EXPECT_TRUE(gopher_repetition_of(dup_fivegram(40), o).keep);  // 6 / 40
}

TEST(GopherRepetition, Duplicated5GramsAbove15PercentDrops_duplicated_5_n_grams) {
    GopherRepetitionOptions o = none();
    o.dup_n_grams = {{5, 0.15}};
    EXPECT_EQ(gopher_repetition_of(dup_fivegram(39), o).reason, "duplicated_5_n_grams");
}

TEST(GopherRepetition, DuplicatedNGramsJoinWordsWithoutSpaces_duplicated_5_n_grams) {
    // datatrove joins n-gram words with "": "ab c d e f" and "a bc d e f" are the same 5-gram.
    GopherRepetitionOptions o = none();
    o.dup_n_grams = {{5, 0.0}};
    EXPECT_EQ(gopher_repetition_of("ab c d e f a bc d e f", o).reason, "duplicated_5_n_grams");
    EXPECT_TRUE(gopher_repetition_of("ab c d e f a bx d e f", o).keep);
}

TEST(GopherRepetition, DuplicatedNGramsForEveryDefaultN) {
    for (int n = 6; n <= 10; ++n) {
        GopherRepetitionOptions o = none();
        o.dup_n_grams = {{n, 0.1}};
        std::string gram = join(distinct_words(n, 3), " ");
        EXPECT_EQ(gopher_repetition_of(gram + " " + gram, o).reason,
                  "duplicated_" + std::to_string(n) + "_n_grams");
    }
}

TEST(GopherRepetition, DefaultsRepeatedSentenceDrops) {
    std::string s = "The same sentence is written here again and again, on every line.";
    EXPECT_FALSE(gopher_repetition_of(repeat(s, 5, " ")).keep);
}

}  // namespace
}  // namespace jenny::data
