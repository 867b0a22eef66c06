// The HTTP response inside a WARC response record, and turning its body into UTF-8 HTML
// (private to src/data; used by warc_reader.cpp). All functions are pure and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace jenny::data {

struct HttpResponse {
    int status = 0;
    std::string_view content_type;       // "" when absent
    std::string_view content_encoding;   // "" when absent
    std::string_view transfer_encoding;  // "" when absent
    std::string_view body;
};

// Parses "HTTP/1.x NNN reason" + header lines (CRLF or LF) + blank line + body. Returns
// nullopt when the status line or the header block is malformed; a missing blank line
// (headers only, no body) is accepted with an empty body. Views point into `payload`.
std::optional<HttpResponse> parse_http_response(std::string_view payload);

// Case-insensitive ASCII equality and prefix test.
bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view s, std::string_view prefix);

// "Text/HTML; charset=UTF-8" → "text/html".
std::string media_type(std::string_view content_type);
// "text/html; charset=\"UTF-8\"" → "utf-8"; "" when there is none.
std::string charset_param(std::string_view content_type);
// The value of the first "charset=" in the first 4 KiB of an HTML page (a <meta charset> or
// an http-equiv Content-Type), lowercased without quotes; "" when there is none.
std::string sniff_meta_charset(std::string_view page);

// The body of a chunked transfer encoding, or nullopt when `body` is not well-formed chunks.
std::optional<std::string> dechunk(std::string_view body);
// A gzip or zlib stream (by its first bytes) inflated, or nullopt when it is neither or is
// corrupt, or when it inflates to more than `max_bytes`.
std::optional<std::string> inflate_body(std::string_view body, size_t max_bytes);

enum class Charset { kUtf8, kWindows1252, kUnsupported };
// utf-8, utf8, us-ascii, ascii, ... → kUtf8; iso-8859-1, latin1, windows-1252, cp1252, ... →
// kWindows1252; anything else kUnsupported.
Charset classify_charset(std::string_view name);
// Windows-1252 (a superset of ISO-8859-1's printable range, as WHATWG decodes both) → UTF-8.
std::string windows1252_to_utf8(std::string_view bytes);
// Replaces each byte that does not start or continue a well-formed UTF-8 character with
// U+FFFD. Returns whether anything was replaced.
bool repair_utf8(std::string* text);

}  // namespace jenny::data
