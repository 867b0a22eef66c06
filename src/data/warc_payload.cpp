#include "data/warc_payload.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdint>

#include "jenny/base/utf8.h"

namespace jenny::data {
namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

// The next line of `*rest` without its terminator (LF or CRLF); nullopt when no LF is left.
std::optional<std::string_view> take_line(std::string_view* rest) {
    const size_t nl = rest->find('\n');
    if (nl == std::string_view::npos) return std::nullopt;
    std::string_view line = rest->substr(0, nl);
    rest->remove_prefix(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
}

// The charset value at `s` (just after "charset="), lowercased, without quotes.
std::string charset_value(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '"' || s.front() == '\'')) {
        s.remove_prefix(1);
    }
    std::string out;
    for (char c : s) {
        if (c == '"' || c == '\'' || c == ';' || c == ' ' || c == '>' || c == '/' || c == ',' ||
            c == '\t' || c == '\r' || c == '\n' || out.size() >= 40) {
            break;
        }
        out.push_back(lower(c));
    }
    return out;
}

// Windows-1252 0x80..0x9F; 0 marks the five bytes WHATWG maps to C1 controls.
constexpr std::array<uint16_t, 32> kCp1252High = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::optional<HttpResponse> parse_http_response(std::string_view payload) {
    HttpResponse r;
    std::string_view rest = payload;
    std::optional<std::string_view> status_line = take_line(&rest);
    if (!status_line) {  // a status line alone, without even a line break
        status_line = rest;
        rest = {};
    }
    // "HTTP/1.1 200 OK": the protocol, one space, three digits, then a space or the end.
    std::string_view s = *status_line;
    if (!istarts_with(s, "HTTP/")) return std::nullopt;
    const size_t sp = s.find(' ');
    if (sp == std::string_view::npos || sp + 4 > s.size()) return std::nullopt;
    int status = 0;
    for (size_t i = sp + 1; i < sp + 4; ++i) {
        if (s[i] < '0' || s[i] > '9') return std::nullopt;
        status = status * 10 + (s[i] - '0');
    }
    if (sp + 4 < s.size() && s[sp + 4] != ' ') return std::nullopt;
    r.status = status;
    for (;;) {
        std::optional<std::string_view> line = take_line(&rest);
        if (!line) {
            // Headers running into the end of the payload: no body.
            if (!trim(rest).empty() && rest.find(':') == std::string_view::npos) {
                return std::nullopt;
            }
            rest = {};
            break;
        }
        if (line->empty()) break;
        const size_t colon = line->find(':');
        if (colon == std::string_view::npos || colon == 0) {
            // Folded continuation lines (obsolete) start with a space; anything else is junk.
            if (line->front() == ' ' || line->front() == '\t') continue;
            return std::nullopt;
        }
        const std::string_view name = trim(line->substr(0, colon));
        const std::string_view value = trim(line->substr(colon + 1));
        if (iequals(name, "Content-Type")) {
            if (r.content_type.empty()) r.content_type = value;
        } else if (iequals(name, "Content-Encoding")) {
            r.content_encoding = value;
        } else if (iequals(name, "Transfer-Encoding")) {
            r.transfer_encoding = value;
        }
    }
    r.body = rest;
    return r;
}

std::string media_type(std::string_view content_type) {
    std::string_view t = content_type.substr(0, content_type.find(';'));
    t = trim(t);
    std::string out(t);
    for (char& c : out) c = lower(c);
    return out;
}

std::string charset_param(std::string_view content_type) {
    std::string low(content_type);
    for (char& c : low) c = lower(c);
    const size_t at = low.find("charset=");
    if (at == std::string::npos) return {};
    return charset_value(std::string_view(low).substr(at + 8));
}

std::string sniff_meta_charset(std::string_view page) {
    std::string head(page.substr(0, 4096));
    for (char& c : head) c = lower(c);
    const size_t at = head.find("charset=");
    if (at == std::string::npos) return {};
    return charset_value(std::string_view(head).substr(at + 8));
}

std::optional<std::string> dechunk(std::string_view body) {
    std::string out;
    std::string_view rest = body;
    for (;;) {
        std::optional<std::string_view> line = take_line(&rest);
        if (!line) return std::nullopt;
        std::string_view size_text = trim(line->substr(0, line->find(';')));
        if (size_text.empty() || size_text.size() > 15) return std::nullopt;
        uint64_t size = 0;
        for (char c : size_text) {
            const char l = lower(c);
            int digit = 0;
            if (l >= '0' && l <= '9') {
                digit = l - '0';
            } else if (l >= 'a' && l <= 'f') {
                digit = l - 'a' + 10;
            } else {
                return std::nullopt;
            }
            size = size * 16 + static_cast<uint64_t>(digit);
        }
        if (size == 0) return out;  // trailers, if any, are not needed
        if (size > rest.size()) return std::nullopt;
        out.append(rest.substr(0, size));
        rest.remove_prefix(size);
        if (rest.substr(0, 2) == "\r\n") {
            rest.remove_prefix(2);
        } else if (rest.substr(0, 1) == "\n") {
            rest.remove_prefix(1);
        } else {
            return std::nullopt;
        }
    }
}

std::optional<std::string> inflate_body(std::string_view body, size_t max_bytes) {
    const auto b0 = body.size() > 0 ? static_cast<unsigned char>(body[0]) : 0;
    const auto b1 = body.size() > 1 ? static_cast<unsigned char>(body[1]) : 0;
    int window_bits = 0;
    if (b0 == 0x1f && b1 == 0x8b) {
        window_bits = 16 + MAX_WBITS;  // gzip
    } else if ((b0 & 0x0f) == 8 && ((b0 << 8) | b1) % 31 == 0) {
        window_bits = MAX_WBITS;  // zlib
    } else {
        return std::nullopt;
    }
    z_stream zs{};
    if (inflateInit2(&zs, window_bits) != Z_OK) return std::nullopt;
    std::string out;
    char chunk[1 << 15];
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
    zs.avail_in = static_cast<uInt>(std::min<size_t>(body.size(), UINT32_MAX));
    int rc = Z_OK;
    for (;;) {
        zs.next_out = reinterpret_cast<Bytef*>(chunk);
        zs.avail_out = sizeof(chunk);
        rc = inflate(&zs, Z_NO_FLUSH);  // Z_BUF_ERROR once the input ends before the stream
        out.append(chunk, sizeof(chunk) - zs.avail_out);
        if (rc != Z_OK) break;
        if (out.size() > max_bytes) {
            rc = Z_MEM_ERROR;
            break;
        }
    }
    inflateEnd(&zs);
    if (rc != Z_STREAM_END) return std::nullopt;
    return out;
}

Charset classify_charset(std::string_view name) {
    static constexpr std::array<std::string_view, 7> kUtf8 = {
        "utf-8",          "utf8", "us-ascii", "ascii", "ansi_x3.4-1968", "unicode-1-1-utf-8",
        "x-unicode20utf8"};
    static constexpr std::array<std::string_view, 11> kLatin1 = {
        "iso-8859-1",   "iso8859-1", "iso_8859-1", "latin1", "latin-1",   "l1",
        "windows-1252", "cp1252",    "x-cp1252",   "cp819",  "iso-ir-100"};
    for (std::string_view n : kUtf8) {
        if (iequals(name, n)) return Charset::kUtf8;
    }
    for (std::string_view n : kLatin1) {
        if (iequals(name, n)) return Charset::kWindows1252;
    }
    return Charset::kUnsupported;
}

std::string windows1252_to_utf8(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size() + bytes.size() / 8);
    for (char ch : bytes) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x80) {
            out.push_back(ch);
        } else if (c < 0xA0 && kCp1252High[c - 0x80] != 0) {
            base::append_utf8(&out, kCp1252High[c - 0x80]);
        } else {
            base::append_utf8(&out, c);  // Latin-1, and the C1 controls WHATWG keeps as they are
        }
    }
    return out;
}

bool repair_utf8(std::string* text) {
    size_t bad = base::find_invalid_utf8(*text);
    if (bad == std::string_view::npos) return false;
    std::string out;
    out.reserve(text->size() + 16);
    std::string_view rest = *text;
    while (bad != std::string_view::npos) {
        out.append(rest.substr(0, bad));
        out += "\xEF\xBF\xBD";  // U+FFFD
        rest.remove_prefix(bad + 1);
        bad = base::find_invalid_utf8(rest);
    }
    out.append(rest);
    *text = std::move(out);
    return true;
}

}  // namespace jenny::data
