#include "jenny/data/language_id.h"

#include <gtest/gtest.h>

#include <string>

namespace jenny::data {
namespace {

const std::string kEnLong =
    "The history of bread is long and full of interesting facts about the grains that people "
    "ate in ancient times, and about how they learned to bake them into loaves. Bakers in "
    "every town kept their own recipes, and many of those recipes are still in use today.";
const std::string kFrLong =
    "L'histoire du pain est longue et pleine de faits intéressants sur les céréales que les "
    "gens mangeaient dans l'Antiquité, et sur la façon dont ils ont appris à les cuire. Chaque "
    "village avait son boulanger et ses propres recettes, encore utilisées aujourd'hui.";
const std::string kDeLong =
    "Die Geschichte des Brotes ist lang und voller interessanter Tatsachen über das Getreide, "
    "das die Menschen in der Antike gegessen haben, und darüber, wie sie gelernt haben, es zu "
    "backen. Jede Stadt hatte ihren eigenen Bäcker und ihre eigenen Rezepte.";
const std::string kZhLong =
    "面包的历史很长，充满了关于古代人们所吃的谷物以及他们如何学会把谷物烤成面包的有趣事实。"
    "每个城镇的面包师都有自己的配方，其中许多配方至今仍在使用。";

TEST(LanguageId, LongTexts) {
    for (const auto& [text, code] : {std::pair{kEnLong, "en"}, std::pair{kFrLong, "fr"},
                                     std::pair{kDeLong, "de"}, std::pair{kZhLong, "zh"}}) {
        const LanguageGuess g = identify_language(text);
        EXPECT_EQ(g.language, code);
        EXPECT_TRUE(g.reliable) << code;
        EXPECT_GE(g.score, 0.9) << code;
        EXPECT_LE(g.score, 1.0) << code;
    }
}

TEST(LanguageId, ShortTexts) {
    EXPECT_EQ(identify_language("The quick brown fox jumps over the lazy dog.").language, "en");
    EXPECT_EQ(identify_language("Bonjour, je m'appelle Marie et j'habite à Paris.").language, "fr");
    EXPECT_EQ(identify_language("Guten Tag, ich heiße Peter und wohne in Berlin.").language, "de");
    EXPECT_EQ(identify_language("今天天气很好，我们去公园散步吧。").language, "zh");
    EXPECT_EQ(identify_language("繁體中文的文字，這是一個測試。").language, "zh");  // zh-Hant
    EXPECT_EQ(identify_language("שלום עולם, זהו מבחן של טקסט בעברית").language, "he");
}

TEST(LanguageId, UnknownText) {
    for (const char* junk : {"", "12345 !!! 678", "qwzx vbnm plkj hgfd sdfg wert yuio zxcv"}) {
        const LanguageGuess g = identify_language(junk);
        EXPECT_EQ(g.language, "") << junk;
        EXPECT_EQ(g.score, 0) << junk;
    }
}

TEST(LanguageId, MixedTextScoresTheLargestShare) {
    const LanguageGuess g = identify_language(kEnLong + " " + kEnLong + " " + kFrLong);
    EXPECT_EQ(g.language, "en");
    EXPECT_GT(g.score, 0.55);
    EXPECT_LT(g.score, 0.85);
}

TEST(LanguageFilter, SetsFieldsAndKeepsByLanguage) {
    Document doc;
    doc.text = kFrLong;
    LanguageFilterOptions o;
    EXPECT_TRUE(language_filter(doc, o).keep);
    EXPECT_EQ(doc.language, "fr");
    EXPECT_GT(doc.language_score, 0.9);
    o.languages = {"en", "de"};
    const Verdict v = language_filter(doc, o);
    EXPECT_FALSE(v.keep);
    EXPECT_EQ(v.reason, "language");
    o.languages = {"fr"};
    EXPECT_TRUE(language_filter(doc, o).keep);

    doc.text = "qwzx vbnm plkj hgfd sdfg wert yuio zxcv";
    EXPECT_EQ(language_filter(doc, o).reason, "language");         // unknown is not "fr"
    EXPECT_EQ(language_filter(doc, {}).reason, "language_score");  // any language, score 0
    EXPECT_EQ(doc.language, "");
}

TEST(LanguageFilter, ThresholdsAroundTheDefault) {
    // Two parts English to one part French: "en" with a score between 0.55 and 0.85.
    Document doc;
    doc.text = kEnLong + " " + kEnLong + " " + kFrLong;
    const double score = identify_language(doc.text).score;
    LanguageFilterOptions o;
    o.threshold = score;  // at the threshold: kept (>=)
    EXPECT_TRUE(language_filter(doc, o).keep);
    o.threshold = score + 0.01;
    EXPECT_EQ(language_filter(doc, o).reason, "language_score");
    // A per-language threshold overrides the default for that language only.
    o.thresholds["en"] = score - 0.01;
    EXPECT_TRUE(language_filter(doc, o).keep);
    o.thresholds = {{"fr", 0.0}};
    EXPECT_FALSE(language_filter(doc, o).keep);

    // The default 0.65 keeps clean text in each language.
    for (const std::string& text : {kEnLong, kFrLong, kDeLong, kZhLong}) {
        doc.text = text;
        EXPECT_TRUE(language_filter(doc).keep) << text;
    }
    // One third English, two thirds French: "fr" wins, English is not kept.
    doc.text = kEnLong + " " + kFrLong + " " + kFrLong;
    o = {};
    o.languages = {"en"};
    EXPECT_EQ(language_filter(doc, o).reason, "language");
}

TEST(LanguageFilter, PerLanguageThresholdForChinese) {
    Document doc;
    doc.text = kZhLong;
    LanguageFilterOptions o;
    o.threshold = 0.999;
    EXPECT_EQ(language_filter(doc, o).reason, "language_score");
    o.thresholds["zh"] = 0.5;
    EXPECT_TRUE(language_filter(doc, o).keep);
    EXPECT_EQ(doc.language, "zh");
}

}  // namespace
}  // namespace jenny::data
