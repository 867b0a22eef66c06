#include "jenny/data/text_simplify.h"

#include <gtest/gtest.h>

namespace jenny::data {
namespace {

std::string s(std::string_view text, TextNormOptions o = {}) { return simplify_text(text, o); }

TEST(TextSimplifyTest, CasePunctuationWhitespace) {
    EXPECT_EQ(s("  Hello,\tWORLD!\n\nIt's   fine… — “quoted” «x» (y) [z]  "),
              "hello world it s fine quoted x y z");
    EXPECT_EQ(s(""), "");
    EXPECT_EQ(s(" ?!... \r\n"), "");
    EXPECT_EQ(s("a\u00A0b\u3000c\u200Bd"), "a b cd");  // NBSP, ideographic space, ZWSP
}

TEST(TextSimplifyTest, Numbers) {
    EXPECT_EQ(s("In 2023 prices rose 3.5% to $1,299.99 (x12)"), "in 0 prices rose 0 to 0 0 x0");
    EXPECT_EQ(s("１２３ and ٣٤"), "0 and 0");
    TextNormOptions o;
    o.norm_numbers = false;
    EXPECT_EQ(s("In 2023, 3.5", o), "in 2023 3 5");
}

TEST(TextSimplifyTest, DiacriticsAndScripts) {
    EXPECT_EQ(s("Café Ñandú Ærø Łódź İstanbul"), "cafe nandu ærø łodz istanbul");
    EXPECT_EQ(s("e\u0301te\u0301"), "ete");  // combining acute accents dropped
    EXPECT_EQ(s("ΑΘΗΝΑ Москва"), "αθηνα москва");
    TextNormOptions o;
    o.strip_diacritics = false;
    EXPECT_EQ(s("Café", o), "café");
    o = {};
    o.lowercase = false;
    EXPECT_EQ(s("Café ÉTÉ", o), "Cafe ETE");
}

TEST(TextSimplifyTest, CjkCharactersAreWords) {
    EXPECT_EQ(s("我们明天见。ひらがなOK"), "我 们 明 天 见 ひ ら が な ok");
    TextNormOptions o;
    o.cjk_chars_as_words = false;
    EXPECT_EQ(s("我们明天见。再见", o), "我们明天见 再见");
}

TEST(TextSimplifyTest, PunctuationKeptAsWords) {
    TextNormOptions o;
    o.remove_punctuation = false;
    EXPECT_EQ(s("Hi, there!", o), "hi , there !");
}

TEST(TextSimplifyTest, InvalidUtf8IsKeptNotFatal) {
    std::string bad = "ab\xff\xfe cd \xe2\x82";
    EXPECT_EQ(s(bad), "ab\xff\xfe cd \xe2\x82");
}

TEST(TextSimplifyTest, FlagsDifferPerOption) {
    TextNormOptions a, b;
    b.norm_numbers = false;
    EXPECT_EQ(a.flags(), 0x1Fu);
    EXPECT_NE(a.flags(), b.flags());
}

}  // namespace
}  // namespace jenny::data
