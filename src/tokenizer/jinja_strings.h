// Python `str` semantics over UTF-8 for the chat-template interpreter: lengths, indices and
// slices count code points, whitespace is Unicode whitespace (str.isspace), case mapping is
// per code point. Invalid UTF-8 bytes survive a decode/encode round trip unchanged (they
// are carried as lone surrogates U+DC80..U+DCFF, like Python's surrogateescape).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jenny::tokenizer::jinja {

std::u32string utf8_decode(std::string_view s);
std::string utf8_encode(std::u32string_view s);
void utf8_append(std::string* out, char32_t cp);
size_t utf8_length(std::string_view s);  // number of code points

bool py_isspace(char32_t cp);
// str.strip/lstrip/rstrip: `chars` unset strips whitespace, else any of its code points.
std::string py_strip(std::string_view s, const std::optional<std::string>& chars, bool left,
                     bool right);
// str.split(sep=None, maxsplit=-1) and str.rsplit.
std::vector<std::string> py_split(std::string_view s, const std::optional<std::string>& sep,
                                  int64_t maxsplit);
std::vector<std::string> py_rsplit(std::string_view s, const std::optional<std::string>& sep,
                                   int64_t maxsplit);
std::vector<std::string> py_splitlines(std::string_view s, bool keepends);
std::string py_upper(std::string_view s);
std::string py_lower(std::string_view s);
std::string py_title(std::string_view s);
std::string py_capitalize(std::string_view s);
// str.replace(old, new, count=-1).
std::string py_replace(std::string_view s, std::string_view old, std::string_view replacement,
                       int64_t count);
// str.find (index in code points, -1 when absent).
int64_t py_find(std::string_view s, std::string_view sub, bool reverse);
int64_t py_count(std::string_view s, std::string_view sub);
// repr() of a str: quotes and escapes as CPython chooses them.
std::string py_repr_string(std::string_view s);
// The quoted JSON string json.dumps writes (ensure_ascii escapes non-ASCII as \uXXXX).
std::string json_quote(std::string_view s, bool ensure_ascii);

}  // namespace jenny::tokenizer::jinja
