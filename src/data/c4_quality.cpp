// C4QualityFilter.filter() of datatrove 0.10.1, rule for rule.
#include <algorithm>
#include <string>

#include "data/py_text.h"
#include "data/text_chars.h"
#include "data/word_split.h"
#include "jenny/data/quality_filters.h"

namespace jenny::data {

namespace {

constexpr std::u32string_view kPolicySubstrings[] = {
    U"terms of use", U"privacy policy", U"cookie policy",
    U"uses cookies", U"use of cookies", U"use cookies",
};

bool py_decimal(char32_t c) {
    return (c >= '0' && c <= '9') || (c >= 0x80 && in_class(CharClass::kPyDigit, c));
}

// CITATION_REGEX.sub("", s) with CITATION_REGEX = r"\[\d*]|\[edit]|\[citation needed]".
std::u32string remove_citations(std::u32string_view s) {
    std::u32string out;
    out.reserve(s.size());
    size_t i = 0;
    while (i < s.size()) {
        if (s[i] == '[') {
            size_t j = i + 1;
            while (j < s.size() && py_decimal(s[j])) ++j;
            if (j < s.size() && s[j] == ']') {
                i = j + 1;
                continue;
            }
            std::u32string_view rest = s.substr(i);
            if (starts_with(rest, U"[edit]")) {
                i += 6;
                continue;
            }
            if (starts_with(rest, U"[citation needed]")) {
                i += 17;
                continue;
            }
        }
        out.push_back(s[i++]);
    }
    return out;
}

bool ends_with_terminal_punct(std::u32string_view line) {
    if (line.empty()) return false;
    char32_t c = line.back();
    bool punct = c == '.' || c == '?' || c == '!' || c == '"' || c == '\'';
    return punct && !ends_with(line, U"...");
}

bool contains(std::u32string_view s, std::u32string_view needle) {
    return s.find(needle) != std::u32string_view::npos;
}

}  // namespace

Verdict c4_quality(Document& doc, const C4QualityOptions& o) {
    const std::u32string text = decode_utf8(doc.text);
    const std::vector<std::u32string_view> lines =
        o.split_paragraph ? py_splitlines(text) : split_into_sentences(text);

    int64_t num_sentences = 0;
    std::vector<std::u32string> kept;
    for (std::u32string_view raw : lines) {
        std::u32string_view stripped = py_strip(raw);
        std::vector<std::u32string_view> words = py_split_whitespace(stripped);
        if (o.max_word_length != -1 &&
            std::any_of(words.begin(), words.end(), [&](std::u32string_view w) {
                return static_cast<int64_t>(w.size()) > o.max_word_length;
            })) {
            continue;
        }
        std::u32string line =
            o.remove_citations ? remove_citations(stripped) : std::u32string(stripped);
        if (o.filter_no_terminal_punct && !ends_with_terminal_punct(line)) continue;
        if (static_cast<int64_t>(words.size()) < o.min_words_per_line) continue;
        std::u32string lower = py_lower_for_ascii_search(line);
        if (o.filter_lorem_ipsum && contains(lower, U"lorem ipsum")) {
            return Verdict::drop("lorem_ipsum");
        }
        if (o.filter_javascript && contains(lower, U"javascript")) continue;
        if (o.filter_curly_bracket && contains(line, U"{")) return Verdict::drop("curly_bracket");
        if (o.filter_policy &&
            std::any_of(std::begin(kPolicySubstrings), std::end(kPolicySubstrings),
                        [&](std::u32string_view p) { return contains(lower, p); })) {
            continue;
        }
        if (o.min_num_sentences != -1) {
            num_sentences += o.split_paragraph ? static_cast<int64_t>(count_sentences(line)) : 1;
        }
        kept.push_back(std::move(line));
    }
    if (num_sentences < o.min_num_sentences) return Verdict::drop("too_few_sentences");

    std::u32string joined;
    for (size_t i = 0; i < kept.size(); ++i) {
        if (i) joined.push_back(o.split_paragraph ? U'\n' : U' ');
        joined.append(kept[i]);
    }
    doc.text = encode_utf8(py_strip(joined));
    return Verdict::kept();
}

}  // namespace jenny::data
