// Language identification with CLD2 (its model is compiled into the library; nothing to
// download), and the `language` filter of `jenny data run`.
//
// Score. datatrove's LanguageFilter keeps a document when fastText's lid.176 probability
// for its top language is above 0.65. CLD2 gives no probability; it gives, for up to three
// languages, the percentage of the text's letter bytes it assigns to each (percent3), and a
// verdict on the whole answer (is_reliable: false when the text is too short to tell or
// the best two languages score too close). We use
//     score = percent3[0] / 100            when CLD2 calls the result reliable,
//     score = percent3[0] / 200            when it does not,
//     score = 0, language ""               when CLD2 finds no language (junk, digits only).
// So a clean one-language page scores 0.9-0.99; a page that is two-thirds English and one
// third French scores about 0.7 for "en"; a page CLD2 is unsure of never reaches 0.5, and
// the default threshold 0.65 drops it. (CLD2 is run without kCLDFlagBestEffort, so text
// with no recognisable language, such as random letters, comes back unknown.)
//
// Codes are ISO 639-1 where one exists: CLD2's "zh-Hant" is reported as "zh", its legacy
// "iw" as "he" and "jw" as "jv"; languages without a two-letter code keep CLD2's code
// ("haw", "ceb", ...).
//
// Thread-safe: CLD2's tables are static and read-only.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "jenny/data/document.h"

namespace jenny::data {

struct LanguageGuess {
    std::string language;  // ISO 639-1 code, "" when unknown
    double score = 0;      // 0..1 as defined above
    bool reliable = false;
    int percent = 0;  // CLD2's percent3[0]
};

// The top language of `text` (UTF-8; an invalid byte ends what is looked at).
LanguageGuess identify_language(std::string_view text);

struct LanguageFilterOptions {
    std::vector<std::string> languages;        // keep only these codes; empty = any language
    double threshold = 0.65;                   // keep when score >= this
    std::map<std::string, double> thresholds;  // per-language threshold, else `threshold`

    template <class V>
    void visit(V& v) {
        v.field("languages", languages, "ISO 639-1 codes to keep (empty: any language)");
        v.field("threshold", threshold, "minimum language score to keep a document");
        v.field("thresholds", thresholds, "per-language minimum scores, e.g. {zh: 0.5}");
    }
};

// The `language` filter: sets doc.language and doc.language_score, then drops the document
// with reason "language" when its top language is not among `languages` (unknown never is,
// unless `languages` is empty), or "language_score" when the score is below the threshold
// for its language. Reasons are checked in that order.
Verdict language_filter(Document& doc, const LanguageFilterOptions& options = {});

}  // namespace jenny::data
