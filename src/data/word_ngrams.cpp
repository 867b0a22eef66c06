#include "data/word_ngrams.h"

#include <bit>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace jenny::data {

void word_hashes(std::string_view text, const TextNormOptions& options,
                 std::vector<uint64_t>* out) {
    out->clear();
    SimplifiedWords words(text, options);
    std::string_view w;
    while (words.next(&w)) out->push_back(XXH3_64bits(w.data(), w.size()));
}

uint64_t ngram_hash(const uint64_t* words, int n) {
    static_assert(std::endian::native == std::endian::little, "dedup hashes assume little-endian");
    return XXH3_64bits(words, static_cast<size_t>(n) * sizeof(uint64_t));
}

void word_ngram_hashes(std::string_view text, const TextNormOptions& options, int n,
                       bool whole_if_short, std::vector<uint64_t>* out,
                       std::vector<uint64_t>* scratch) {
    word_hashes(text, options, scratch);
    out->clear();
    const size_t count = scratch->size();
    if (count == 0) return;
    if (count < static_cast<size_t>(n)) {
        if (whole_if_short) out->push_back(ngram_hash(scratch->data(), static_cast<int>(count)));
        return;
    }
    out->reserve(count - n + 1);
    for (size_t i = 0; i + n <= count; ++i) out->push_back(ngram_hash(scratch->data() + i, n));
}

}  // namespace jenny::data
