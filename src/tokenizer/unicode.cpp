#include "tokenizer/unicode.h"

#include <utf8proc.h>

#include <array>
#include <cstdlib>

namespace jenny::tokenizer {

size_t find_invalid_utf8(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const size_t n = s.size();
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t len;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return i;
        }
        if (i + len > n) return i;
        for (size_t k = 1; k < len; ++k) {
            if ((p[i + k] & 0xC0) != 0x80) return i;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF)) {
            return i;
        }
        i += len;
    }
    return std::string_view::npos;
}

uint32_t utf8_next(std::string_view s, size_t* pos) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data()) + *pos;
    unsigned char c = p[0];
    if (c < 0x80) {
        *pos += 1;
        return c;
    }
    size_t len = utf8_len(c);
    if (*pos + len > s.size()) {  // defensive: never read past the end
        *pos = s.size();
        return 0xFFFD;
    }
    uint32_t cp = len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (p[k] & 0x3F);
    *pos += len;
    return cp;
}

void utf8_append(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
        out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

namespace {

struct ByteLevelTables {
    std::array<uint32_t, 256> to_cp{};
    std::array<int16_t, 512> from_cp{};  // every alphabet code point is < 512
    ByteLevelTables() {
        from_cp.fill(-1);
        uint32_t extra = 0;
        for (int b = 0; b < 256; ++b) {
            bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
            to_cp[static_cast<size_t>(b)] = printable ? static_cast<uint32_t>(b) : 256 + extra++;
            from_cp[to_cp[static_cast<size_t>(b)]] = static_cast<int16_t>(b);
        }
    }
};

const ByteLevelTables& tables() {
    static const ByteLevelTables t;
    return t;
}

}  // namespace

uint32_t byte_to_unicode(uint8_t b) { return tables().to_cp[b]; }

int unicode_to_byte(uint32_t cp) { return cp < 512 ? tables().from_cp[cp] : -1; }

std::string bytes_to_byte_level(std::string_view raw) {
    std::string out;
    out.reserve(raw.size() * 2);
    for (unsigned char c : raw) utf8_append(tables().to_cp[c], &out);
    return out;
}

bool byte_level_to_bytes(std::string_view text, std::string* raw) {
    size_t pos = 0;
    while (pos < text.size()) {
        int b = unicode_to_byte(utf8_next(text, &pos));
        if (b < 0) return false;
        raw->push_back(static_cast<char>(b));
    }
    return true;
}

base::Result<std::string> normalize(std::string_view s, NormalForm form) {
    int options = UTF8PROC_STABLE;
    switch (form) {
        case NormalForm::kNfc:
            options |= UTF8PROC_COMPOSE;
            break;
        case NormalForm::kNfd:
            options |= UTF8PROC_DECOMPOSE;
            break;
        case NormalForm::kNfkc:
            options |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT;
            break;
        case NormalForm::kNfkd:
            options |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT;
            break;
    }
    // Fast path: pure ASCII is already in every normal form.
    bool ascii = true;
    for (unsigned char c : s) {
        if (c >= 0x80) {
            ascii = false;
            break;
        }
    }
    if (ascii) return std::string(s);
    utf8proc_uint8_t* out = nullptr;
    utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
                                      static_cast<utf8proc_ssize_t>(s.size()), &out,
                                      static_cast<utf8proc_option_t>(options));
    if (n < 0) {
        return base::Status::invalid_argument(
            fmt::format("unicode normalisation failed: {}", utf8proc_errmsg(n)));
    }
    std::string result(reinterpret_cast<char*>(out), static_cast<size_t>(n));
    std::free(out);
    return result;
}

}  // namespace jenny::tokenizer
