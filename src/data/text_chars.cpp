#include "data/text_chars.h"

#include <algorithm>
#include <array>
#include <cstdint>

namespace jenny::data {

namespace {

struct CodeRange {
    char32_t first;
    char32_t last;
};

struct LowerToAscii {
    char32_t cp;
    std::u32string_view lower;
};

#include "data/text_tables.inc"

template <size_t N>
bool in_ranges(const CodeRange (&ranges)[N], char32_t cp) {
    auto it = std::upper_bound(std::begin(ranges), std::end(ranges), cp,
                               [](char32_t v, const CodeRange& r) { return v < r.first; });
    return it != std::begin(ranges) && cp <= std::prev(it)->last;
}

bool in_class_ranges(CharClass c, char32_t cp);

constexpr int kClasses = static_cast<int>(CharClass::kDatatroveTerminal) + 1;

// Every class's ASCII members as a 128-bit set: in_class answers ASCII from here.
const std::array<std::array<uint64_t, 2>, kClasses>& ascii_sets() {
    static const auto sets = [] {
        std::array<std::array<uint64_t, 2>, kClasses> t{};
        for (int c = 0; c < kClasses; ++c) {
            for (char32_t cp = 0; cp < 128; ++cp) {
                if (in_class_ranges(static_cast<CharClass>(c), cp))
                    t[static_cast<size_t>(c)][cp >> 6] |= uint64_t{1} << (cp & 63);
            }
        }
        return t;
    }();
    return sets;
}

bool in_class_ranges(CharClass c, char32_t cp) {
    switch (c) {
        case CharClass::kPySpace:
            return in_ranges(kPySpace, cp);
        case CharClass::kPyAlpha:
            return in_ranges(kPyAlpha, cp);
        case CharClass::kPyWord:
            return in_ranges(kPyWord, cp);
        case CharClass::kPyDigit:
            return in_ranges(kPyDigit, cp);
        case CharClass::kPunctCategory:
            return in_ranges(kPyPunctCategory, cp);
        case CharClass::kSpacyAlpha:
            return in_ranges(kAlpha, cp);
        case CharClass::kSpacyLower:
            return in_ranges(kAlphaLower, cp);
        case CharClass::kSpacyUpper:
            return in_ranges(kAlphaUpper, cp);
        case CharClass::kSpacyIcon:
            return in_ranges(kIcons, cp);
        case CharClass::kSpacyDotAfter:
            return in_ranges(kDotAfterLowerEtcClass, cp);
        case CharClass::kSpacyLowerQuote:
            return in_ranges(kLowerOrQuote, cp);
        case CharClass::kSpacyUpperQuote:
            return in_ranges(kUpperOrQuote, cp);
        case CharClass::kDatatrovePunct:
            return in_ranges(kDatatrovePunct, cp);
        case CharClass::kDatatroveTerminal:
            return in_ranges(kDatatroveTerminalPunct, cp);
    }
    return false;
}

}  // namespace

bool in_class(CharClass c, char32_t cp) {
    if (cp < 128) {
        static const auto& sets = ascii_sets();
        return (sets[static_cast<size_t>(c)][cp >> 6] >> (cp & 63)) & 1;
    }
    return in_class_ranges(c, cp);
}

std::span<const Piece> spacy_prefix_pieces() { return kPrefixPieces; }
std::span<const Piece> spacy_suffix_pieces() { return kSuffixPieces; }
std::span<const Piece> spacy_infix_pieces() { return kInfixPieces; }
std::span<const std::u32string_view> spacy_currencies() { return kCurrencies; }
std::span<const std::u32string_view> spacy_units() { return kUnits; }
std::span<const std::u32string_view> spacy_hyphens() { return kHyphens; }
std::span<const SpecialCase> spacy_special_cases() { return kSpecialCases; }
std::span<const std::u32string_view> spacy_sentence_punct() { return kSentencePunct; }

std::u32string_view lower_to_ascii(char32_t cp) {
    for (const LowerToAscii& l : kLowerToAscii) {
        if (l.cp == cp) return l.lower;
    }
    return {};
}

}  // namespace jenny::data
