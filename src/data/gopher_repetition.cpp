// GopherRepetitionFilter.filter() of datatrove 0.10.1, rule for rule.
#include <cstdint>
#include <string>
#include <vector>

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

// The words joined by a separator into one string, with polynomial prefix hashes, so that any
// run of consecutive words — an n-gram joined the way datatrove joins it — is a substring
// whose hash is O(1) and whose equality with another is a memcmp.
class JoinedWords {
public:
    JoinedWords(const std::vector<std::u32string_view>& words, std::u32string_view sep) {
        size_t total = 0;
        for (auto w : words) total += w.size() + sep.size();
        text_.reserve(total);
        starts_.reserve(words.size());
        ends_.reserve(words.size());
        for (size_t k = 0; k < words.size(); ++k) {
            if (k) text_.append(sep);
            starts_.push_back(text_.size());
            text_.append(words[k]);
            ends_.push_back(text_.size());
        }
        prefix_.resize(text_.size() + 1);
        power_.resize(text_.size() + 1);
        prefix_[0] = 0;
        power_[0] = 1;
        for (size_t i = 0; i < text_.size(); ++i) {
            prefix_[i + 1] = prefix_[i] * kBase + text_[i] + 1;
            power_[i + 1] = power_[i] * kBase;
        }
    }
    // The n-gram of words [i, i + n): its offset and length in the joined text, and hash.
    size_t begin(size_t i) const { return starts_[i]; }
    size_t length(size_t i, size_t n) const { return ends_[i + n - 1] - starts_[i]; }
    uint64_t hash(size_t i, size_t n) const {
        const size_t a = starts_[i], b = ends_[i + n - 1];
        return prefix_[b] - prefix_[a] * power_[b - a];
    }
    bool same(size_t a, size_t b, size_t len) const {
        return std::char_traits<char32_t>::compare(text_.data() + a, text_.data() + b, len) == 0;
    }

private:
    static constexpr uint64_t kBase = 0x9E3779B97F4A7C15ull;  // odd
    std::u32string text_;
    std::vector<size_t> starts_, ends_;
    std::vector<uint64_t> prefix_, power_;
};

// An open-addressing set of n-grams (by offset and length in a JoinedWords) with a count and
// the index of their first occurrence.
class NGramTable {
public:
    struct Entry {
        uint64_t hash = 0;
        size_t begin = 0, length = 0, first = 0, count = 0;
    };
    NGramTable(const JoinedWords& j, size_t expected) : j_(j) {
        size_t cap = 16;
        while (cap < 2 * expected) cap <<= 1;
        slots_.resize(cap);
    }
    // The entry of the n-gram at word i (new ones start with count 0).
    Entry& find(size_t i, size_t n) {
        const uint64_t h = j_.hash(i, n);
        const size_t begin = j_.begin(i), len = j_.length(i, n);
        const size_t mask = slots_.size() - 1;
        for (size_t k = (h ^ (h >> 29)) & mask;; k = (k + 1) & mask) {
            Slot& s = slots_[k];
            if (!s.used) {
                s.used = true;
                s.e = {h, begin, len, i, 0};
                return s.e;
            }
            if (s.e.hash == h && s.e.length == len && j_.same(s.e.begin, begin, len)) return s.e;
        }
    }
    template <class Fn>
    void for_each(Fn fn) const {
        for (const Slot& s : slots_)
            if (s.used) fn(s.e);
    }

private:
    struct Slot {
        Entry e;
        bool used = false;
    };
    const JoinedWords& j_;
    std::vector<Slot> slots_;
};

// find_top_duplicate(get_n_grams(words, n)): len(top) * count for Counter.most_common(1),
// whose ties go to the n-gram seen first. 0 when there are no n-grams.
size_t top_ngram_chars(const JoinedWords& j, size_t n_words, size_t n) {
    if (n_words < n) return 0;
    NGramTable table(j, n_words - n + 1);
    for (size_t i = 0; i + n <= n_words; ++i) ++table.find(i, n).count;
    const NGramTable::Entry* best = nullptr;
    table.for_each([&](const NGramTable::Entry& e) {
        if (!best || e.count > best->count || (e.count == best->count && e.first < best->first))
            best = &e;
    });
    return best->length * best->count;
}

// find_all_duplicate(words, n): n-grams joined without a separator; a repeat skips n words.
size_t repeated_ngram_chars(const JoinedWords& j, size_t n_words, size_t n) {
    if (n_words < n) return 0;
    NGramTable table(j, n_words - n + 1);
    size_t repeated = 0, idx = 0;
    while (idx + n < n_words + 1) {
        NGramTable::Entry& e = table.find(idx, n);
        if (e.count) {
            repeated += e.length;
            idx += n;
        } else {
            e.count = 1;
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
    const JoinedWords spaced(words, U" "), glued(words, U"");
    for (const NGramThreshold& t : o.top_n_grams) {
        if (t.n <= 0 || words.size() < static_cast<size_t>(t.n)) continue;  // no n-grams
        if (static_cast<double>(top_ngram_chars(spaced, words.size(), t.n)) / len > t.frac) {
            return Verdict::drop("top_" + std::to_string(t.n) + "_gram");
        }
    }
    for (const NGramThreshold& t : o.dup_n_grams) {
        if (t.n <= 0) continue;
        if (static_cast<double>(repeated_ngram_chars(glued, words.size(), t.n)) / len > t.frac) {
            return Verdict::drop("duplicated_" + std::to_string(t.n) + "_n_grams");
        }
    }
    return Verdict::kept();
}

}  // namespace jenny::data
