// Jinja's built-in filters and tests, transformers' tojson override, and the global
// functions a chat template sees (range, namespace, dict, raise_exception, strftime_now),
// with the behaviour of Jinja 3.1 on CPython.
//
// Failures throw JinjaError without a location; the interpreter adds it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/jinja_value.h"

namespace jenny::tokenizer::jinja {

// Whether `name` is a filter / test this interpreter implements (the parser rejects others
// as unsupported constructs).
bool is_known_filter(std::string_view name);
bool is_known_test(std::string_view name);

// input | name(args).
Value call_filter(const std::string& name, const Value& input, Args& args);
// input is name(args).
bool call_test(const std::string& name, const Value& input, Args& args);

// The global names of transformers' chat-template environment. strftime_now formats
// `now_unix_seconds` in the local time zone (transformers uses datetime.now()).
std::vector<std::pair<std::string, Value>> default_globals(int64_t now_unix_seconds);

}  // namespace jenny::tokenizer::jinja
