// Regex: a compiled PCRE2 pattern with Unicode properties and JIT, used to pre-tokenise text
// the way Hugging Face tokenizers (Oniguruma) and llama.cpp do. The publishers' patterns need
// look-ahead (\s+(?!\S)), which std::regex lacks.
//
// Input must be valid UTF-8 (callers validate once per text; matching skips the check).
// A Regex is immutable and thread-safe after compile(); each call uses its own match data.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jenny/base/result.h"

namespace jenny::tokenizer {

// How the pieces of a split relate to the matches (Hugging Face's SplitDelimiterBehavior).
enum class SplitBehavior {
    kIsolated,            // matches and the text between them are separate pieces
    kRemoved,             // only the text between matches
    kMergedWithPrevious,  // each match joins the piece before it
    kMergedWithNext,      // each match joins the piece after it
    kContiguous,          // consecutive matches form one piece
};

class Regex {
public:
    // Compiles with UTF, UCP (Unicode \s \w \d) and JIT. Errors name the pattern offset.
    static base::Result<Regex> compile(const std::string& pattern);

    Regex(Regex&&) noexcept;
    Regex& operator=(Regex&&) noexcept;
    ~Regex();

    // Appends the non-empty pieces of `text` to `out` (views into text). With invert, the
    // matches play the role of the gaps (Hugging Face's `invert: true`).
    void split(std::string_view text, SplitBehavior behavior, bool invert,
               std::vector<std::string_view>* out) const;

    // Appends [begin, end) byte offsets of every non-overlapping match, left to right.
    void find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>* out) const;

    const std::string& pattern() const;

private:
    struct Impl;
    explicit Regex(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace jenny::tokenizer
