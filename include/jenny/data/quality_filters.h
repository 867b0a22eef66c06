// Text quality filters of `jenny data run` (docs/formats/pipeline.md), ported from datatrove
// 0.10.1 (pipeline/filters/{gopher_quality,gopher_repetition,c4,fineweb_quality}_filter.py):
// the same rules in the same order, the same thresholds and defaults, the same reason names.
//
// Each filter is a function of the document and its options (all take Document& so a runner
// can hold them alike; only c4_quality writes to it): it returns Verdict::kept(),
// or Verdict::drop(reason) with datatrove's reason string. Only c4_quality edits the document
// (it removes lines, and rewrites doc.text only when it keeps the document, as datatrove does).
// Thread-safe; no exceptions. Options structs list their fields in visit() for
// jenny/base/config_bind.h; field names are datatrove's constructor arguments. A threshold of
// 0 turns a rule off wherever datatrove tests it for truthiness (`if self.x and ...`); C4's
// integer limits use -1 for off, as datatrove does.
//
// Words are datatrove's split_into_words for English: spacy.blank("en")'s rule-based tokenizer,
// whitespace tokens dropped; C4's sentence count is spaCy's Sentencizer. Both are ported rule
// for rule (src/data/word_split.h) and agree with spaCy 3.8.18 on the test corpora. Lengths
// are Python's: code points, not bytes.
//
// Known differences from datatrove:
//   - Only English word splitting (datatrove's `language` argument is not offered).
//   - Where datatrove divides by zero and raises (a document without words reaching Gopher's
//     ratio rules with min_doc_words off), the rule is skipped and the document kept.
//   - Character classes come from Python 3.11 / Unicode 14 (generated tables); a Python built
//     on another Unicode version may classify newly assigned characters differently.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "jenny/data/document.h"

namespace jenny::data {

// ---- GopherQualityFilter (Gopher, Rae et al. 2021, table A1) ----
// Checks, in order: gopher_short_doc, gopher_long_doc (words with a non-punctuation char),
// gopher_below_avg_threshold, gopher_above_avg_threshold (their mean length),
// gopher_too_many_hashes, gopher_too_many_ellipsis ('#' resp. "..." + "…" per word),
// gopher_too_many_bullets (lines starting with • or -), gopher_too_many_end_ellipsis,
// gopher_below_alpha_threshold (share of words with an alphabetic char),
// gopher_enough_stop_words (fewer distinct stop words than min_stop_words).
struct GopherQualityOptions {
    int64_t min_doc_words = 50;
    int64_t max_doc_words = 100000;
    double min_avg_word_length = 3;
    double max_avg_word_length = 10;
    double max_symbol_word_ratio = 0.1;
    double max_bullet_lines_ratio = 0.9;
    double max_ellipsis_lines_ratio = 0.3;
    double max_non_alpha_words_ratio = 0.8;  // datatrove's name; it is a *minimum* alpha ratio
    int64_t min_stop_words = 2;
    std::vector<std::string> stop_words = {"the", "be", "to", "of", "and", "that", "have", "with"};

    template <class V>
    void visit(V& v) {
        v.field("min_doc_words", min_doc_words, "drop below this many non-symbol words (0: off)");
        v.field("max_doc_words", max_doc_words, "drop above this many non-symbol words (0: off)");
        v.field("min_avg_word_length", min_avg_word_length, "minimum mean word length (0: off)");
        v.field("max_avg_word_length", max_avg_word_length, "maximum mean word length (0: off)");
        v.field("max_symbol_word_ratio", max_symbol_word_ratio,
                "maximum '#' and ellipsis count per word (0: off)");
        v.field("max_bullet_lines_ratio", max_bullet_lines_ratio,
                "maximum share of lines starting with a bullet (0: off)");
        v.field("max_ellipsis_lines_ratio", max_ellipsis_lines_ratio,
                "maximum share of lines ending in an ellipsis (0: off)");
        v.field("max_non_alpha_words_ratio", max_non_alpha_words_ratio,
                "minimum share of words with an alphabetic character (0: off)");
        v.field("min_stop_words", min_stop_words, "minimum distinct stop words present (0: off)");
        v.field("stop_words", stop_words, "the stop words (case-sensitive, whole words)");
    }
};

Verdict gopher_quality(Document& doc, const GopherQualityOptions& o);

// ---- GopherRepetitionFilter ----
// Reasons, in order: empty, dup_para_frac, dup_para_char_frac, dup_line_frac,
// dup_line_char_frac, top_<n>_gram, duplicated_<n>_n_grams. Character fractions are over
// len(text) in code points.
struct NGramThreshold {
    int64_t n = 2;
    double frac = 0.2;

    template <class V>
    void visit(V& v) {
        v.required("n", n, "n-gram length in words");
        v.required("frac", frac, "maximum character fraction");
    }
};

struct GopherRepetitionOptions {
    double dup_line_frac = 0.3;
    double dup_para_frac = 0.3;
    double dup_line_char_frac = 0.2;
    double dup_para_char_frac = 0.2;
    std::vector<NGramThreshold> top_n_grams = {{2, 0.2}, {3, 0.18}, {4, 0.16}};
    std::vector<NGramThreshold> dup_n_grams = {{5, 0.15}, {6, 0.14}, {7, 0.13},
                                               {8, 0.12}, {9, 0.11}, {10, 0.10}};

    template <class V>
    void visit(V& v) {
        v.field("dup_line_frac", dup_line_frac, "maximum share of duplicate lines (0: off)");
        v.field("dup_para_frac", dup_para_frac, "maximum share of duplicate paragraphs (0: off)");
        v.field("dup_line_char_frac", dup_line_char_frac,
                "maximum character share of duplicate lines (0: off)");
        v.field("dup_para_char_frac", dup_para_char_frac,
                "maximum character share of duplicate paragraphs (0: off)");
        v.field("top_n_grams", top_n_grams,
                "per n: maximum character share of the most frequent n-gram");
        v.field("dup_n_grams", dup_n_grams, "per n: maximum character share of repeated n-grams");
    }
};

Verdict gopher_repetition(Document& doc, const GopherRepetitionOptions& o);

// ---- C4QualityFilter (Raffel et al. 2020, and tensorflow_datasets' c4_utils) ----
// Per line (str.splitlines(), stripped; or spaCy sentences when split_paragraph is false): a
// word over max_word_length drops the line; citations ([1], [], [edit], [citation needed]) are
// removed; lines without terminal punctuation (. ? ! " ') or ending in "..." are dropped, then
// lines with fewer than min_words_per_line words; "lorem ipsum" drops the document
// (lorem_ipsum); lines with "javascript" are dropped; "{" drops the document (curly_bracket);
// lines with a policy phrase are dropped. Fewer than min_num_sentences sentences in the kept
// lines drops the document (too_few_sentences); otherwise doc.text becomes the kept lines
// joined by "\n" (" " when split_paragraph is false), stripped.
struct C4QualityOptions {
    bool split_paragraph = true;
    bool remove_citations = true;
    bool filter_no_terminal_punct = true;
    int64_t min_num_sentences = 5;
    int64_t min_words_per_line = 3;
    int64_t max_word_length = 1000;
    bool filter_lorem_ipsum = true;
    bool filter_javascript = true;
    bool filter_curly_bracket = true;
    bool filter_policy = true;

    template <class V>
    void visit(V& v) {
        v.field("split_paragraph", split_paragraph,
                "apply the rules per line (true) or per spaCy sentence (false)");
        v.field("remove_citations", remove_citations, "remove wikipedia-style citations");
        v.field("filter_no_terminal_punct", filter_no_terminal_punct,
                "drop lines without terminal punctuation");
        v.field("min_num_sentences", min_num_sentences,
                "drop documents with fewer sentences (-1: off)");
        v.field("min_words_per_line", min_words_per_line, "drop lines with fewer words (-1: off)");
        v.field("max_word_length", max_word_length, "drop lines with a longer word (-1: off)");
        v.field("filter_lorem_ipsum", filter_lorem_ipsum, "drop documents with \"lorem ipsum\"");
        v.field("filter_javascript", filter_javascript, "drop lines mentioning javascript");
        v.field("filter_curly_bracket", filter_curly_bracket, "drop documents containing {");
        v.field("filter_policy", filter_policy, "drop lines with terms-of-use / cookie phrases");
    }
};

// May rewrite doc.text (only when the document is kept).
Verdict c4_quality(Document& doc, const C4QualityOptions& o);

// ---- FineWebQualityFilter ----
// Over the non-blank lines of text.split("\n"): empty (none), line_punct_ratio (share ending in
// a stop char below line_punct_thr, unless it is 0 and line_punct_exclude_zero),
// short_line_ratio (share of lines of at most short_line_length code points above
// short_line_thr), char_dup_ratio (duplicate-line characters over the text's non-newline
// characters), list_ratio (newlines per word above new_line_ratio).
struct FineWebQualityOptions {
    double line_punct_thr = 0.12;
    bool line_punct_exclude_zero = false;
    // Line endings that count as punctuation; unset: datatrove's TERMINAL_PUNCTUATION.
    std::optional<std::vector<std::string>> stop_chars;
    double short_line_thr = 0.67;
    int64_t short_line_length = 30;
    double char_duplicates_ratio = 0.01;
    double new_line_ratio = 0.3;

    template <class V>
    void visit(V& v) {
        v.field("line_punct_thr", line_punct_thr,
                "minimum share of lines ending in terminal punctuation");
        v.field("line_punct_exclude_zero", line_punct_exclude_zero,
                "keep documents where no line ends in punctuation");
        v.field("stop_chars", stop_chars,
                "line endings counted as punctuation (default: datatrove's TERMINAL_PUNCTUATION)");
        v.field("short_line_thr", short_line_thr, "maximum share of short lines");
        v.field("short_line_length", short_line_length, "a short line has at most this many chars");
        v.field("char_duplicates_ratio", char_duplicates_ratio,
                "maximum share of characters in duplicate lines");
        v.field("new_line_ratio", new_line_ratio, "maximum newlines per word");
    }
};

Verdict fineweb_quality(Document& doc, const FineWebQualityOptions& o);

}  // namespace jenny::data
