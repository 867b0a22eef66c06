// llama.cpp's BPE pre-tokenizers, chosen by a GGUF's tokenizer.ggml.pre, and the way llama.cpp
// applies them: each regex of the list splits every piece the previous ones produced (matches
// and the text between them both become pieces), and a regex that names Unicode categories
// (\p{L}, \p{N}, \p{P}, \p{M}, \p{S}) runs on a "collapsed" text where every code point >= 128
// is one byte standing for its category (whitespace, letter, number, ...) — reproduced here so
// that splits equal llama.cpp's, not just an ordinary regex engine's.
//
// Immutable after build(); split() is thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jenny/base/result.h"

namespace jenny::tokenizer {

// What tokenizer.ggml.pre selects.
struct LlamaCppPre {
    std::vector<std::string> regexes;
    bool ignore_merges = false;  // a word that is a token is emitted whole
    bool add_bos = false;        // the pre-type turns add_bos on (before add_bos_token)
    bool clean_spaces = true;    // llama.cpp's detokenizer cleanup (not applied by jenny)
    bool no_bos = false;         // the pre-type has no BOS token (chatglm)
};

// The pre-tokenizer for `name` ("" = llama.cpp's default), or nullopt when jenny does not
// know it.
std::optional<LlamaCppPre> llama_cpp_pre(std::string_view name);

// llama.cpp's code point classes (its unicode_cpt_flags), from utf8proc's tables.
struct CodepointFlags {
    bool whitespace = false;  // the Unicode White_Space property
    bool letter = false, number = false, punctuation = false, symbol = false, accent = false,
         control = false;  // general categories L, N, P, S, M, C (not Cn)
};
CodepointFlags codepoint_flags(uint32_t cp);

class LlamaCppSplitter {
public:
    // Errors name the regex that PCRE2 refuses.
    static base::Result<LlamaCppSplitter> build(const std::vector<std::string>& regexes);

    LlamaCppSplitter();
    LlamaCppSplitter(LlamaCppSplitter&&) noexcept;
    LlamaCppSplitter& operator=(LlamaCppSplitter&&) noexcept;
    ~LlamaCppSplitter();

    // Appends the words of valid UTF-8 `text` (views into it) to `out`.
    void split(std::string_view text, std::vector<std::string_view>* out) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace jenny::tokenizer
