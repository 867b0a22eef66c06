#define PCRE2_CODE_UNIT_WIDTH 8
#include "tokenizer/llama_cpp_pre.h"
#include "jenny/base/utf8.h"

#include <pcre2.h>
#include <utf8proc.h>

#include <map>

#include "tokenizer/unicode.h"

namespace jenny::tokenizer {
namespace {

// The regexes below are data from llama.cpp's src/llama-vocab.cpp (MIT), kept byte for byte.
const char* const kGpt2 =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
const char* const kLlama3 =
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
    "\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const char* const kQwen2 =
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
    "\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
// clang-format 14 cannot settle on a layout for these UTF-8 literals.
// clang-format off
const char* const kDeepseekLlmLetters =
    "\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-"
    "ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-"
    "ὅὈ-Ὅὐ-ὗὙὛὝὟ-ώᾀ-ᾴᾶ-ᾼιῂ-ῄῆ-ῌῐ-ΐῖ-Ίῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤΩℨK-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-"
    "ꞇꞋ-ꞎꭰ-"
    "ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]"
    "+";
// clang-format on

struct PreEntry {
    std::vector<const char*> names;
    LlamaCppPre pre;
};

const std::vector<PreEntry>& pre_table() {
    static const std::vector<PreEntry> table = [] {
        std::vector<PreEntry> t;
        auto add = [&](std::vector<const char*> names, std::vector<std::string> regexes,
                       bool clean_spaces, bool ignore_merges = false, bool add_bos = false) {
            PreEntry e;
            e.names = std::move(names);
            e.pre.regexes = std::move(regexes);
            e.pre.clean_spaces = clean_spaces;
            e.pre.ignore_merges = ignore_merges;
            e.pre.add_bos = add_bos;
            t.push_back(std::move(e));
        };
        add({"", "default"}, {"[\\p{P}\\$\\+<=>\\^~\\|]+", kGpt2, "\\p{N}+", "[0-9][0-9][0-9]"},
            true);
        add({"llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0",
             "lfm2"},
            {kLlama3}, true, /*ignore_merges=*/true, /*add_bos=*/true);
        add({"dbrx", "smaug-bpe"}, {kLlama3}, true);
        add({"deepseek-llm"},
            {"[\r\n]", kDeepseekLlmLetters, "\\s?[!-/:-~！-／：-～‘-‟　-。]+", "\\s+$",
             "[一-龥ࠀ-一가-퟿]+", "\\p{N}+"},
            false);
        add({"deepseek-coder"},
            {"[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", "[一-龥ࠀ-一가-퟿]+", "\\p{N}"}, false);
        add({"falcon"}, {"[\\p{P}\\$\\+<=>\\^~\\|`]+", kGpt2, "[0-9][0-9][0-9]"}, true);
        add({"starcoder", "refact", "codeshell", "exaone", "minerva-7b"}, {"\\p{N}", kGpt2}, true);
        add({"command-r", "smollm"}, {"\\p{N}", kGpt2}, false);
        add({"gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de",
             "a.x-4.0", "mellum", "modern-bert", "jina-v1-en", "jina-v2-code", "roberta-bpe", "mpt",
             "olmo", "jais", "exaone4"},
            {kGpt2}, true);
        add({"trillion"}, {kGpt2}, false);
        add({"qwen2", "deepseek-r1-qwen", "kormo"}, {kQwen2}, false);
        add({"stablelm2", "megrez"}, {kQwen2}, true);
        add({"poro-chat"}, {" ?[^(\\s|.,!?…。，、।۔،)]+"}, false);
        add({"bloom", "gpt3-finnish"}, {" ?[^(\\s|.,!?…。，、।۔،)]+"}, true);
        add({"viking"}, {" ?[^(\\s|.,!?…。，、।۔،)]+", "\\p{N}"}, false);
        add({"chatglm-bpe"}, {kLlama3}, true);
        t.back().pre.no_bos = true;
        return t;
    }();
    return table;
}

// The bytes llama.cpp collapses a category to, and the ASCII members of each category.
struct Category {
    const char* name;
    char byte;
    const char* ascii;
};
const Category kCategories[] = {
    {"\\p{N}", '\xD1', "\x30-\x39"},
    {"\\p{L}", '\xD2', "\x41-\x5A\x61-\x7A"},
    {"\\p{P}", '\xD3',
     "\x21-\x23\x25-\x2A\x2C-\x2F\x3A-\x3B\x3F-\x40\\\x5B-\\\x5D\x5F\\\x7B\\\x7D"},
    {"\\p{M}", '\xD4', ""},
    {"\\p{S}", '\xD5', "\\\x24\\\x2B\x3C-\x3E\x5E\x60\\\x7C\\\x7E"},
    {"\\p{Lu}", '\xD2', "\x41-\x5A\x61-\x7A"},
    {"\\p{Ll}", '\xD2', "\x41-\x5A\x61-\x7A"},
    {"\\p{Lt}", '\xD2', "\x41-\x5A\x61-\x7A"},
    {"\\p{Lm}", '\xD2', "\x41-\x5A\x61-\x7A"},
    {"\\p{Lo}", '\xD2', "\x41-\x5A\x61-\x7A"},
};

const Category* find_category(std::string_view pat) {
    for (const Category& c : kCategories) {
        if (pat == c.name) return &c;
    }
    return nullptr;
}

bool uses_categories(const std::string& regex) {
    for (const Category& c : kCategories) {
        if (regex.find(c.name) != std::string::npos) return true;
    }
    return false;
}

// llama.cpp's rewrite of a regex for the collapsed text.
std::string collapse_regex(const std::string& r) {
    std::string out;
    bool inside = false;
    for (size_t i = 0; i < r.size(); ++i) {
        if (r[i] == '[' && (i == 0 || r[i - 1] != '\\')) {
            out += '[';
            inside = true;
            continue;
        }
        if (inside && r[i] == ']' && r[i - 1] != '\\') {
            out += ']';
            inside = false;
            continue;
        }
        if (r[i] == '\\' && i + 3 < r.size() && r[i + 1] == 'p' && r[i + 2] == '{') {
            size_t close = r.find('}', i + 3);
            if (close != std::string::npos && close <= i + 10) {
                if (const Category* c =
                        find_category(std::string_view(r).substr(i, close - i + 1))) {
                    if (!inside) out += '[';
                    out += c->byte;
                    out += c->ascii;
                    if (!inside) out += ']';
                    i = close;
                    continue;
                }
            }
        }
        out += r[i];
    }
    return out;
}

bool is_white_space(uint32_t cp) {
    switch (cp) {
        case 0x09:
        case 0x0A:
        case 0x0B:
        case 0x0C:
        case 0x0D:
        case 0x20:
        case 0x85:
        case 0xA0:
        case 0x1680:
        case 0x2028:
        case 0x2029:
        case 0x202F:
        case 0x205F:
        case 0x3000:
            return true;
        default:
            return cp >= 0x2000 && cp <= 0x200A;
    }
}

char collapse_codepoint(uint32_t cp) {
    if (cp < 128) return static_cast<char>(cp);
    CodepointFlags f = codepoint_flags(cp);
    if (f.whitespace) return '\x0B';
    if (f.number) return '\xD1';
    if (f.letter) return '\xD2';
    if (f.punctuation) return '\xD3';
    if (f.accent) return '\xD4';
    if (f.symbol) return '\xD5';
    return '\xD0';
}

}  // namespace

CodepointFlags codepoint_flags(uint32_t cp) {
    CodepointFlags f;
    f.whitespace = is_white_space(cp);
    switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
        case UTF8PROC_CATEGORY_LU:
        case UTF8PROC_CATEGORY_LL:
        case UTF8PROC_CATEGORY_LT:
        case UTF8PROC_CATEGORY_LM:
        case UTF8PROC_CATEGORY_LO:
            f.letter = true;
            break;
        case UTF8PROC_CATEGORY_MN:
        case UTF8PROC_CATEGORY_MC:
        case UTF8PROC_CATEGORY_ME:
            f.accent = true;
            break;
        case UTF8PROC_CATEGORY_ND:
        case UTF8PROC_CATEGORY_NL:
        case UTF8PROC_CATEGORY_NO:
            f.number = true;
            break;
        case UTF8PROC_CATEGORY_PC:
        case UTF8PROC_CATEGORY_PD:
        case UTF8PROC_CATEGORY_PS:
        case UTF8PROC_CATEGORY_PE:
        case UTF8PROC_CATEGORY_PI:
        case UTF8PROC_CATEGORY_PF:
        case UTF8PROC_CATEGORY_PO:
            f.punctuation = true;
            break;
        case UTF8PROC_CATEGORY_SM:
        case UTF8PROC_CATEGORY_SC:
        case UTF8PROC_CATEGORY_SK:
        case UTF8PROC_CATEGORY_SO:
            f.symbol = true;
            break;
        case UTF8PROC_CATEGORY_CC:
        case UTF8PROC_CATEGORY_CF:
        case UTF8PROC_CATEGORY_CS:
        case UTF8PROC_CATEGORY_CO:
            f.control = true;
            break;
        default:
            break;
    }
    return f;
}

std::optional<LlamaCppPre> llama_cpp_pre(std::string_view name) {
    for (const PreEntry& e : pre_table()) {
        for (const char* n : e.names) {
            if (name == n) return e.pre;
        }
    }
    return std::nullopt;
}

struct LlamaCppSplitter::Impl {
    struct Step {
        pcre2_code* code = nullptr;
        bool collapsed = false;
    };
    std::vector<Step> steps;
    bool need_collapse = false;
    ~Impl() {
        for (Step& s : steps) pcre2_code_free(s.code);
    }
};

LlamaCppSplitter::LlamaCppSplitter() = default;
LlamaCppSplitter::LlamaCppSplitter(LlamaCppSplitter&&) noexcept = default;
LlamaCppSplitter& LlamaCppSplitter::operator=(LlamaCppSplitter&&) noexcept = default;
LlamaCppSplitter::~LlamaCppSplitter() = default;

base::Result<LlamaCppSplitter> LlamaCppSplitter::build(const std::vector<std::string>& regexes) {
    LlamaCppSplitter s;
    s.impl_ = std::make_unique<Impl>();
    for (const std::string& r : regexes) {
        Impl::Step step;
        step.collapsed = uses_categories(r);
        s.impl_->need_collapse = s.impl_->need_collapse || step.collapsed;
        // ECMAScript semantics as std::regex: $ only at the very end, \s \d ASCII.
        uint32_t opts = PCRE2_DOLLAR_ENDONLY;
        std::string pattern = r;
        if (step.collapsed) {
            pattern = collapse_regex(r);
        } else {
            opts |= PCRE2_UTF;
        }
        int err = 0;
        PCRE2_SIZE offset = 0;
        step.code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                  opts, &err, &offset, nullptr);
        if (step.code == nullptr) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(err, msg, sizeof msg);
            return base::Status::invalid_argument(
                fmt::format("pre-tokenizer regex {:?} at offset {}: {}", r, offset,
                            reinterpret_cast<char*>(msg)));
        }
        pcre2_jit_compile(step.code, PCRE2_JIT_COMPLETE);
        s.impl_->steps.push_back(step);
    }
    return s;
}

void LlamaCppSplitter::split(std::string_view text, std::vector<std::string_view>* out) const {
    if (text.empty()) return;
    // Code points and their byte offsets in `text`.
    std::vector<uint32_t> cps;
    std::vector<size_t> cp_off;
    cps.reserve(text.size());
    cp_off.reserve(text.size() + 1);
    for (size_t pos = 0; pos < text.size();) {
        cp_off.push_back(pos);
        cps.push_back(utf8_next(text, &pos));
    }
    cp_off.push_back(text.size());
    const size_t n = cps.size();
    std::string collapsed;
    if (impl_->need_collapse) {
        collapsed.resize(n);
        for (size_t i = 0; i < n; ++i) collapsed[i] = collapse_codepoint(cps[i]);
    }
    std::string wide;           // UTF-8 with non-ASCII whitespace as \v (std::wregex's view)
    std::vector<size_t> w_off;  // code point -> byte offset in `wide`
    std::vector<size_t> w_cp;   // byte offset in `wide` -> code point
    std::vector<size_t> lens = {n};
    std::vector<size_t> next;
    pcre2_match_data* md = pcre2_match_data_create(4, nullptr);
    for (const Impl::Step& step : impl_->steps) {
        std::string_view subject;
        if (step.collapsed) {
            subject = collapsed;
        } else {
            if (wide.empty()) {
                w_off.reserve(n + 1);
                for (uint32_t cp : cps) {
                    w_off.push_back(wide.size());
                    base::append_utf8(&wide, cp > 0x7F && is_white_space(cp) ? 0x0B : cp);
                }
                w_off.push_back(wide.size());
                w_cp.assign(wide.size() + 1, 0);
                for (size_t i = 0; i <= n; ++i) w_cp[w_off[i]] = i;
            }
            subject = wide;
        }
        auto to_byte = [&](size_t cp) { return step.collapsed ? cp : w_off[cp]; };
        auto to_cp = [&](size_t byte) { return step.collapsed ? byte : w_cp[byte]; };
        next.clear();
        size_t start = 0;
        for (size_t len : lens) {
            const size_t cb = to_byte(start), ce = to_byte(start + len);
            const auto* s = reinterpret_cast<PCRE2_SPTR>(subject.data() + cb);
            const size_t slen = ce - cb;
            size_t prev = 0;  // code points of the chunk consumed so far
            size_t at = 0;    // byte position in the chunk
            while (at <= slen) {
                int rc = pcre2_match(step.code, s, slen, at, PCRE2_NO_UTF_CHECK, md, nullptr);
                if (rc < 0) break;
                const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
                const size_t mb = ov[0], me = ov[1];
                if (me == mb) {  // empty match: no piece, move one code point on
                    if (mb >= slen) break;
                    at = to_byte(to_cp(cb + mb) + 1) - cb;
                    continue;
                }
                const size_t mb_cp = to_cp(cb + mb) - start, me_cp = to_cp(cb + me) - start;
                if (mb_cp > prev) next.push_back(mb_cp - prev);
                next.push_back(me_cp - mb_cp);
                prev = me_cp;
                at = me;
            }
            if (prev < len) next.push_back(len - prev);
            start += len;
        }
        lens.swap(next);
    }
    pcre2_match_data_free(md);
    size_t start = 0;
    for (size_t len : lens) {
        out->push_back(text.substr(cp_off[start], cp_off[start + len] - cp_off[start]));
        start += len;
    }
}

}  // namespace jenny::tokenizer
