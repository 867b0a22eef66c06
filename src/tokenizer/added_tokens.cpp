#include "tokenizer/added_tokens.h"

#include <utf8proc.h>

#include <algorithm>

#include "tokenizer/unicode.h"

namespace jenny::tokenizer {
namespace {

bool is_space_byte(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// Whether the code point ending just before `pos` (or starting at `pos`) is a word character.
bool word_char_at(std::string_view text, size_t pos) {
    if (pos >= text.size()) return false;
    size_t p = pos;
    uint32_t cp = utf8_next(text, &p);
    if (cp == '_') return true;
    auto cat = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
    return (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
           (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO) ||
           (cat >= UTF8PROC_CATEGORY_MN && cat <= UTF8PROC_CATEGORY_ME);
}

size_t prev_char_start(std::string_view text, size_t pos) {
    if (pos == 0) return std::string_view::npos;
    size_t p = pos - 1;
    while (p > 0 && (static_cast<unsigned char>(text[p]) & 0xC0) == 0x80) --p;
    return p;
}

}  // namespace

AddedTokens::AddedTokens(std::vector<AddedToken> tokens) : tokens_(std::move(tokens)) {
    by_first_byte_.assign(256, {});
    for (size_t i = 0; i < tokens_.size(); ++i) {
        if (tokens_[i].content.empty()) continue;
        by_first_byte_[static_cast<unsigned char>(tokens_[i].content[0])].push_back(
            static_cast<int>(i));
    }
    for (auto& v : by_first_byte_) {
        std::stable_sort(v.begin(), v.end(), [&](int a, int b) {
            return tokens_[static_cast<size_t>(a)].content.size() >
                   tokens_[static_cast<size_t>(b)].content.size();
        });
    }
}

int AddedTokens::match_at(std::string_view text, size_t pos, bool normalized,
                          bool parse_special) const {
    for (int i : by_first_byte_[static_cast<unsigned char>(text[pos])]) {
        const AddedToken& t = tokens_[static_cast<size_t>(i)];
        if (t.normalized != normalized || (t.special && !parse_special)) continue;
        if (text.compare(pos, t.content.size(), t.content) != 0) continue;
        if (t.single_word) {
            size_t before = prev_char_start(text, pos);
            if (before != std::string_view::npos && word_char_at(text, before)) continue;
            if (word_char_at(text, pos + t.content.size())) continue;
        }
        return i;
    }
    return -1;
}

void AddedTokens::split(std::string_view text, bool normalized, bool parse_special,
                        std::vector<Segment>* out) const {
    if (tokens_.empty()) {
        if (!text.empty()) out->push_back({text, -1});
        return;
    }
    size_t start = 0;  // start of the pending plain text
    size_t pos = 0;
    while (pos < text.size()) {
        int i = match_at(text, pos, normalized, parse_special);
        if (i < 0) {
            ++pos;
            continue;
        }
        const AddedToken& t = tokens_[static_cast<size_t>(i)];
        size_t b = pos, e = pos + t.content.size();
        if (t.lstrip) {
            while (b > start && is_space_byte(static_cast<unsigned char>(text[b - 1]))) --b;
        }
        if (t.rstrip) {
            while (e < text.size() && is_space_byte(static_cast<unsigned char>(text[e]))) ++e;
        }
        if (b > start) out->push_back({text.substr(start, b - start), -1});
        out->push_back({text.substr(b, e - b), t.id});
        start = pos = e;
    }
    if (start < text.size()) out->push_back({text.substr(start), -1});
}

}  // namespace jenny::tokenizer
