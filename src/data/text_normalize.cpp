#include "data/text_normalize.h"

#include "jenny/base/utf8.h"

#include <utf8proc.h>

#include <cstdlib>

namespace jenny::data {
namespace {

bool is_odd_space(char32_t cp) {
    return cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F ||
           cp == 0x205F || cp == 0x3000;
}

std::string unicode_form(std::string_view text, const std::string& form) {
    if (form == "none" || text.empty()) return std::string(text);
    utf8proc_uint8_t* out = nullptr;
    const int options = UTF8PROC_STABLE | UTF8PROC_COMPOSE | (form == "nfkc" ? UTF8PROC_COMPAT : 0);
    const utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                                            static_cast<utf8proc_ssize_t>(text.size()), &out,
                                            static_cast<utf8proc_option_t>(options));
    if (n < 0) return std::string(text);  // invalid UTF-8: readers repaired it already
    std::string s(reinterpret_cast<const char*>(out), static_cast<size_t>(n));
    std::free(out);
    return s;
}

std::string fix_whitespace(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    size_t newlines = 0;  // "\n" in a row at the end of out (ignoring trailing blanks)
    for (size_t i = 0; i < s.size();) {
        size_t len = 1;
        const uint32_t cp = base::decode_utf8_at(s, i, &len);
        if (cp == '\r' || cp == '\n') {
            if (cp == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++len;
            while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) out.pop_back();
            if (!out.empty() && newlines < 2) out.push_back('\n');
            ++newlines;
        } else if (is_odd_space(cp) || cp == ' ') {
            if (!out.empty()) out.push_back(' ');
        } else if (cp == '\t') {
            if (!out.empty()) out.push_back('\t');
        } else if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || cp == 0x200B ||
                   cp == 0xFEFF) {
            // control or zero-width: dropped
        } else {
            out.append(s.substr(i, len));
            newlines = 0;
        }
        i += len;
    }
    while (!out.empty() && (out.back() == ' ' || out.back() == '\t' || out.back() == '\n'))
        out.pop_back();
    return out;
}

int64_t count_code_points(std::string_view s) {
    int64_t n = 0;
    for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return n;
}

int64_t count_words(std::string_view s) {
    int64_t n = 0;
    bool in_word = false;
    for (char c : s) {
        const bool space =
            c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
        if (!space && !in_word) ++n;
        in_word = !space;
    }
    return n;
}

}  // namespace

std::string normalize_text(std::string_view text, const NormalizeOptions& o) {
    std::string s = unicode_form(text, o.form);
    return o.fix_whitespace ? fix_whitespace(s) : s;
}

Verdict normalize_document(Document& doc, const NormalizeOptions& o) {
    doc.text = normalize_text(doc.text, o);
    if (doc.text.empty()) return Verdict::drop("empty_after_normalize");
    return Verdict::kept();
}

Verdict length_filter(Document& doc, const LengthOptions& o) {
    const int64_t chars = count_code_points(doc.text);
    if (chars < o.min_chars) return Verdict::drop("too_few_chars");
    if (o.max_chars > 0 && chars > o.max_chars) return Verdict::drop("too_many_chars");
    if (o.min_words > 0 || o.max_words > 0) {
        const int64_t words = count_words(doc.text);
        if (words < o.min_words) return Verdict::drop("too_few_words");
        if (o.max_words > 0 && words > o.max_words) return Verdict::drop("too_many_words");
    }
    return Verdict::kept();
}

}  // namespace jenny::data
