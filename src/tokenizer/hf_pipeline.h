// The text stages of a Hugging Face tokenizer.json around its model: normalizers and
// pre-tokenizers, parsed from their JSON and applied exactly as the tokenizers library does.
// Parsing rejects any type or option that would change results but is not implemented
// ("unsupported: pre_tokenizer type 'X'"). Immutable after parsing; thread-safe.
#pragma once

#include <deque>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/regex.h"
#include "tokenizer/unicode.h"

namespace jenny::tokenizer {

// One normalizer step (a Sequence is flattened into several).
struct NormalizerStep {
    enum class Kind { kNormalForm, kLowercase, kStrip, kReplace, kPrepend } kind;
    NormalForm form = NormalForm::kNfc;
    bool strip_left = false, strip_right = false;
    std::shared_ptr<const Regex> pattern;  // kReplace
    std::string content;                   // kReplace replacement, kPrepend prefix
};

class Normalizer {
public:
    // `j` is the tokenizer.json "normalizer" value (null allowed).
    static base::Result<Normalizer> parse(const nlohmann::json& j);
    bool empty() const { return steps_.empty(); }
    std::string apply(std::string_view text) const;

private:
    std::vector<NormalizerStep> steps_;
};

// One pre-tokenizer step.
struct PreTokenizerStep {
    enum class Kind { kSplit, kByteLevel, kMetaspace } kind;
    std::shared_ptr<const Regex> pattern;  // kSplit, and kByteLevel with use_regex
    SplitBehavior behavior = SplitBehavior::kIsolated;
    bool invert = false;
    bool add_prefix_space = false;  // kByteLevel
    std::string replacement;        // kMetaspace, e.g. "▁"
    enum class Prepend { kAlways, kFirst, kNever } prepend = Prepend::kAlways;  // kMetaspace
    bool metaspace_split = true;
};

// Words produced by pre-tokenization. Views point into the input or into `storage`.
struct Words {
    std::vector<std::string_view> views;
    std::deque<std::string> storage;
};

class PreTokenizer {
public:
    static base::Result<PreTokenizer> parse(const nlohmann::json& j);
    // Splits one segment; `first` says it starts the original text (Metaspace "first").
    void apply(std::string_view text, bool first, Words* words) const;
    // Whether the words come out as raw bytes for a byte-level model (a ByteLevel step).
    bool byte_level() const { return byte_level_; }
    // Whether a Metaspace step replaces spaces (the decoder must undo it).
    bool metaspace() const { return metaspace_; }

private:
    std::vector<PreTokenizerStep> steps_;
    bool byte_level_ = false;
    bool metaspace_ = false;
};

// A Hugging Face "pattern": {"String": s} (literal) or {"Regex": r}, compiled.
base::Result<std::shared_ptr<const Regex>> parse_pattern(const nlohmann::json& j);

}  // namespace jenny::tokenizer
