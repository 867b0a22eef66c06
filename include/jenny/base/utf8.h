// UTF-8 validation, decoding and encoding with Unicode's well-formedness rules (table 3-7):
// corpus text, tokenizer input, chat templates. Pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace jenny::base {

// The offset of the first byte that does not start or continue a well-formed UTF-8
// character (overlong forms, surrogates and code points above U+10FFFF are ill-formed, as
// in Unicode's table 3-7), or std::string_view::npos when `text` is valid.
size_t find_invalid_utf8(std::string_view text);

// The code point of the well-formed character at text[pos] (pos < text.size()) and its
// length in *len; ill-formed bytes (as find_invalid_utf8 defines them) give
// kInvalidCodePoint with *len = 1.
inline constexpr uint32_t kInvalidCodePoint = 0xFFFFFFFFu;
uint32_t decode_utf8_at(std::string_view text, size_t pos, size_t* len);

// Appends code point `cp` (<= U+10FFFF) to *out as UTF-8.
void append_utf8(std::string* out, uint32_t cp);

}  // namespace jenny::base
