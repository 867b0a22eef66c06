#include "tokenizer/jinja_strings.h"
#include "jenny/base/utf8.h"

#include "tokenizer/unicode.h"

#include <utf8proc.h>

#include <algorithm>

#include "tokenizer/jinja_error.h"

namespace jenny::tokenizer::jinja {
namespace {

constexpr char32_t kSurrogateEscape = 0xDC00;

bool in_set(char32_t cp, const std::u32string& set) { return set.find(cp) != std::u32string::npos; }

bool is_cased(char32_t cp) {
    auto cat = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
    return cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LL ||
           cat == UTF8PROC_CATEGORY_LT;
}

char32_t to_upper(char32_t cp) {
    return static_cast<char32_t>(utf8proc_toupper(static_cast<utf8proc_int32_t>(cp)));
}
char32_t to_lower(char32_t cp) {
    return static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp)));
}
char32_t to_title(char32_t cp) {
    return static_cast<char32_t>(utf8proc_totitle(static_cast<utf8proc_int32_t>(cp)));
}

bool py_isprintable(char32_t cp) {
    if (cp == ' ') return true;
    if (cp >= 0xD800 && cp <= 0xDFFF) return false;
    switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
        case UTF8PROC_CATEGORY_CC:
        case UTF8PROC_CATEGORY_CF:
        case UTF8PROC_CATEGORY_CS:
        case UTF8PROC_CATEGORY_CO:
        case UTF8PROC_CATEGORY_CN:
        case UTF8PROC_CATEGORY_ZL:
        case UTF8PROC_CATEGORY_ZP:
        case UTF8PROC_CATEGORY_ZS:
            return false;
        default:
            return true;
    }
}

void append_hex(std::string* out, const char* prefix, uint32_t v, int digits) {
    static const char* kHex = "0123456789abcdef";
    out->append(prefix);
    for (int i = digits - 1; i >= 0; --i) out->push_back(kHex[(v >> (4 * i)) & 0xF]);
}

}  // namespace

std::u32string utf8_decode(std::string_view s) {
    std::u32string out;
    out.reserve(s.size());
    size_t i = 0;
    while (i < s.size()) {
        utf8proc_int32_t cp = 0;
        auto n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(s.data() + i),
                                  static_cast<utf8proc_ssize_t>(s.size() - i), &cp);
        if (n <= 0) {
            out.push_back(kSurrogateEscape + static_cast<unsigned char>(s[i]));
            ++i;
        } else {
            out.push_back(static_cast<char32_t>(cp));
            i += static_cast<size_t>(n);
        }
    }
    return out;
}

void utf8_append(std::string* out, char32_t cp) {
    if (cp >= kSurrogateEscape + 0x80 && cp <= kSurrogateEscape + 0xFF) {
        out->push_back(static_cast<char>(cp - kSurrogateEscape));
        return;
    }
    base::append_utf8(out, static_cast<uint32_t>(cp));
}

std::string utf8_encode(std::u32string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char32_t cp : s) utf8_append(&out, cp);
    return out;
}

size_t utf8_length(std::string_view s) {
    size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    // Continuation bytes without a lead byte count as code points of their own after decoding;
    // decode when the fast count may be wrong.
    bool ascii = std::all_of(s.begin(), s.end(), [](char c) { return (c & 0x80) == 0; });
    return ascii ? n : utf8_decode(s).size();
}

bool py_isspace(char32_t cp) {
    if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x1F)) return true;
    if (cp < 0x80) return false;
    if (cp >= 0xD800 && cp <= 0xDFFF) return false;
    const utf8proc_property_t* p = utf8proc_get_property(static_cast<utf8proc_int32_t>(cp));
    return p->category == UTF8PROC_CATEGORY_ZS || p->bidi_class == UTF8PROC_BIDI_CLASS_WS ||
           p->bidi_class == UTF8PROC_BIDI_CLASS_B || p->bidi_class == UTF8PROC_BIDI_CLASS_S;
}

std::string py_strip(std::string_view s, const std::optional<std::string>& chars, bool left,
                     bool right) {
    std::u32string u = utf8_decode(s);
    std::u32string set = chars ? utf8_decode(*chars) : std::u32string();
    auto strip_it = [&](char32_t cp) { return chars ? in_set(cp, set) : py_isspace(cp); };
    size_t b = 0, e = u.size();
    if (left)
        while (b < e && strip_it(u[b])) ++b;
    if (right)
        while (e > b && strip_it(u[e - 1])) --e;
    return utf8_encode(std::u32string_view(u).substr(b, e - b));
}

std::vector<std::string> py_split(std::string_view s, const std::optional<std::string>& sep,
                                  int64_t maxsplit) {
    std::vector<std::string> out;
    if (sep) {
        if (sep->empty()) throw_type_error("ValueError: empty separator");
        size_t pos = 0;
        while (maxsplit < 0 || static_cast<int64_t>(out.size()) < maxsplit) {
            size_t hit = s.find(*sep, pos);
            if (hit == std::string_view::npos) break;
            out.emplace_back(s.substr(pos, hit - pos));
            pos = hit + sep->size();
        }
        out.emplace_back(s.substr(pos));
        return out;
    }
    std::u32string u = utf8_decode(s);
    size_t i = 0;
    while (true) {
        while (i < u.size() && py_isspace(u[i])) ++i;
        if (i == u.size()) break;
        if (maxsplit >= 0 && static_cast<int64_t>(out.size()) == maxsplit) {
            size_t e = u.size();
            while (e > i && py_isspace(u[e - 1])) --e;
            out.push_back(utf8_encode(std::u32string_view(u).substr(i, e - i)));
            break;
        }
        size_t j = i;
        while (j < u.size() && !py_isspace(u[j])) ++j;
        out.push_back(utf8_encode(std::u32string_view(u).substr(i, j - i)));
        i = j;
    }
    return out;
}

std::vector<std::string> py_rsplit(std::string_view s, const std::optional<std::string>& sep,
                                   int64_t maxsplit) {
    if (maxsplit < 0) return py_split(s, sep, maxsplit);
    std::vector<std::string> out;
    if (sep) {
        if (sep->empty()) throw_type_error("ValueError: empty separator");
        size_t end = s.size();
        while (static_cast<int64_t>(out.size()) < maxsplit) {
            if (end < sep->size()) break;
            size_t hit = s.rfind(*sep, end - sep->size());
            if (hit == std::string_view::npos) break;
            out.emplace_back(s.substr(hit + sep->size(), end - hit - sep->size()));
            end = hit;
        }
        out.emplace_back(s.substr(0, end));
        std::reverse(out.begin(), out.end());
        return out;
    }
    std::u32string u = utf8_decode(s);
    size_t e = u.size();
    while (true) {
        while (e > 0 && py_isspace(u[e - 1])) --e;
        if (e == 0) break;
        if (static_cast<int64_t>(out.size()) == maxsplit) {
            size_t b = 0;
            while (b < e && py_isspace(u[b])) ++b;
            out.push_back(utf8_encode(std::u32string_view(u).substr(b, e - b)));
            break;
        }
        size_t b = e;
        while (b > 0 && !py_isspace(u[b - 1])) --b;
        out.push_back(utf8_encode(std::u32string_view(u).substr(b, e - b)));
        e = b;
    }
    std::reverse(out.begin(), out.end());
    return out;
}

std::vector<std::string> py_splitlines(std::string_view s, bool keepends) {
    std::u32string u = utf8_decode(s);
    std::vector<std::string> out;
    size_t start = 0, i = 0;
    auto is_break = [](char32_t c) {
        return c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D ||
               c == 0x1E || c == 0x85 || c == 0x2028 || c == 0x2029;
    };
    while (i < u.size()) {
        if (!is_break(u[i])) {
            ++i;
            continue;
        }
        size_t eol = i;
        if (u[i] == '\r' && i + 1 < u.size() && u[i + 1] == '\n') ++i;
        ++i;
        size_t end = keepends ? i : eol;
        out.push_back(utf8_encode(std::u32string_view(u).substr(start, end - start)));
        start = i;
    }
    if (start < u.size()) out.push_back(utf8_encode(std::u32string_view(u).substr(start)));
    return out;
}

std::string py_upper(std::string_view s) {
    std::u32string u = utf8_decode(s);
    for (auto& c : u) c = to_upper(c);
    return utf8_encode(u);
}

std::string py_lower(std::string_view s) {
    std::u32string u = utf8_decode(s);
    for (auto& c : u) c = to_lower(c);
    return utf8_encode(u);
}

std::string py_title(std::string_view s) {
    std::u32string u = utf8_decode(s);
    bool prev_cased = false;
    for (auto& c : u) {
        bool cased = is_cased(c);
        c = prev_cased ? to_lower(c) : to_title(c);
        prev_cased = cased;
    }
    return utf8_encode(u);
}

std::string py_capitalize(std::string_view s) {
    std::u32string u = utf8_decode(s);
    for (size_t i = 0; i < u.size(); ++i) u[i] = i == 0 ? to_title(u[i]) : to_lower(u[i]);
    return utf8_encode(u);
}

std::string py_replace(std::string_view s, std::string_view old, std::string_view replacement,
                       int64_t count) {
    std::string out;
    if (old.empty()) {
        // Python inserts the replacement between every code point (and at both ends).
        std::u32string u = utf8_decode(s);
        int64_t done = 0;
        for (size_t i = 0; i <= u.size(); ++i) {
            if (count < 0 || done < count) {
                out.append(replacement);
                ++done;
            }
            if (i < u.size()) utf8_append(&out, u[i]);
        }
        return out;
    }
    size_t pos = 0;
    int64_t done = 0;
    while (count < 0 || done < count) {
        size_t hit = s.find(old, pos);
        if (hit == std::string_view::npos) break;
        out.append(s.substr(pos, hit - pos));
        out.append(replacement);
        pos = hit + old.size();
        ++done;
    }
    out.append(s.substr(pos));
    return out;
}

int64_t py_find(std::string_view s, std::string_view sub, bool reverse) {
    size_t hit = reverse ? s.rfind(sub) : s.find(sub);
    if (hit == std::string_view::npos) return -1;
    return static_cast<int64_t>(utf8_length(s.substr(0, hit)));
}

int64_t py_count(std::string_view s, std::string_view sub) {
    if (sub.empty()) return static_cast<int64_t>(utf8_length(s)) + 1;
    int64_t n = 0;
    for (size_t pos = s.find(sub); pos != std::string_view::npos;
         pos = s.find(sub, pos + sub.size()))
        ++n;
    return n;
}

std::string py_repr_string(std::string_view s) {
    bool has_single = s.find('\'') != std::string_view::npos;
    bool has_double = s.find('"') != std::string_view::npos;
    char quote = (has_single && !has_double) ? '"' : '\'';
    std::string out(1, quote);
    for (char32_t cp : utf8_decode(s)) {
        if (cp == static_cast<char32_t>(quote) || cp == '\\') {
            out.push_back('\\');
            out.push_back(static_cast<char>(cp));
        } else if (cp == '\n') {
            out.append("\\n");
        } else if (cp == '\r') {
            out.append("\\r");
        } else if (cp == '\t') {
            out.append("\\t");
        } else if (cp < 0x20 || cp == 0x7F) {
            append_hex(&out, "\\x", cp, 2);
        } else if (cp < 0x80 || py_isprintable(cp)) {
            utf8_append(&out, cp);
        } else if (cp <= 0xFF) {
            append_hex(&out, "\\x", cp, 2);
        } else if (cp <= 0xFFFF) {
            append_hex(&out, "\\u", cp, 4);
        } else {
            append_hex(&out, "\\U", cp, 8);
        }
    }
    out.push_back(quote);
    return out;
}

std::string json_quote(std::string_view s, bool ensure_ascii) {
    std::string out = "\"";
    auto plain = [&](char32_t cp) {
        switch (cp) {
            case '"':
                out.append("\\\"");
                return;
            case '\\':
                out.append("\\\\");
                return;
            case '\n':
                out.append("\\n");
                return;
            case '\r':
                out.append("\\r");
                return;
            case '\t':
                out.append("\\t");
                return;
            case '\b':
                out.append("\\b");
                return;
            case '\f':
                out.append("\\f");
                return;
            default:
                break;
        }
        if (cp < 0x20) {
            append_hex(&out, "\\u", cp, 4);
        } else if (ensure_ascii && cp >= 0x7F) {
            if (cp >= 0x10000) {
                char32_t v = cp - 0x10000;
                append_hex(&out, "\\u", 0xD800 + (v >> 10), 4);
                append_hex(&out, "\\u", 0xDC00 + (v & 0x3FF), 4);
            } else {
                append_hex(&out, "\\u", cp, 4);
            }
        } else {
            utf8_append(&out, cp);
        }
    };
    bool ascii = std::all_of(s.begin(), s.end(), [](char c) { return (c & 0x80) == 0; });
    if (ascii) {
        for (char c : s) plain(static_cast<char32_t>(c));
    } else {
        for (char32_t cp : utf8_decode(s)) plain(cp);
    }
    out.push_back('"');
    return out;
}

}  // namespace jenny::tokenizer::jinja
