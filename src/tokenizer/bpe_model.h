// BpeModel: byte-pair encoding of one pre-tokenized word by merge rank, exactly as Hugging
// Face tokenizers' BPE model does it: the lowest-ranked adjacent pair merges first, the
// leftmost on ties; characters missing from the vocabulary fall back to <0xXX> byte tokens
// (byte_fallback) or the unknown token (fused when fuse_unk).
//
// In byte-level mode the word is raw bytes and the vocabulary is keyed by raw bytes (the
// GPT-2 alphabet already undone), so no per-word re-encoding is needed.
// Immutable after build(); encode_word is thread-safe.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/piece_map.h"
#include "tokenizer/piece_table.h"

namespace jenny::tokenizer {

struct BpeOptions {
    bool byte_level = false;     // words and vocabulary keys are raw bytes
    bool byte_fallback = false;  // unknown characters become <0xXX> tokens
    bool fuse_unk = false;       // consecutive unknowns become one unknown token
    bool ignore_merges = false;  // a word that is itself in the vocabulary is emitted whole
    std::optional<TokenId> unk;  // unknown token; without one, unknown characters are dropped
};

class BpeModel {
public:
    BpeModel() = default;

    // `vocab` maps model-space strings to ids; `merges` are (left, right) strings in rank
    // order. Errors name the first merge whose parts or result are missing.
    static base::Result<BpeModel> build(
        PieceMap vocab, const std::vector<std::pair<std::string, std::string>>& merges,
        const BpeOptions& options);

    // Appends the ids of `word` to `out`.
    void encode_word(std::string_view word, std::vector<TokenId>* out) const;

    const BpeOptions& options() const { return options_; }

private:
    struct MergeSlot {
        uint64_t key = kEmpty;  // (left << 32) | right
        int32_t rank = 0;
        TokenId merged = 0;
    };
    static constexpr uint64_t kEmpty = ~uint64_t{0};

    const MergeSlot* find_merge(TokenId left, TokenId right) const;
    void insert_merge(TokenId left, TokenId right, int32_t rank, TokenId merged);
    void merge_symbols(std::vector<TokenId>& ids, std::vector<TokenId>* out) const;
    void encode_word_uncached(std::string_view word, std::vector<TokenId>* out) const;

    PieceTable table_;  // vocabulary: model-space string -> id
    uint64_t uid_ = 0;  // identifies this model's entries in the per-thread word cache
    BpeOptions options_;
    std::vector<MergeSlot> merges_;  // open addressing, power-of-two size
    uint64_t mask_ = 0;
    std::array<TokenId, 256> byte_ids_{};      // byte-level: raw byte -> id (-1 missing)
    std::array<TokenId, 256> fallback_ids_{};  // <0xXX> -> id (-1 missing)
};

}  // namespace jenny::tokenizer
