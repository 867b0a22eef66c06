// Tokenizer: text <-> token ids, bit-exact with each vocabulary's publisher.
//
//   JENNY_ASSIGN_OR_RETURN(auto tok, Tokenizer::load("models/llama3"));   // dir, .json, .gguf, ...
//   JENNY_ASSIGN_OR_RETURN(std::vector<TokenId> ids, tok->encode("Hello"));
//   std::string text = tok->decode(ids);
//
// load() accepts a Hugging Face model directory or tokenizer.json (byte-level BPE such as
// Llama 3 / Qwen2, SentencePiece-style BPE with byte fallback such as Llama 2 / InternLM2), a
// SentencePiece .model file, a llama2.c tokenizer.bin, or a GGUF file's tokenizer.ggml.* vocab.
// Anything in a file that would change results but is not supported is an error
// ("unsupported: ..."), never a silently different tokenization.
//
// A loaded Tokenizer is immutable; every method is thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "jenny/base/env.h"
#include "jenny/base/result.h"

namespace jenny::tokenizer {

using TokenId = int32_t;

// What a vocabulary entry is (llama.cpp's token attributes, Hugging Face's added tokens).
enum class TokenKind : uint8_t {
    kNormal,       // produced by the model from text
    kControl,      // special: <s>, <|im_start|>; decoded only when asked
    kUserDefined,  // added, not special: always matched in text, decoded as text
    kByte,         // byte fallback <0x0A>
    kUnknown,      // <unk>
    kUnused,
};

struct EncodeOptions {
    // Add the BOS/EOS (or template) tokens the tokenizer's post-processor/add_bos asks for.
    bool add_special = true;
    // Text such as "<|im_start|>" becomes that control token; when false it is tokenized as
    // plain text (user-defined added tokens are always matched).
    bool parse_special = true;
};

struct SpecialTokens {
    std::optional<TokenId> bos, eos, unk, pad, eot;
    bool add_bos = false;  // what encode(add_special=true) adds, for callers that need to know
    bool add_eos = false;
};

class Tokenizer {
public:
    virtual ~Tokenizer() = default;

    // Loads by path (see the file comment). Errors name the file and what is wrong.
    static base::Result<std::unique_ptr<Tokenizer>> load(const std::string& path,
                                                         base::Env* env = base::Env::Default());

    // Ids for `text`. Invalid UTF-8 is an error naming the byte offset.
    base::Result<std::vector<TokenId>> encode(std::string_view text,
                                              const EncodeOptions& options = {}) const;

    // The text of `ids` as the publisher's decoder produces it. Control tokens are included
    // unless skip_special. Unknown ids decode to nothing. Byte-level vocabularies return the
    // exact bytes (decode(encode(s)) == s for valid UTF-8 s).
    std::string decode(std::span<const TokenId> ids, bool skip_special = false) const;

    // The bytes one token contributes when decoded in the middle of a text (llama.cpp's
    // token_to_piece): byte-level pieces as raw bytes, "▁" as a space, <0x0A> as "\n".
    // May be part of a UTF-8 character.
    std::string token_to_piece(TokenId id) const;

    int32_t vocab_size() const { return static_cast<int32_t>(pieces_.size()); }
    // The vocabulary string of a token as the file stores it ("Ġthe", "▁the", "<0x0A>").
    std::string_view token_text(TokenId id) const;
    std::optional<TokenId> token_id(std::string_view text) const;
    TokenKind token_kind(TokenId id) const;
    const SpecialTokens& special() const { return special_; }
    // "hf-bpe", "sentencepiece-bpe", "llama2c", "gguf-llama", "gguf-gpt2", "gguf-bert", ...
    const std::string& type_name() const { return type_name_; }

protected:
    Tokenizer() = default;

    // Appends the ids of valid UTF-8 `text` (specials per options) to `out`.
    virtual void encode_valid(std::string_view text, const EncodeOptions& options,
                              std::vector<TokenId>* out) const = 0;
    // Filled by subclasses at load time.
    std::vector<std::string> pieces_;   // id -> vocabulary string
    std::vector<std::string> decoded_;  // id -> bytes it decodes to (token_to_piece)
    std::vector<TokenKind> kinds_;      // id -> kind
    SpecialTokens special_;
    std::string type_name_;
    // Decoding drops one leading space of the text (SentencePiece's dummy prefix, Hugging
    // Face's Strip/Metaspace decoders).
    bool strip_leading_space_ = false;
    // Call once pieces_ is filled: builds the vocabulary string -> id index.
    void build_piece_index();

private:
    struct PieceIndex;
    std::shared_ptr<const PieceIndex> index_;

    friend class StreamDecoder;
};

// Decodes a stream of ids as they are generated, emitting only complete UTF-8 characters:
//   StreamDecoder d(tok);  for (id : ids) std::cout << d.push(id);  std::cout << d.flush();
// The concatenation of everything emitted equals tok.decode(all ids). Not thread-safe.
class StreamDecoder {
public:
    explicit StreamDecoder(const Tokenizer& tokenizer, bool skip_special = false);
    std::string push(TokenId id);
    // Whatever is still held back (an incomplete character at the very end).
    std::string flush();

private:
    const Tokenizer& tok_;
    bool skip_special_;
    bool at_start_ = true;  // nothing emitted yet: the leading-space rule still applies
    std::string pending_;   // decoded bytes not yet returned (an incomplete character)
};

}  // namespace jenny::tokenizer
