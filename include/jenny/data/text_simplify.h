// Text simplification for deduplication and decontamination: the words two texts are
// compared on, in the spirit of datatrove's simplify_text + word tokenizer (not byte-exact).
//
// What a word is, with the default TextNormOptions:
// - lower case: ASCII, Latin-1, Latin Extended-A, Greek, Cyrillic and full-width Latin
//   (no other scripts have case here);
// - diacritics stripped: combining marks U+0300..U+036F are dropped and the precomposed
//   Latin-1 / Latin Extended-A letters map to their base letter (é → e, ł stays ł, as NFD);
// - numbers: a run of decimal digits (ASCII, full-width, Arabic-Indic, Devanagari), with at
//   most one [.,،٫] followed by more digits, becomes "0" ("3.14" → "0", "a12" → "a0");
// - punctuation and symbols are separators: ASCII punctuation and controls, Latin-1
//   symbols, General Punctuation U+2010..U+205E, arrows / math / box drawing / shapes /
//   dingbats U+2190..U+2BFF, CJK and full-width punctuation, Arabic and Devanagari stops;
// - whitespace (ASCII and Unicode spaces) separates; zero-width characters are dropped;
// - CJK ideographs and kana are one word per character (datatrove segments Chinese and
//   Japanese with a language tokenizer; one character per word needs none).
// Invalid UTF-8 bytes are kept as word bytes. Documents should already be valid UTF-8.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace jenny::data {

struct TextNormOptions {
    bool lowercase = true;
    bool strip_diacritics = true;
    bool norm_numbers = true;
    bool remove_punctuation = true;  // false: each punctuation character is its own word
    bool cjk_chars_as_words = true;  // false: CJK runs split on spaces/punctuation only

    template <class V>
    void visit(V& v) {
        v.field("lowercase", lowercase, "compare words in lower case");
        v.field("strip_diacritics", strip_diacritics, "é → e, drop combining marks");
        v.field("norm_numbers", norm_numbers, "every number becomes 0");
        v.field("remove_punctuation", remove_punctuation, "punctuation separates words");
        v.field("cjk_chars_as_words", cjk_chars_as_words,
                "each CJK ideograph / kana character is a word");
    }

    // The options as bits (bit 0 lowercase .. bit 4 cjk_chars_as_words), stored in dedup
    // file headers so stages with different options refuse each other's files.
    uint32_t flags() const;
};

// Splits a text into simplified words, one at a time, without copying the text.
//
//   SimplifiedWords words(doc.text, options);
//   std::string_view w;
//   while (words.next(&w)) use(w);
//
// `text` must outlive the object. Not thread-safe; cheap to construct.
class SimplifiedWords {
public:
    SimplifiedWords(std::string_view text, const TextNormOptions& options);

    // Sets *word to the next word (valid until the next call) and returns true; returns
    // false at the end of the text.
    bool next(std::string_view* word);

private:
    bool flush(std::string_view* word);

    std::string_view text_;
    size_t pos_ = 0;
    TextNormOptions options_;
    std::string word_;     // the word being built
    std::string out_;      // the word handed out last
    std::string pending_;  // a one-character word (CJK, punctuation) to hand out next
};

// The simplified words of `text` joined by single spaces ("" when it has none).
std::string simplify_text(std::string_view text, const TextNormOptions& options);

}  // namespace jenny::data
