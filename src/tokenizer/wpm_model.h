// WpmModel: llama.cpp's WordPiece tokenizer for BERT vocabularies in GGUF ("bert" model). The
// converter stores word-initial pieces as "▁word" and continuations without "##". Text is
// split into words at whitespace and around punctuation, ASCII symbols and CJK ideographs
// (lower-cased and accent-stripped when the normalizer says so); each word, with "▁" in
// front, is covered greedily by the longest pieces, and a word that cannot be covered becomes
// the unknown token. Immutable after build(); encode() is thread-safe.
#pragma once

#include <string_view>
#include <vector>

#include "tokenizer/piece_map.h"

namespace jenny::tokenizer {

struct WpmOptions {
    bool lowercase = true;
    bool strip_accents = true;
    TokenId unk = 100;
};

class WpmModel {
public:
    WpmModel() = default;
    // `vocab`: every token text -> id; max_token_len: the longest text in bytes.
    WpmModel(PieceMap vocab, size_t max_token_len, const WpmOptions& options)
        : vocab_(std::move(vocab)), max_token_len_(max_token_len), options_(options) {}

    // Appends the ids of valid UTF-8 `text`.
    void encode(std::string_view text, std::vector<TokenId>* out) const;

private:
    PieceMap vocab_;
    size_t max_token_len_ = 0;
    WpmOptions options_;
};

}  // namespace jenny::tokenizer
