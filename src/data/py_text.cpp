#include "data/py_text.h"

#include "data/text_chars.h"
#include "jenny/base/utf8.h"

namespace jenny::data {

std::u32string decode_utf8(std::string_view text) {
    std::u32string out;
    out.reserve(text.size());
    size_t i = 0;
    while (i < text.size()) {
        unsigned char b = static_cast<unsigned char>(text[i]);
        size_t len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
        if (len == 0 || i + len > text.size()) {
            out.push_back(0xFFFD);
            ++i;
            continue;
        }
        char32_t cp = len == 1 ? b : b & (0x7F >> len);
        bool ok = true;
        for (size_t k = 1; k < len; ++k) {
            unsigned char c = static_cast<unsigned char>(text[i + k]);
            if ((c & 0xC0) != 0x80) ok = false;
            cp = (cp << 6) | (c & 0x3F);
        }
        if (!ok) {
            out.push_back(0xFFFD);
            ++i;
            continue;
        }
        out.push_back(cp);
        i += len;
    }
    return out;
}

std::string encode_utf8(std::u32string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char32_t cp : text) base::append_utf8(&out, cp);
    return out;
}

bool py_isspace(char32_t cp) {
    if (cp < 0x80) return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x1F);
    return in_class(CharClass::kPySpace, cp);
}

bool py_isalpha(char32_t cp) {
    if (cp < 0x80) return (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z';
    return in_class(CharClass::kPyAlpha, cp);
}

namespace {

bool is_line_break(char32_t cp) {
    switch (cp) {
        case '\n':
        case '\r':
        case 0x0B:
        case 0x0C:
        case 0x1C:
        case 0x1D:
        case 0x1E:
        case 0x85:
        case 0x2028:
        case 0x2029:
            return true;
        default:
            return false;
    }
}

}  // namespace

std::vector<std::u32string_view> py_splitlines(std::u32string_view s) {
    std::vector<std::u32string_view> lines;
    size_t start = 0;
    size_t i = 0;
    while (i < s.size()) {
        if (!is_line_break(s[i])) {
            ++i;
            continue;
        }
        lines.push_back(s.substr(start, i - start));
        i += (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ? 2 : 1;
        start = i;
    }
    if (start < s.size()) lines.push_back(s.substr(start));
    return lines;
}

std::vector<std::u32string_view> py_split_on(std::u32string_view s, char32_t sep) {
    std::vector<std::u32string_view> out;
    size_t start = 0;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == sep) {
            out.push_back(s.substr(start, i - start));
            start = i + 1;
        }
    }
    out.push_back(s.substr(start));
    return out;
}

std::vector<std::u32string_view> py_split_whitespace(std::u32string_view s) {
    std::vector<std::u32string_view> out;
    size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && py_isspace(s[i])) ++i;
        size_t start = i;
        while (i < s.size() && !py_isspace(s[i])) ++i;
        if (i > start) out.push_back(s.substr(start, i - start));
    }
    return out;
}

std::u32string_view py_lstrip(std::u32string_view s) {
    size_t b = 0;
    while (b < s.size() && py_isspace(s[b])) ++b;
    return s.substr(b);
}

std::u32string_view py_rstrip(std::u32string_view s) {
    size_t e = s.size();
    while (e > 0 && py_isspace(s[e - 1])) --e;
    return s.substr(0, e);
}

std::u32string_view py_strip(std::u32string_view s) { return py_rstrip(py_lstrip(s)); }

size_t py_count(std::u32string_view s, std::u32string_view needle) {
    size_t n = 0;
    for (size_t pos = s.find(needle); pos != s.npos; pos = s.find(needle, pos + needle.size())) {
        ++n;
    }
    return n;
}

std::u32string py_lower_for_ascii_search(std::u32string_view s) {
    std::u32string out;
    out.reserve(s.size());
    for (char32_t cp : s) {
        if (cp < 0x80) {
            out.push_back(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
        } else if (std::u32string_view low = lower_to_ascii(cp); !low.empty()) {
            out.append(low);
        } else {
            out.push_back(0xFFFF);
        }
    }
    return out;
}

}  // namespace jenny::data
