// Word and sentence splitting as datatrove 0.10.1 does it for English (private to src/data).
//
// datatrove's split_into_words(text, "eng") is spaCy's *blank* English pipeline
// (spacy.blank("en"): rule-based tokenizer, no model download) followed by strip_strings
// (whitespace tokens dropped); split_into_sentences adds spaCy's rule-based Sentencizer. This
// file ports spaCy 3.8's Tokenizer algorithm (whitespace split, special cases, prefix / suffix
// stripping, URL match, infix split, special-case re-matching) and the Sentencizer, driven by
// tables generated from spaCy itself (text_tables.inc). Known differences from spaCy are
// listed in quality_filters.h. All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace jenny::data {

// One spaCy token: code-point offsets into the tokenized text. `space` is true for a token
// made of whitespace (spaCy keeps runs of whitespace other than one ' ' as tokens).
struct WordToken {
    uint32_t begin = 0;
    uint32_t end = 0;
    bool space = false;
};

// Every token spacy.blank("en") produces for `text`, whitespace tokens included, in order.
std::vector<WordToken> spacy_en_tokens(std::u32string_view text);

// datatrove's split_into_words(text): the non-whitespace tokens as views into `text`.
std::vector<std::u32string_view> split_into_words(std::u32string_view text);

// The end offset (code points) of each sentence spaCy's Sentencizer finds in `text` (its
// spans' end_char); empty for a text without tokens.
std::vector<size_t> sentence_ends(std::u32string_view text);

// datatrove's split_into_sentences(text): text[a:b] for consecutive sentence ends, the last
// part running to the end of `text` (so the parts concatenate to `text`; one part when there
// are no tokens).
std::vector<std::u32string_view> split_into_sentences(std::u32string_view text);

// len(split_into_sentences(text)), without building the parts.
size_t count_sentences(std::u32string_view text);

// spaCy's URL_MATCH on a whitespace-free string (exposed for tests).
bool spacy_url_match(std::u32string_view s);

}  // namespace jenny::data
