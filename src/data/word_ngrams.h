// Hashes of word n-grams over simplified words (private to src/data): the shingles of MinHash
// and the keys of the decontamination index.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "jenny/data/text_simplify.h"

namespace jenny::data {

// The 64-bit hash of every simplified word of `text`, in order, into *out (replaced).
void word_hashes(std::string_view text, const TextNormOptions& options, std::vector<uint64_t>* out);

// The hash of the n-gram of word hashes words[0..n): XXH3-64 of the n little-endian values.
uint64_t ngram_hash(const uint64_t* words, int n);

// The hash of every word n-gram of `text` into *out (replaced), in text order. A text with
// 1..n-1 words has no n-gram: it yields one hash of all its words when `whole_if_short`,
// else none. `scratch` holds the word hashes (reused to avoid allocation).
void word_ngram_hashes(std::string_view text, const TextNormOptions& options, int n,
                       bool whole_if_short, std::vector<uint64_t>* out,
                       std::vector<uint64_t>* scratch);

}  // namespace jenny::data
