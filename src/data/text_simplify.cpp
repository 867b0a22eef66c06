// Word splitting and simplification for dedup and decontamination (contract in
// include/jenny/data/text_simplify.h). One pass over the bytes with an ASCII fast path; the
// non-ASCII rules are range tables, not full Unicode data, so the behaviour is fixed and
// cheap rather than complete.
#include "jenny/data/text_simplify.h"

#include "jenny/base/utf8.h"

namespace jenny::data {
namespace {

enum class CharClass { kWord, kDigit, kSpace, kPunct, kDrop, kMark, kCjk };

// Base letters of the precomposed letters U+00C0..U+017F ('.' = none, as in NFD).
constexpr char kBaseLetters[] =
    "AAAAAA.CEEEEIIII.NOOOOO..UUUUY.."  // U+00C0
    "aaaaaa.ceeeeiiii.nooooo..uuuuy.y"  // U+00E0
    "aaaaaaccccccccdd..eeeeeeeeeegggggggghh..iiiiiiiii...jjkk.llllll....nnnnnn"
    "...oooooo..rrrrrr"
    "ssssssss"
    "tttt.."
    "uuuuuuuuuuuu"
    "wwyyyzzzzzz.";
static_assert(sizeof(kBaseLetters) - 1 == 0x180 - 0xC0, "one entry per code point");

bool in(uint32_t cp, uint32_t lo, uint32_t hi) { return cp >= lo && cp <= hi; }

bool is_digit(uint32_t cp) {
    return in(cp, '0', '9') || in(cp, 0x660, 0x669) || in(cp, 0x6F0, 0x6F9) ||
           in(cp, 0x966, 0x96F) || in(cp, 0xFF10, 0xFF19);
}

CharClass classify(uint32_t cp) {
    if (cp < 0x80) {
        if (in(cp, 'a', 'z') || in(cp, 'A', 'Z')) return CharClass::kWord;
        if (in(cp, '0', '9')) return CharClass::kDigit;
        if (cp == ' ' || in(cp, '\t', '\r')) return CharClass::kSpace;
        if (cp < 0x20 || cp == 0x7F) return CharClass::kSpace;  // controls separate
        return CharClass::kPunct;
    }
    if (cp == 0x85 || cp == 0xA0 || cp == 0x1680 || in(cp, 0x2000, 0x200A) || cp == 0x2028 ||
        cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000 || in(cp, 0x80, 0x9F)) {
        return CharClass::kSpace;
    }
    if (in(cp, 0x200B, 0x200D) || cp == 0x2060 || cp == 0xFEFF || cp == 0xAD) {
        return CharClass::kDrop;
    }
    if (in(cp, 0x300, 0x36F)) return CharClass::kMark;
    if (is_digit(cp)) return CharClass::kDigit;
    if ((in(cp, 0xA1, 0xBF) && cp != 0xAA && cp != 0xB5 && cp != 0xBA) || cp == 0xD7 ||
        cp == 0xF7 || in(cp, 0x2010, 0x2027) || in(cp, 0x2030, 0x205E) || in(cp, 0x2190, 0x2BFF) ||
        in(cp, 0x2E00, 0x2E7F) || in(cp, 0x3001, 0x3003) || in(cp, 0x3008, 0x3011) ||
        in(cp, 0x3014, 0x301F) || cp == 0x30FB || in(cp, 0xFE10, 0xFE1F) ||
        in(cp, 0xFE30, 0xFE6F) || in(cp, 0xFF01, 0xFF0F) || in(cp, 0xFF1A, 0xFF20) ||
        in(cp, 0xFF3B, 0xFF40) || in(cp, 0xFF5B, 0xFF65) || cp == 0x60C || cp == 0x61B ||
        cp == 0x61F || in(cp, 0x66A, 0x66D) || cp == 0x6D4 || cp == 0x964 || cp == 0x965) {
        return CharClass::kPunct;
    }
    if (in(cp, 0x3040, 0x30FF) || in(cp, 0x3400, 0x4DBF) || in(cp, 0x4E00, 0x9FFF) ||
        in(cp, 0xF900, 0xFAFF) || in(cp, 0x20000, 0x2FFFF)) {
        return CharClass::kCjk;
    }
    return CharClass::kWord;
}

uint32_t to_lower(uint32_t cp) {
    if (cp < 0x80) return in(cp, 'A', 'Z') ? cp + 0x20 : cp;
    if (in(cp, 0xC0, 0xDE) && cp != 0xD7) return cp + 0x20;
    if (in(cp, 0x100, 0x17F)) {
        if (cp == 0x130) return 'i';
        if (cp == 0x178) return 0xFF;
        bool even = (cp & 1) == 0;
        if ((in(cp, 0x100, 0x137) || in(cp, 0x14A, 0x177)) && even) return cp + 1;
        if ((in(cp, 0x139, 0x148) || in(cp, 0x179, 0x17E)) && !even) return cp + 1;
        return cp;
    }
    if (in(cp, 0x391, 0x3A9) && cp != 0x3A2) return cp + 0x20;
    if (cp == 0x386) return 0x3AC;
    if (in(cp, 0x388, 0x38A)) return cp + 0x25;
    if (cp == 0x38C) return 0x3CC;
    if (cp == 0x38E || cp == 0x38F) return cp + 0x3F;
    if (in(cp, 0x410, 0x42F)) return cp + 0x20;
    if (in(cp, 0x400, 0x40F)) return cp + 0x50;
    if (in(cp, 0xFF21, 0xFF3A)) return cp + 0x20;
    return cp;
}

bool is_number_separator(uint32_t cp) {
    return cp == '.' || cp == ',' || cp == 0x60C || cp == 0x66B;
}

}  // namespace

uint32_t TextNormOptions::flags() const {
    return (lowercase ? 1u : 0u) | (strip_diacritics ? 2u : 0u) | (norm_numbers ? 4u : 0u) |
           (remove_punctuation ? 8u : 0u) | (cjk_chars_as_words ? 16u : 0u);
}

SimplifiedWords::SimplifiedWords(std::string_view text, const TextNormOptions& options)
    : text_(text), options_(options) {}

bool SimplifiedWords::flush(std::string_view* word) {
    out_.swap(word_);
    word_.clear();
    *word = out_;
    return true;
}

bool SimplifiedWords::next(std::string_view* word) {
    if (!pending_.empty()) {
        out_.swap(pending_);
        pending_.clear();
        *word = out_;
        return true;
    }
    while (pos_ < text_.size()) {
        auto c = static_cast<unsigned char>(text_[pos_]);
        // ASCII letters: the common case.
        if (in(c, 'a', 'z') || in(c, 'A', 'Z')) {
            word_.push_back(options_.lowercase && c <= 'Z' ? static_cast<char>(c + 0x20)
                                                           : static_cast<char>(c));
            ++pos_;
            continue;
        }
        size_t len = 1;
        uint32_t cp = base::decode_utf8_at(text_, pos_, &len);
        if (cp == base::kInvalidCodePoint) {
            word_.push_back(static_cast<char>(c));
            ++pos_;
            continue;
        }
        CharClass cls = classify(cp);
        if (cls == CharClass::kDigit && options_.norm_numbers) {
            // digits [sep digits]: one "0", like datatrove's NUMBERS_PATTERN.
            auto digit_at = [&](size_t p, size_t* n) {
                return p < text_.size() && is_digit(base::decode_utf8_at(text_, p, n));
            };
            size_t n = 0;
            while (digit_at(pos_, &n)) pos_ += n;
            size_t sep_len = 0;
            if (pos_ < text_.size() &&
                is_number_separator(base::decode_utf8_at(text_, pos_, &sep_len)) &&
                digit_at(pos_ + sep_len, &n)) {
                pos_ += sep_len;
                while (digit_at(pos_, &n)) pos_ += n;
            }
            word_.push_back('0');
            continue;
        }
        pos_ += len;
        switch (cls) {
            case CharClass::kSpace:
                if (!word_.empty()) return flush(word);
                break;
            case CharClass::kDrop:
                break;
            case CharClass::kMark:
                if (!options_.strip_diacritics) base::append_utf8(&word_, cp);
                break;
            case CharClass::kPunct:
                if (!options_.remove_punctuation) {
                    base::append_utf8(&pending_, cp);
                    if (!word_.empty()) return flush(word);
                    out_.swap(pending_);
                    pending_.clear();
                    *word = out_;
                    return true;
                }
                if (!word_.empty()) return flush(word);
                break;
            case CharClass::kCjk:
                if (options_.cjk_chars_as_words) {
                    base::append_utf8(&pending_, cp);
                    if (!word_.empty()) return flush(word);
                    out_.swap(pending_);
                    pending_.clear();
                    *word = out_;
                    return true;
                }
                base::append_utf8(&word_, cp);
                break;
            case CharClass::kDigit:
            case CharClass::kWord: {
                uint32_t lower = options_.lowercase ? to_lower(cp) : cp;
                if (options_.strip_diacritics && in(lower, 0xC0, 0x17F)) {
                    char base = kBaseLetters[lower - 0xC0];
                    if (base != '.') {
                        bool upper = to_lower(lower) != lower;
                        word_.push_back(upper && base >= 'a' ? static_cast<char>(base - 0x20)
                                                             : base);
                        break;
                    }
                }
                base::append_utf8(&word_, lower);
                break;
            }
        }
    }
    if (!word_.empty()) return flush(word);
    return false;
}

std::string simplify_text(std::string_view text, const TextNormOptions& options) {
    std::string out;
    SimplifiedWords words(text, options);
    std::string_view w;
    while (words.next(&w)) {
        if (!out.empty()) out.push_back(' ');
        out.append(w);
    }
    return out;
}

}  // namespace jenny::data
