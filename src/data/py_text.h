// Python str semantics over code points, for porting datatrove's filters (private to src/data).
// Python counts and slices code points, so the filters decode UTF-8 to std::u32string once and
// work on that; every length below is in code points. All functions are pure and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace jenny::data {

// UTF-8 → code points. Ill-formed bytes (callers pass valid UTF-8) decode as U+FFFD each.
std::u32string decode_utf8(std::string_view text);
// Code points → UTF-8.
std::string encode_utf8(std::u32string_view text);

bool py_isspace(char32_t cp);
bool py_isalpha(char32_t cp);

// str.splitlines(): splits at \n, \r, \r\n, \v, \f, \x1c-\x1e, \x85, \u2028, \u2029; no line
// for a trailing break.
std::vector<std::u32string_view> py_splitlines(std::u32string_view s);
// str.split("\n") (sep given: empty pieces kept).
std::vector<std::u32string_view> py_split_on(std::u32string_view s, char32_t sep);
// str.split() (no sep: runs of whitespace, no empty pieces).
std::vector<std::u32string_view> py_split_whitespace(std::u32string_view s);
// str.strip() / lstrip() / rstrip() with no argument (Unicode whitespace).
std::u32string_view py_strip(std::u32string_view s);
std::u32string_view py_lstrip(std::u32string_view s);
std::u32string_view py_rstrip(std::u32string_view s);
// str.count(needle) for a non-empty needle: non-overlapping occurrences.
size_t py_count(std::u32string_view s, std::u32string_view needle);
// A projection of str.lower() that keeps exactly the ASCII content: ASCII and the code points
// whose lowercase contains ASCII are lowered as Python does, every other code point becomes
// U+FFFF. An ASCII needle occurs in the result iff it occurs in s.lower().
std::u32string py_lower_for_ascii_search(std::u32string_view s);

inline bool starts_with(std::u32string_view s, std::u32string_view p) {
    return s.size() >= p.size() && s.compare(0, p.size(), p) == 0;
}
inline bool ends_with(std::u32string_view s, std::u32string_view p) {
    return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
}

}  // namespace jenny::data
