#include "tokenizer/wpm_model.h"
#include "jenny/base/utf8.h"

#include <utf8proc.h>

#include "tokenizer/llama_cpp_pre.h"
#include "tokenizer/unicode.h"

namespace jenny::tokenizer {
namespace {

bool is_chinese_char(uint32_t cp) {
    // The ranges of Hugging Face's BertPreTokenizer, 0x2B920 (not 0x2B820) included.
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
           (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

// llama.cpp maps each code point to the first code point of its NFD decomposition.
uint32_t nfd_first(uint32_t cp) {
    utf8proc_int32_t buf[8];
    int last = 0;
    utf8proc_ssize_t n = utf8proc_decompose_char(static_cast<utf8proc_int32_t>(cp), buf, 8,
                                                 UTF8PROC_DECOMPOSE, &last);
    return n > 0 ? static_cast<uint32_t>(buf[0]) : cp;
}

}  // namespace

void WpmModel::encode(std::string_view text, std::vector<TokenId>* out) const {
    std::vector<std::string> words(1);
    for (size_t pos = 0; pos < text.size();) {
        uint32_t cp = utf8_next(text, &pos);
        if (options_.strip_accents) cp = nfd_first(cp);
        const CodepointFlags f = codepoint_flags(cp);
        if (f.whitespace) {
            if (!words.back().empty()) words.emplace_back();
            continue;
        }
        if (cp == 0 || cp == 0xFFFD || f.control) continue;
        if (options_.strip_accents && f.accent) continue;
        const uint32_t lc =
            options_.lowercase
                ? static_cast<uint32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp)))
                : cp;
        if (f.punctuation || (cp < 0x7F && f.symbol) || is_chinese_char(cp)) {
            if (!words.back().empty()) words.emplace_back();
            base::append_utf8(&words.back(), lc);
            words.emplace_back();
        } else {
            base::append_utf8(&words.back(), lc);
        }
    }
    for (const std::string& word : words) {
        if (word.empty()) continue;
        const std::string w = "\u2581" + word;
        const size_t n = w.size();
        const size_t start = out->size();
        for (size_t i = 0; i < n; ++i) {
            bool match = false;
            for (size_t j = std::min(n, i + max_token_len_ + 1); j > i; --j) {
                if (auto id = find_piece(vocab_, std::string_view(w).substr(i, j - i))) {
                    out->push_back(*id);
                    match = true;
                    i = j - 1;
                    break;
                }
            }
            if (!match) {
                out->resize(start);
                break;
            }
        }
        if (out->size() == start) out->push_back(options_.unk);
    }
}

}  // namespace jenny::tokenizer
