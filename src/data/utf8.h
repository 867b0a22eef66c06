// UTF-8 validation for corpus text (private to src/data).
#pragma once

#include <string>
#include <string_view>

namespace jenny::data {

// The offset of the first byte that does not start or continue a well-formed UTF-8
// character (overlong forms, surrogates and code points above U+10FFFF are ill-formed, as
// in Unicode's table 3-7), or std::string_view::npos when `text` is valid.
size_t find_invalid_utf8(std::string_view text);

}  // namespace jenny::data
