// GopherQualityFilter.filter() of datatrove 0.10.1, rule for rule.
#include <algorithm>
#include <set>

#include "data/py_text.h"
#include "data/text_chars.h"
#include "data/word_split.h"
#include "jenny/data/quality_filters.h"

namespace jenny::data {

namespace {

bool has_alpha(std::u32string_view w) { return std::any_of(w.begin(), w.end(), py_isalpha); }

bool is_symbol_word(std::u32string_view w) {
    return std::all_of(w.begin(), w.end(),
                       [](char32_t c) { return in_class(CharClass::kDatatrovePunct, c); });
}

}  // namespace

Verdict gopher_quality(Document& doc, const GopherQualityOptions& o) {
    const std::u32string text = decode_utf8(doc.text);
    const std::vector<std::u32string_view> words = split_into_words(text);
    const size_t n_words = words.size();

    size_t n_non_symbol = 0;
    size_t non_symbol_chars = 0;
    for (std::u32string_view w : words) {
        if (is_symbol_word(w)) continue;
        ++n_non_symbol;
        non_symbol_chars += w.size();
    }
    if (o.min_doc_words && static_cast<int64_t>(n_non_symbol) < o.min_doc_words) {
        return Verdict::drop("gopher_short_doc");
    }
    if (o.max_doc_words && static_cast<int64_t>(n_non_symbol) > o.max_doc_words) {
        return Verdict::drop("gopher_long_doc");
    }
    // np.mean of an empty list is nan, which fails both comparisons.
    if (n_non_symbol > 0) {
        double avg = static_cast<double>(non_symbol_chars) / static_cast<double>(n_non_symbol);
        if (o.min_avg_word_length && avg < o.min_avg_word_length) {
            return Verdict::drop("gopher_below_avg_threshold");
        }
        if (o.max_avg_word_length && avg > o.max_avg_word_length) {
            return Verdict::drop("gopher_above_avg_threshold");
        }
    }
    // datatrove divides by the word and line counts below and raises on 0; we skip the rules.
    if (n_words == 0) return Verdict::kept();
    const double nw = static_cast<double>(n_words);
    if (o.max_symbol_word_ratio &&
        static_cast<double>(py_count(text, U"#")) / nw > o.max_symbol_word_ratio) {
        return Verdict::drop("gopher_too_many_hashes");
    }
    if (o.max_symbol_word_ratio &&
        static_cast<double>(py_count(text, U"...") + py_count(text, U"\u2026")) / nw >
            o.max_symbol_word_ratio) {
        return Verdict::drop("gopher_too_many_ellipsis");
    }
    const std::vector<std::u32string_view> lines = py_splitlines(text);
    if (!lines.empty()) {
        const double nl = static_cast<double>(lines.size());
        size_t bullets = 0, ellipsis = 0;
        for (std::u32string_view s : lines) {
            std::u32string_view l = py_lstrip(s), r = py_rstrip(s);
            bullets += starts_with(l, U"\u2022") || starts_with(l, U"-");
            ellipsis += ends_with(r, U"...") || ends_with(r, U"\u2026");
        }
        if (o.max_bullet_lines_ratio &&
            static_cast<double>(bullets) / nl > o.max_bullet_lines_ratio) {
            return Verdict::drop("gopher_too_many_bullets");
        }
        if (o.max_ellipsis_lines_ratio &&
            static_cast<double>(ellipsis) / nl > o.max_ellipsis_lines_ratio) {
            return Verdict::drop("gopher_too_many_end_ellipsis");
        }
    }
    if (o.max_non_alpha_words_ratio) {
        size_t alpha_words = std::count_if(words.begin(), words.end(), has_alpha);
        if (static_cast<double>(alpha_words) / nw < o.max_non_alpha_words_ratio) {
            return Verdict::drop("gopher_below_alpha_threshold");
        }
    }
    if (o.min_stop_words) {
        std::set<std::u32string> stop;
        for (const std::string& s : o.stop_words) stop.insert(decode_utf8(s));
        std::set<std::u32string_view> present;
        for (std::u32string_view w : words) {
            if (stop.count(std::u32string(w))) present.insert(w);
        }
        if (static_cast<int64_t>(present.size()) < o.min_stop_words) {
            return Verdict::drop("gopher_enough_stop_words");
        }
    }
    return Verdict::kept();
}

}  // namespace jenny::data
