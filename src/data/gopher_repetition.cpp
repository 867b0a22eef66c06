// GopherRepetitionFilter.filter() of datatrove 0.10.1, rule for rule.
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "data/line_duplicates.h"
#include "data/py_text.h"
#include "data/word_split.h"
#include "jenny/data/quality_filters.h"

namespace jenny::data {

namespace {

// re.split(r"\n{min_run,}", s): split at runs of at least `min_run` newlines.
std::vector<std::u32string_view> split_newline_runs(std::u32string_view s, size_t min_run) {
    std::vector<std::u32string_view> out;
    size_t start = 0, i = 0;
    while (i < s.size()) {
        if (s[i] != '\n') {
            ++i;
            continue;
        }
        size_t j = i;
        while (j < s.size() && s[j] == '\n') ++j;
        if (j - i >= min_run) {
            out.push_back(s.substr(start, i - start));
            start = j;
        }
        i = j;
    }
    out.push_back(s.substr(start));
    return out;
}

std::u32string join(const std::vector<std::u32string_view>& words, size_t i, size_t n,
                    std::u32string_view sep) {
    std::u32string s;
    for (size_t k = 0; k < n; ++k) {
        if (k) s.append(sep);
        s.append(words[i + k]);
    }
    return s;
}

// find_top_duplicate(get_n_grams(words, n)): len(top) * count for Counter.most_common(1),
// whose ties go to the n-gram seen first. 0 when there are no n-grams.
size_t top_ngram_chars(const std::vector<std::u32string_view>& words, size_t n) {
    if (words.size() < n) return 0;
    struct Entry {
        size_t count = 0;
        size_t first = 0;
        size_t length = 0;
    };
    std::unordered_map<std::u32string, Entry> counts;
    for (size_t i = 0; i + n <= words.size(); ++i) {
        std::u32string g = join(words, i, n, U" ");
        auto [it, fresh] = counts.try_emplace(std::move(g));
        if (fresh) {
            it->second.first = i;
            it->second.length = it->first.size();
        }
        ++it->second.count;
    }
    const Entry* best = nullptr;
    for (const auto& [g, e] : counts) {
        if (!best || e.count > best->count || (e.count == best->count && e.first < best->first)) {
            best = &e;
        }
    }
    return best->length * best->count;
}

// find_all_duplicate(words, n): n-grams joined without a separator; a repeat skips n words.
size_t repeated_ngram_chars(const std::vector<std::u32string_view>& words, size_t n) {
    std::unordered_set<std::u32string> unique;
    size_t repeated = 0, idx = 0;
    while (idx + n < words.size() + 1) {
        std::u32string g = join(words, idx, n, U"");
        if (unique.count(g)) {
            repeated += g.size();
            idx += n;
        } else {
            unique.insert(std::move(g));
            ++idx;
        }
    }
    return repeated;
}

}  // namespace

Verdict gopher_repetition(Document& doc, const GopherRepetitionOptions& o) {
    if (doc.text.empty()) return Verdict::drop("empty");
    const std::u32string text = decode_utf8(doc.text);
    const double len = static_cast<double>(text.size());

    std::vector<std::u32string_view> paragraphs = split_newline_runs(py_strip(text), 2);
    Duplicates d = find_duplicates(paragraphs);
    if (o.dup_para_frac &&
        static_cast<double>(d.elements) / static_cast<double>(paragraphs.size()) >
            o.dup_para_frac) {
        return Verdict::drop("dup_para_frac");
    }
    if (o.dup_para_char_frac && static_cast<double>(d.chars) / len > o.dup_para_char_frac) {
        return Verdict::drop("dup_para_char_frac");
    }
    std::vector<std::u32string_view> lines = split_newline_runs(text, 1);
    d = find_duplicates(lines);
    if (o.dup_line_frac &&
        static_cast<double>(d.elements) / static_cast<double>(lines.size()) > o.dup_line_frac) {
        return Verdict::drop("dup_line_frac");
    }
    if (o.dup_line_char_frac && static_cast<double>(d.chars) / len > o.dup_line_char_frac) {
        return Verdict::drop("dup_line_char_frac");
    }
    const std::vector<std::u32string_view> words = split_into_words(text);
    for (const NGramThreshold& t : o.top_n_grams) {
        if (t.n <= 0 || words.size() < static_cast<size_t>(t.n)) continue;  // no n-grams
        if (static_cast<double>(top_ngram_chars(words, t.n)) / len > t.frac) {
            return Verdict::drop("top_" + std::to_string(t.n) + "_gram");
        }
    }
    for (const NGramThreshold& t : o.dup_n_grams) {
        if (t.n <= 0) continue;
        if (static_cast<double>(repeated_ngram_chars(words, t.n)) / len > t.frac) {
            return Verdict::drop("duplicated_" + std::to_string(t.n) + "_n_grams");
        }
    }
    return Verdict::kept();
}

}  // namespace jenny::data
