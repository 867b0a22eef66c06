#include "tokenizer/hf_pipeline.h"
#include "jenny/base/utf8.h"

#include <utf8proc.h>

namespace jenny::tokenizer {
namespace {

using base::Status;
using json = nlohmann::json;

// GPT-2's pre-tokenizer pattern (ByteLevel with use_regex: true).
constexpr const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

std::string escape_regex(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) out += '\\';
        out += c;
    }
    return out;
}

std::string type_of(const json& j) {
    if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) return "";
    return j["type"].get<std::string>();
}

bool flag(const json& j, const char* key, bool fallback) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return fallback;
    return it->is_boolean() ? it->get<bool>() : fallback;
}

Status add_normalizer(const json& j, std::vector<NormalizerStep>* steps) {
    const std::string t = type_of(j);
    NormalizerStep s{};
    if (t == "Sequence") {
        for (const json& sub : j.value("normalizers", json::array())) {
            JENNY_RETURN_IF_ERROR(add_normalizer(sub, steps));
        }
        return Status();
    }
    if (t == "NFC" || t == "NFD" || t == "NFKC" || t == "NFKD") {
        s.kind = NormalizerStep::Kind::kNormalForm;
        s.form = t == "NFC"    ? NormalForm::kNfc
                 : t == "NFD"  ? NormalForm::kNfd
                 : t == "NFKC" ? NormalForm::kNfkc
                               : NormalForm::kNfkd;
    } else if (t == "Lowercase") {
        s.kind = NormalizerStep::Kind::kLowercase;
    } else if (t == "Strip") {
        s.kind = NormalizerStep::Kind::kStrip;
        s.strip_left = flag(j, "strip_left", true);
        s.strip_right = flag(j, "strip_right", true);
    } else if (t == "Replace") {
        s.kind = NormalizerStep::Kind::kReplace;
        JENNY_ASSIGN_OR_RETURN(s.pattern, parse_pattern(j.value("pattern", json())));
        s.content = j.value("content", "");
    } else if (t == "Prepend") {
        s.kind = NormalizerStep::Kind::kPrepend;
        s.content = j.value("prepend", "");
    } else {
        return Status::unsupported(fmt::format("normalizer type '{}'", t.empty() ? j.dump() : t));
    }
    steps->push_back(std::move(s));
    return Status();
}

std::string lowercase(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    size_t pos = 0;
    while (pos < text.size()) {
        uint32_t cp = utf8_next(text, &pos);
        base::append_utf8(
            &out, static_cast<uint32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp))));
    }
    return out;
}

bool is_unicode_space(uint32_t cp) {
    if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D)) return true;
    if (cp < 0x80) return false;
    auto cat = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
    return cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_ZL ||
           cat == UTF8PROC_CATEGORY_ZP || cp == 0x85;
}

std::string strip(std::string_view text, bool left, bool right) {
    size_t b = 0, e = text.size();
    if (left) {
        while (b < e) {
            size_t p = b;
            if (!is_unicode_space(utf8_next(text, &p))) break;
            b = p;
        }
    }
    if (right) {
        while (e > b) {
            size_t p = e - 1;
            while (p > b && (static_cast<unsigned char>(text[p]) & 0xC0) == 0x80) --p;
            size_t q = p;
            if (!is_unicode_space(utf8_next(text, &q))) break;
            e = p;
        }
    }
    return std::string(text.substr(b, e - b));
}

std::string replace_all(std::string_view text, const Regex& re, const std::string& content) {
    std::vector<std::pair<size_t, size_t>> m;
    re.find_all(text, &m);
    if (m.empty()) return std::string(text);
    std::string out;
    size_t pos = 0;
    for (auto [b, e] : m) {
        out.append(text.substr(pos, b - pos));
        out += content;
        pos = e;
    }
    out.append(text.substr(pos));
    return out;
}

SplitBehavior parse_behavior(const std::string& b, Status* st) {
    if (b == "Isolated") return SplitBehavior::kIsolated;
    if (b == "Removed") return SplitBehavior::kRemoved;
    if (b == "MergedWithPrevious") return SplitBehavior::kMergedWithPrevious;
    if (b == "MergedWithNext") return SplitBehavior::kMergedWithNext;
    if (b == "Contiguous") return SplitBehavior::kContiguous;
    *st = Status::unsupported(fmt::format("split behavior '{}'", b));
    return SplitBehavior::kIsolated;
}

}  // namespace

base::Result<std::shared_ptr<const Regex>> parse_pattern(const json& j) {
    std::string re;
    if (j.is_object() && j.contains("Regex") && j["Regex"].is_string()) {
        re = j["Regex"].get<std::string>();
    } else if (j.is_object() && j.contains("String") && j["String"].is_string()) {
        re = escape_regex(j["String"].get<std::string>());
    } else {
        return Status::unsupported(fmt::format("pattern {}", j.dump()));
    }
    JENNY_ASSIGN_OR_RETURN(Regex compiled, Regex::compile(re));
    return std::shared_ptr<const Regex>(std::make_shared<Regex>(std::move(compiled)));
}

base::Result<Normalizer> Normalizer::parse(const json& j) {
    Normalizer n;
    if (!j.is_null()) JENNY_RETURN_IF_ERROR(add_normalizer(j, &n.steps_));
    return n;
}

std::string Normalizer::apply(std::string_view text) const {
    std::string cur(text);
    for (const NormalizerStep& s : steps_) {
        switch (s.kind) {
            case NormalizerStep::Kind::kNormalForm: {
                auto r = normalize(cur, s.form);
                if (r.ok()) cur = std::move(*r);
                break;
            }
            case NormalizerStep::Kind::kLowercase:
                cur = lowercase(cur);
                break;
            case NormalizerStep::Kind::kStrip:
                cur = strip(cur, s.strip_left, s.strip_right);
                break;
            case NormalizerStep::Kind::kReplace:
                cur = replace_all(cur, *s.pattern, s.content);
                break;
            case NormalizerStep::Kind::kPrepend:
                if (!cur.empty()) cur = s.content + cur;
                break;
        }
    }
    return cur;
}

base::Result<PreTokenizer> PreTokenizer::parse(const json& j) {
    PreTokenizer p;
    if (j.is_null()) return p;
    std::vector<const json*> flat;
    if (type_of(j) == "Sequence") {
        if (!j.contains("pretokenizers") || !j["pretokenizers"].is_array()) {
            return Status::invalid_argument("pre_tokenizer Sequence without a pretokenizers list");
        }
        for (const json& sub : j["pretokenizers"]) flat.push_back(&sub);
    } else {
        flat.push_back(&j);
    }
    for (const json* sp : flat) {
        const json& s = *sp;
        const std::string t = type_of(s);
        PreTokenizerStep step{};
        if (t == "Split") {
            step.kind = PreTokenizerStep::Kind::kSplit;
            JENNY_ASSIGN_OR_RETURN(step.pattern, parse_pattern(s.value("pattern", json())));
            Status st;
            step.behavior = parse_behavior(s.value("behavior", "Isolated"), &st);
            JENNY_RETURN_IF_ERROR(st);
            step.invert = flag(s, "invert", false);
        } else if (t == "ByteLevel") {
            step.kind = PreTokenizerStep::Kind::kByteLevel;
            step.add_prefix_space = flag(s, "add_prefix_space", true);
            if (flag(s, "use_regex", true)) {
                JENNY_ASSIGN_OR_RETURN(Regex re, Regex::compile(kGpt2Pattern));
                step.pattern = std::make_shared<Regex>(std::move(re));
            }
            p.byte_level_ = true;
        } else if (t == "Metaspace") {
            step.kind = PreTokenizerStep::Kind::kMetaspace;
            step.replacement = s.value("replacement", "\u2581");
            std::string scheme = s.value("prepend_scheme", "");
            if (scheme.empty()) scheme = flag(s, "add_prefix_space", true) ? "always" : "never";
            if (scheme == "always")
                step.prepend = PreTokenizerStep::Prepend::kAlways;
            else if (scheme == "first")
                step.prepend = PreTokenizerStep::Prepend::kFirst;
            else if (scheme == "never")
                step.prepend = PreTokenizerStep::Prepend::kNever;
            else
                return Status::unsupported(fmt::format("Metaspace prepend_scheme '{}'", scheme));
            step.metaspace_split = flag(s, "split", true);
            p.metaspace_ = true;
        } else if (t == "Whitespace") {
            step.kind = PreTokenizerStep::Kind::kSplit;
            JENNY_ASSIGN_OR_RETURN(Regex re, Regex::compile(R"(\w+|[^\w\s]+)"));
            step.pattern = std::make_shared<Regex>(std::move(re));
            step.behavior = SplitBehavior::kRemoved;
            step.invert = true;
        } else if (t == "WhitespaceSplit") {
            step.kind = PreTokenizerStep::Kind::kSplit;
            JENNY_ASSIGN_OR_RETURN(Regex re, Regex::compile(R"(\s+)"));
            step.pattern = std::make_shared<Regex>(std::move(re));
            step.behavior = SplitBehavior::kRemoved;
        } else if (t == "Digits") {
            step.kind = PreTokenizerStep::Kind::kSplit;
            JENNY_ASSIGN_OR_RETURN(
                Regex re,
                Regex::compile(flag(s, "individual_digits", false) ? R"(\p{N})" : R"(\p{N}+)"));
            step.pattern = std::make_shared<Regex>(std::move(re));
        } else {
            return Status::unsupported(
                fmt::format("pre_tokenizer type '{}'", t.empty() ? s.dump() : t));
        }
        p.steps_.push_back(std::move(step));
    }
    return p;
}

void PreTokenizer::apply(std::string_view text, bool first, Words* words) const {
    std::vector<std::string_view> cur{text};
    std::vector<std::string_view> next;
    for (const PreTokenizerStep& s : steps_) {
        next.clear();
        switch (s.kind) {
            case PreTokenizerStep::Kind::kSplit:
                for (std::string_view piece : cur)
                    s.pattern->split(piece, s.behavior, s.invert, &next);
                break;
            case PreTokenizerStep::Kind::kByteLevel:
                for (std::string_view piece : cur) {
                    if (s.add_prefix_space && !piece.empty() && piece[0] != ' ') {
                        words->storage.push_back(" " + std::string(piece));
                        piece = words->storage.back();
                    }
                    if (s.pattern) {
                        s.pattern->split(piece, SplitBehavior::kIsolated, false, &next);
                    } else {
                        next.push_back(piece);
                    }
                }
                break;
            case PreTokenizerStep::Kind::kMetaspace:
                for (size_t i = 0; i < cur.size(); ++i) {
                    std::string replaced;
                    bool prepend =
                        s.prepend == PreTokenizerStep::Prepend::kAlways ||
                        (s.prepend == PreTokenizerStep::Prepend::kFirst && first && i == 0);
                    if (prepend && cur[i].substr(0, s.replacement.size()) != s.replacement) {
                        replaced = s.replacement;
                    }
                    for (char c : cur[i]) {
                        if (c == ' ')
                            replaced += s.replacement;
                        else
                            replaced += c;
                    }
                    words->storage.push_back(std::move(replaced));
                    std::string_view w = words->storage.back();
                    if (!s.metaspace_split) {
                        next.push_back(w);
                        continue;
                    }
                    // Split before each replacement character (MergedWithNext).
                    size_t start = 0, pos = w.find(s.replacement, 1);
                    while (pos != std::string_view::npos) {
                        next.push_back(w.substr(start, pos - start));
                        start = pos;
                        pos = w.find(s.replacement, pos + s.replacement.size());
                    }
                    if (start < w.size()) next.push_back(w.substr(start));
                }
                break;
        }
        cur.swap(next);
    }
    for (std::string_view w : cur) {
        if (!w.empty()) words->views.push_back(w);
    }
}

}  // namespace jenny::tokenizer
