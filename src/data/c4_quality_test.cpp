// C4QualityFilter: line removal rules, document drops and the edited text. Every case was
// replayed through datatrove 0.10.1 (JENNY_QF_CASES + tools/oracle/datatrove_filters.py --cases).
#include <gtest/gtest.h>

#include "data/quality_filters_testing.h"

namespace jenny::data {
namespace {

using testing::c4_quality_of;
using testing::join;

// Five one-sentence lines that pass every line rule.
const std::string kFive =
    "The first line is fine.\nThe second line is fine.\nThe third line is fine.\n"
    "The fourth line is fine.\nThe fifth line is fine.";

std::string after(const std::string& text, C4QualityOptions o = {}) {
    std::string out;
    Verdict v = c4_quality_of(text, o, &out);
    EXPECT_TRUE(v.keep) << v.reason;
    return out;
}

TEST(C4Quality, FiveSentencesKeptUnchanged) { EXPECT_EQ(after(kFive), kFive); }

TEST(C4Quality, FourSentencesDrops_too_few_sentences) {
    std::string text = "One two three.\nFour five six.\nSeven eight nine.\nTen eleven twelve.";
    std::string out;
    EXPECT_EQ(c4_quality_of(text, {}, &out).reason, "too_few_sentences");
    EXPECT_EQ(out, text);  // a dropped document keeps its text
}

TEST(C4Quality, SentencesAreCountedWithinLines) {
    // Two lines holding 2 + 3 spaCy sentences.
    std::string text = "One two three. Four five six.\nSeven eight. Nine ten! Eleven twelve?";
    EXPECT_TRUE(c4_quality_of(text).keep);
}

TEST(C4Quality, MinNumSentencesMinusOneDisables) {
    C4QualityOptions o;
    o.min_num_sentences = -1;
    EXPECT_TRUE(c4_quality_of("Just one line here.", o).keep);
}

TEST(C4Quality, LinesWithoutTerminalPunctuationRemoved) {
    EXPECT_EQ(after("A heading without a stop\n" + kFive + "\nAnd a trailing fragment"), kFive);
}

TEST(C4Quality, QuotesCountAsTerminalPunctuation) {
    std::string text = kFive + "\nShe said \"this is it.\"\nHe said 'fine'";
    EXPECT_EQ(after(text), text);
}

TEST(C4Quality, LinesEndingInEllipsisRemoved) {
    EXPECT_EQ(after(kFive + "\nAnd then there was more..."), kFive);
}

TEST(C4Quality, ChineseFullStopIsNotTerminalPunctuation_too_few_sentences) {
    std::string four = "One two three.\nFour five six.\nSeven eight nine.\nTen eleven twelve.";
    EXPECT_EQ(c4_quality_of("\u8fd9\u662f\u7b2c\u4e00\u53e5\u3002\n" + four).reason,
              "too_few_sentences");
}

TEST(C4Quality, ThreeWordLinesKeptTwoWordLinesRemoved) {
    EXPECT_EQ(after(kFive + "\nTwo words.\nThree words here."), kFive + "\nThree words here.");
}

TEST(C4Quality, WordsAreCountedBeforeCitationRemoval) {
    // "[1] Two words." has three whitespace words before the citation is removed.
    // The removal leaves the line's leading space: datatrove does not strip again.
    EXPECT_EQ(after(kFive + "\n[1] Two words."), kFive + "\n Two words.");
}

TEST(C4Quality, CitationsRemoved) {
    EXPECT_EQ(after(kFive + "\nAs shown[1] before[23][edit] it works[citation needed][]."),
              kFive + "\nAs shown before it works.");
}

TEST(C4Quality, FullwidthDigitCitationsRemoved) {
    EXPECT_EQ(after(kFive + "\nAs shown\uff3b\u4e00\uff3d here[\uff11\uff12] too."),
              kFive + "\nAs shown\uff3b\u4e00\uff3d here too.");
}

TEST(C4Quality, CitationBeforeFinalSpaceLeavesNoTerminalPunctuation) {
    // "Fine text here. [1]" becomes "Fine text here. " which no longer ends in punctuation.
    EXPECT_EQ(after(kFive + "\nFine text here. [1]"), kFive);
}

TEST(C4Quality, RemoveCitationsOff) {
    C4QualityOptions o;
    o.remove_citations = false;
    EXPECT_EQ(after(kFive + "\nAs shown[1] here.", o), kFive + "\nAs shown[1] here.");
}

TEST(C4Quality, WordOf1000CharsKept1001Removed) {
    std::string w1000(1000, 'a'), w1001(1001, 'b');
    EXPECT_EQ(after(kFive + "\nA " + w1000 + " word.\nA " + w1001 + " word."),
              kFive + "\nA " + w1000 + " word.");
}

TEST(C4Quality, WordLengthCountsCodePoints) {
    std::string w;
    for (int i = 0; i < 1000; ++i) w += "\u00e9";  // 2000 bytes, 1000 code points
    EXPECT_EQ(after(kFive + "\nA " + w + " word."), kFive + "\nA " + w + " word.");
}

TEST(C4Quality, LoremIpsumDrops_lorem_ipsum) {
    EXPECT_EQ(c4_quality_of(kFive + "\nLorem Ipsum dolor sit amet.").reason, "lorem_ipsum");
}

TEST(C4Quality, LoremIpsumOnARemovedLineIsIgnored) {
    EXPECT_EQ(after(kFive + "\nlorem ipsum dolor sit amet"), kFive);
}

TEST(C4Quality, JavascriptLinesRemoved) {
    EXPECT_EQ(after(kFive + "\nPlease enable JavaScript to view this."), kFive);
}

TEST(C4Quality, JavascriptCheckedBeforeCurlyBracket) {
    EXPECT_EQ(after(kFive + "\nThe javascript { code } here."), kFive);
}

TEST(C4Quality, CurlyBracketDrops_curly_bracket) {
    EXPECT_EQ(c4_quality_of(kFive + "\nThe set {a, b} is small.").reason, "curly_bracket");
}

TEST(C4Quality, PolicyLinesRemoved) {
    EXPECT_EQ(after(kFive + "\nRead our Privacy Policy today.\nThis site uses cookies, ok."),
              kFive);
}

TEST(C4Quality, KelvinSignLowersToK) {
    // U+212A lowercases to ASCII "k", so "COO\u212aIE POLICY" contains "cookie policy".
    EXPECT_EQ(after(kFive + "\nSee the COO\u212aIE POLICY now."), kFive);
}

TEST(C4Quality, OutputIsStrippedLinesJoinedByNewline) {
    const std::string rest = "The third line is fine.\nThe fourth one is fine.\nThe fifth too.";
    EXPECT_EQ(after("  \n   The first line is fine.   \r\n\tThe second line is fine.\n\n" + rest),
              "The first line is fine.\nThe second line is fine.\n" + rest);
}

TEST(C4Quality, SwitchesOff) {
    C4QualityOptions o;
    o.filter_no_terminal_punct = false;
    o.filter_lorem_ipsum = false;
    o.filter_javascript = false;
    o.filter_curly_bracket = false;
    o.filter_policy = false;
    o.min_words_per_line = -1;
    o.max_word_length = -1;
    std::string text = kFive + "\nlorem ipsum {javascript} uses cookies\nx";
    EXPECT_EQ(after(text, o), text);
}

TEST(C4Quality, SentenceModeJoinsWithSpaces) {
    C4QualityOptions o;
    o.split_paragraph = false;
    EXPECT_EQ(after("One two three. Four five six. Seven eight nine. Ten eleven twelve. "
                    "Thirteen fourteen fifteen. no stop here",
                    o),
              "One two three. Four five six. Seven eight nine. Ten eleven twelve. "
              "Thirteen fourteen fifteen.");
}

TEST(C4Quality, SentenceModeCountsOnePerKeptSentence_too_few_sentences) {
    C4QualityOptions o;
    o.split_paragraph = false;
    EXPECT_EQ(c4_quality_of("One two three. Four five six. Seven eight nine. Ten eleven twelve.", o)
                  .reason,
              "too_few_sentences");
}

}  // namespace
}  // namespace jenny::data
