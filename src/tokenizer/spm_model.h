// SpmModel: SentencePiece-style BPE over one already-escaped text ("▁" for spaces): every
// UTF-8 character starts as a symbol, and the adjacent pair whose concatenation is a piece
// with the highest score merges first (the leftmost on ties), until no pair forms a piece.
// Symbols left that are not pieces become <0xXX> byte tokens (byte fallback) or the unknown
// token. This is the algorithm of libsentencepiece's BPE model and of llama.cpp's SPM
// tokenizer; the two differ only in which pieces may be merged into (see SpmOptions).
//
// Shared by the SentencePiece .model loader, the GGUF "llama" vocabularies and llama2.c's
// tokenizer.bin. Immutable after build(); encode() is thread-safe.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tokenizer/piece_map.h"

namespace jenny::tokenizer {

struct SpmOptions {
    // Byte fallback: a symbol that is not a piece becomes one <0xXX> token per byte. Without
    // it (or when a byte token is missing) the symbol becomes `unk`.
    bool byte_fallback = true;
    // Consecutive unknown symbols become one unknown token (libsentencepiece does this).
    bool fuse_unk = false;
    std::optional<TokenId> unk;
    // llama.cpp: a byte with no <0xXX> token falls back to the token whose text is that
    // single byte (before unk).
    bool byte_as_char_fallback = false;
    // libsentencepiece: a merge that produces an unused piece is undone at the end
    // (resegmented into the two symbols it was made of).
    bool resegment_unused = false;
};

class SpmModel {
public:
    SpmModel() = default;

    // `pieces` maps the texts that merges may produce (and single characters may match) to
    // ids; `scores` is indexed by id; `unused` lists ids whose pieces resegment (see
    // SpmOptions). Byte tokens are found by their "<0xXX>" text in `all_pieces` (every
    // token of the vocabulary), which may be the same map.
    static SpmModel build(PieceMap pieces, const PieceMap& all_pieces, std::vector<float> scores,
                          std::vector<bool> unused, const SpmOptions& options);

    // Appends the ids of `text` (already escaped, valid UTF-8) to `out`.
    void encode(std::string_view text, std::vector<TokenId>* out) const;

    const SpmOptions& options() const { return options_; }

private:
    using RevMerge = std::unordered_map<std::string, std::pair<std::string, std::string>,
                                        StringHash, std::equal_to<>>;
    // Appends the ids of one final symbol: its piece, its resegmentation, or its fallback.
    void emit(std::string_view symbol, const RevMerge& rev_merge, bool* last_unk,
              std::vector<TokenId>* out) const;

    PieceMap pieces_;
    std::vector<float> scores_;
    std::vector<bool> unused_;
    SpmOptions options_;
    std::array<TokenId, 256> byte_ids_{};  // -1 when the byte has no token
};

}  // namespace jenny::tokenizer
