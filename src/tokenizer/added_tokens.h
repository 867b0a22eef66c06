// AddedTokens: the tokens matched in raw text before the model runs (Hugging Face's
// added_tokens, llama.cpp's control and user-defined tokens). Matching is leftmost-longest;
// lstrip/rstrip swallow whitespace beside a match; single_word requires word boundaries.
// Immutable after construction; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "jenny/tokenizer/tokenizer.h"

namespace jenny::tokenizer {

struct AddedToken {
    std::string content;
    TokenId id = 0;
    bool special = false;  // a control token: matched only when parse_special
    bool lstrip = false;
    bool rstrip = false;
    bool single_word = false;
    bool normalized = false;  // matched in normalized text (else in raw text)
};

// A piece of text after splitting: either plain text or one added token.
struct Segment {
    std::string_view text;
    TokenId id = -1;  // >= 0: an added token
};

class AddedTokens {
public:
    AddedTokens() = default;
    explicit AddedTokens(std::vector<AddedToken> tokens);

    // Splits `text` by the tokens whose `normalized` flag equals `normalized` (and, unless
    // parse_special, that are not special). Appends segments covering the text, in order.
    void split(std::string_view text, bool normalized, bool parse_special,
               std::vector<Segment>* out) const;

    bool empty() const { return tokens_.empty(); }
    const std::vector<AddedToken>& tokens() const { return tokens_; }

private:
    // Longest token matching at text[pos], or -1.
    int match_at(std::string_view text, size_t pos, bool normalized, bool parse_special) const;

    std::vector<AddedToken> tokens_;
    std::vector<std::vector<int>> by_first_byte_;  // first byte -> token indices, longest first
};

}  // namespace jenny::tokenizer
