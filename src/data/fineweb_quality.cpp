// FineWebQualityFilter.filter() of datatrove 0.10.1, rule for rule.
#include <algorithm>

#include "data/line_duplicates.h"
#include "data/py_text.h"
#include "data/text_chars.h"
#include "data/word_split.h"
#include "jenny/data/quality_filters.h"

namespace jenny::data {

Verdict fineweb_quality(Document& doc, const FineWebQualityOptions& o) {
    const std::u32string text = decode_utf8(doc.text);
    std::vector<std::u32string_view> lines;
    for (std::u32string_view l : py_split_on(text, U'\n')) {
        if (!py_strip(l).empty()) lines.push_back(l);
    }
    if (lines.empty()) return Verdict::drop("empty");
    const double nl = static_cast<double>(lines.size());

    std::vector<std::u32string> stop_chars;
    if (o.stop_chars) {
        for (const std::string& s : *o.stop_chars) stop_chars.push_back(decode_utf8(s));
    }
    auto ends_in_stop_char = [&](std::u32string_view line) {
        if (!o.stop_chars) {
            return !line.empty() && in_class(CharClass::kDatatroveTerminal, line.back());
        }
        return std::any_of(stop_chars.begin(), stop_chars.end(),
                           [&](const std::u32string& s) { return ends_with(line, s); });
    };
    double ratio =
        static_cast<double>(std::count_if(lines.begin(), lines.end(), ends_in_stop_char)) / nl;
    if (ratio < o.line_punct_thr && !(ratio == 0 && o.line_punct_exclude_zero)) {
        return Verdict::drop("line_punct_ratio");
    }

    ratio = static_cast<double>(std::count_if(lines.begin(), lines.end(),
                                              [&](std::u32string_view l) {
                                                  return static_cast<int64_t>(l.size()) <=
                                                         o.short_line_length;
                                              })) /
            nl;
    if (ratio > o.short_line_thr) return Verdict::drop("short_line_ratio");

    const size_t newlines = std::count(text.begin(), text.end(), U'\n');
    ratio = static_cast<double>(find_duplicates(lines).chars) /
            static_cast<double>(text.size() - newlines);
    if (ratio > o.char_duplicates_ratio) return Verdict::drop("char_dup_ratio");

    const size_t n_words = split_into_words(text).size();
    if (static_cast<double>(newlines) / static_cast<double>(n_words) > o.new_line_ratio) {
        return Verdict::drop("list_ratio");
    }
    return Verdict::kept();
}

}  // namespace jenny::data
