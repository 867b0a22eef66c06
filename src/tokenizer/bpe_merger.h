// The merge-learning half of the BPE trainer: given counted words, learns byte-level BPE merges
// with incremental pair-count updates. Internal to src/tokenizer; see
// include/jenny/tokenizer/bpe_trainer.h for the algorithm and the tie-breaking rule.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "jenny/base/env.h"
#include "tokenizer/bpe_word_counter.h"

namespace jenny::tokenizer {

struct BpeMergeOptions {
    int64_t max_tokens = 256;   // stop when this many tokens exist (>= 256)
    int64_t min_frequency = 1;  // stop when the best pair occurs fewer times (values < 1 act as 1)
    bool progress = false;
};

struct BpeMerges {
    // id -> the token's raw bytes. Ids 0..255 are the single bytes in byte-level alphabet
    // order (byte_token_order()), then learned tokens in creation order.
    std::vector<std::string> tokens;
    // The merge rules in the order learned, as (left id, right id). A rule's result is the token
    // whose bytes are the concatenation; it may be an earlier token (then no token was added).
    std::vector<std::pair<int32_t, int32_t>> merges;
};

// byte_token_order()[id] is the byte that token `id` (< 256) stands for: the bytes sorted by
// their GPT-2 byte-level code point, so "!" (byte 33) is id 0.
const std::array<uint8_t, 256>& byte_token_order();

// Learns merges over `words`. Deterministic: depends only on `words` and `options`.
// Thread-compatible.
BpeMerges learn_bpe_merges(const std::vector<WordCount>& words, const BpeMergeOptions& options,
                           base::Env* env);

}  // namespace jenny::tokenizer
