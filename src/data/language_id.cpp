#include "jenny/data/language_id.h"

#include <cstdio>  // compact_lang_det.h uses FILE without including it

#include <cld2/public/compact_lang_det.h>
#include <cld2/public/encodings.h>

#include <algorithm>
#include <climits>

namespace jenny::data {
namespace {

std::string iso_code(CLD2::Language lang) {
    if (lang == CLD2::UNKNOWN_LANGUAGE || lang == CLD2::TG_UNKNOWN_LANGUAGE) return {};
    std::string code = CLD2::LanguageCode(lang);
    if (code == "un" || code == "xxx") return {};
    if (code == "iw") return "he";
    if (code == "jw") return "jv";
    // "zh-Hant" and regional variants such as "sr-ME": the language part.
    const size_t dash = code.find('-');
    if (dash != std::string::npos && dash > 0) code.resize(dash);
    return code;
}

}  // namespace

LanguageGuess identify_language(std::string_view text) {
    LanguageGuess guess;
    if (text.empty()) return guess;
    const int length = static_cast<int>(std::min<size_t>(text.size(), INT_MAX));
    CLD2::Language language3[3];
    int percent3[3];
    double normalized_score3[3];
    int text_bytes = 0;
    bool reliable = false;
    int valid_prefix_bytes = 0;
    CLD2::CLDHints hints = {nullptr, nullptr, CLD2::UNKNOWN_ENCODING, CLD2::UNKNOWN_LANGUAGE};
    CLD2::ExtDetectLanguageSummaryCheckUTF8(text.data(), length, /*is_plain_text=*/true, &hints,
                                            /*flags=*/0, language3, percent3, normalized_score3,
                                            /*resultchunkvector=*/nullptr, &text_bytes, &reliable,
                                            &valid_prefix_bytes);
    // The summary language CLD2 returns may differ from the largest share (it prefers a
    // non-English language with a sizeable share); the score is about the largest share.
    guess.language = iso_code(language3[0]);
    if (guess.language.empty()) return guess;
    guess.percent = percent3[0];
    guess.reliable = reliable;
    guess.score = percent3[0] / (reliable ? 100.0 : 200.0);
    return guess;
}

Verdict language_filter(Document& doc, const LanguageFilterOptions& options) {
    const LanguageGuess guess = identify_language(doc.text);
    doc.language = guess.language;
    doc.language_score = guess.score;
    if (!options.languages.empty() && std::find(options.languages.begin(), options.languages.end(),
                                                guess.language) == options.languages.end()) {
        return Verdict::drop("language");
    }
    auto it = options.thresholds.find(guess.language);
    const double threshold = it != options.thresholds.end() ? it->second : options.threshold;
    if (guess.score < threshold) return Verdict::drop("language_score");
    return Verdict::kept();
}

}  // namespace jenny::data
