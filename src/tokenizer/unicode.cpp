#include "tokenizer/unicode.h"

#include "jenny/base/utf8.h"

#include <utf8proc.h>

#include <array>
#include <cstdlib>

namespace jenny::tokenizer {

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
    for (unsigned char c : raw) base::append_utf8(&out, tables().to_cp[c]);
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
