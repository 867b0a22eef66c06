// The `normalize` and `length` blocks of `jenny data run` (private to src/data).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "jenny/data/document.h"

namespace jenny::data {

struct NormalizeOptions {
    std::string form = "nfc";    // nfc | nfkc | none: Unicode normalisation (utf8proc)
    bool fix_whitespace = true;  // see normalize_text()
    template <class V>
    void visit(V& v) {
        v.one_of("form", form, {"nfc", "nfkc", "none"}, "Unicode normalisation form");
        v.field("fix_whitespace", fix_whitespace,
                "CRLF -> LF, no-break / odd spaces -> space, control characters removed, "
                "trailing spaces cut, at most one blank line in a row, ends trimmed");
    }
};

// `text` normalised: the Unicode form first, then with fix_whitespace: "\r\n" and "\r" become
// "\n"; U+00A0, U+1680, U+2000..U+200A, U+202F, U+205F, U+3000 become a plain space and
// U+200B, U+FEFF (zero width) go; C0 controls other than \t \n, DEL and C1 controls go;
// spaces and tabs at line ends go; runs of more than two "\n" become two; the text is trimmed
// of surrounding whitespace. `text` must be valid UTF-8.
std::string normalize_text(std::string_view text, const NormalizeOptions& o);

// Normalises doc.text in place; drops documents left empty ("empty_after_normalize").
Verdict normalize_document(Document& doc, const NormalizeOptions& o);

struct LengthOptions {
    int64_t min_chars = 1;  // Unicode code points
    int64_t max_chars = 0;  // 0: no limit
    int64_t min_words = 0;  // whitespace-separated words
    int64_t max_words = 0;  // 0: no limit
    template <class V>
    void visit(V& v) {
        v.field("min_chars", min_chars, "drop documents with fewer code points");
        v.field("max_chars", max_chars, "drop documents with more code points (0: no limit)");
        v.field("min_words", min_words, "drop documents with fewer whitespace-separated words");
        v.field("max_words", max_words, "drop documents with more words (0: no limit)");
    }
};

// Keeps documents within the bounds; reasons "too_few_chars", "too_many_chars",
// "too_few_words", "too_many_words".
Verdict length_filter(Document& doc, const LengthOptions& o);

}  // namespace jenny::data
