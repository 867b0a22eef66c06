// UTF-8 and Unicode helpers shared by the tokenizers: validation, decoding, the GPT-2
// byte<->unicode alphabet of byte-level BPE, and normalisation (NFC/NFKC/NFD/NFKD through
// utf8proc). All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "jenny/base/result.h"

namespace jenny::tokenizer {

// Length in bytes of the UTF-8 sequence starting with lead byte `c` (1 for invalid leads).
inline size_t utf8_len(unsigned char c) {
    if (c < 0x80) return 1;
    if ((c >> 5) == 0x6) return 2;
    if ((c >> 4) == 0xE) return 3;
    if ((c >> 3) == 0x1E) return 4;
    return 1;
}

// Decodes the code point at s[*pos] and advances *pos; s must be valid UTF-8.
uint32_t utf8_next(std::string_view s, size_t* pos);

// GPT-2's reversible byte -> printable code point map used by byte-level BPE vocabularies
// (" " -> "Ġ", "\n" -> "Ċ").
uint32_t byte_to_unicode(uint8_t b);
// The byte a code point of that alphabet stands for, or -1 when it is not in the alphabet.
int unicode_to_byte(uint32_t cp);
// Maps every byte of `raw` to its alphabet character (UTF-8).
std::string bytes_to_byte_level(std::string_view raw);
// Inverse of bytes_to_byte_level; false when a character is outside the alphabet.
bool byte_level_to_bytes(std::string_view text, std::string* raw);

enum class NormalForm { kNfc, kNfd, kNfkc, kNfkd };
// Unicode normalisation of valid UTF-8.
base::Result<std::string> normalize(std::string_view s, NormalForm form);

}  // namespace jenny::tokenizer
