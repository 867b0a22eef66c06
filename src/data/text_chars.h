// Character classes and rule tables for agreeing with Python, spaCy and datatrove (private to
// src/data). The data is generated into text_tables.inc by tools/oracle/gen_text_tables.py
// from Python 3.11 (Unicode 14), spaCy 3.8.18's English tokenizer and datatrove 0.10.1.
// All functions are pure and thread-safe.
#pragma once

#include <span>
#include <string_view>

namespace jenny::data {

enum class CharClass {
    kPySpace,            // str.isspace()
    kPyAlpha,            // str.isalpha()
    kPyWord,             // re's \w on str
    kPyDigit,            // re's \d on str (Unicode Nd)
    kPunctCategory,      // unicodedata.category(c) starts with "P" (spaCy's is_punct)
    kSpacyAlpha,         // spaCy char_classes.ALPHA
    kSpacyLower,         // spaCy ALPHA_LOWER
    kSpacyUpper,         // spaCy ALPHA_UPPER
    kSpacyIcon,          // spaCy LIST_ICONS[0]
    kSpacyDotAfter,      // lookbehind class of spaCy's suffix "(?<=[0-9{al}{e}{p}(?:{q})])\."
    kSpacyLowerQuote,    // ALPHA_LOWER + CONCAT_QUOTES
    kSpacyUpperQuote,    // ALPHA_UPPER + CONCAT_QUOTES
    kDatatrovePunct,     // datatrove PUNCTUATION_SET
    kDatatroveTerminal,  // datatrove TERMINAL_PUNCTUATION (keep last: text_chars.cpp sizes by it)
};

// Whether `cp` is in class `c`.
bool in_class(CharClass c, char32_t cp);

// One alternative of spaCy's prefix / suffix / infix regex, in spaCy's order.
enum class PieceKind {
    kLiteral,
    kPlusNotDigit,         // \+(?![0-9])
    kDots,                 // \.\.+
    kIcon,                 // [icons]
    kPlusAfterDigit,       // (?<=[0-9])\+
    kDotAfterDegree,       // (?<=°[FfCcKk])\.
    kCurrencyAfterDigit,   // (?<=[0-9])(?:currencies)
    kUnitAfterDigit,       // (?<=[0-9])(?:units)
    kDotAfterLowerEtc,     // (?<=[0-9 lower %²-+ punct quotes])\.
    kDotAfterTwoUpper,     // (?<=[upper][upper])\.
    kArithBetweenDigits,   // (?<=[0-9])[+\-*^](?=[0-9-])
    kDotLowerUpper,        // (?<=[lower quote])\.(?=[upper quote])
    kCommaBetweenAlpha,    // (?<=[alpha]),(?=[alpha])
    kHyphenBeforeAlpha,    // (?<=[alpha 0-9])(?:hyphens)(?=[alpha])
    kColonEtcBeforeAlpha,  // (?<=[alpha 0-9])[:<>=/](?=[alpha])
};

struct Piece {
    PieceKind kind;
    std::u32string_view literal;  // for kLiteral
};

// A tokenizer exception: `key` is split into the non-empty `orth` pieces (concatenating to key).
struct SpecialCase {
    std::u32string_view key;
    std::u32string_view orth[3];
};

std::span<const Piece> spacy_prefix_pieces();
std::span<const Piece> spacy_suffix_pieces();
std::span<const Piece> spacy_infix_pieces();
std::span<const std::u32string_view> spacy_currencies();
std::span<const std::u32string_view> spacy_units();
std::span<const std::u32string_view> spacy_hyphens();
std::span<const SpecialCase> spacy_special_cases();
// The Sentencizer's default punct_chars (sorted, one character each).
std::span<const std::u32string_view> spacy_sentence_punct();

// What str.lower() turns `cp` into when that contains ASCII and `cp` is not ASCII (U+0130 →
// "i\u0307", U+212A → "k"), else "".
std::u32string_view lower_to_ascii(char32_t cp);

}  // namespace jenny::data
