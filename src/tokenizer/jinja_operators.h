// Python/Jinja operator semantics for the chat-template interpreter: attribute and item
// access as Jinja's sandbox does it (including the str/dict/list methods templates call),
// slicing, iteration, `in`, arithmetic and comparisons.
//
// Failures throw JinjaError without a location; the interpreter adds it.
#pragma once

#include <string>
#include <vector>

#include "tokenizer/jinja_value.h"

namespace jenny::tokenizer::jinja {

// Throws the error an operation on an Undefined raises: its hint, e.g. "'x' is undefined".
[[noreturn]] void fail_undefined(const Value& undefined);

// obj.name: a dict method (get, items, keys, values) or the dict's item; a bound str or
// list method; a namespace attribute. Missing: an Undefined naming what was missing.
// Throws on an Undefined obj (as Jinja does).
Value get_attr(const Value& obj, const std::string& name);
// obj[key]: item first, then (for string keys) attribute. Out of range: Undefined.
Value get_item(const Value& obj, const Value& key);
// obj[start:stop:step] on a str, list or tuple; unset bounds are Undefined or None.
Value get_slice(const Value& obj, const Value& start, const Value& stop, const Value& step);
// The values a for loop visits: list items, dict keys, string characters; an Undefined
// visits nothing. Throws TypeError for values Python cannot iterate.
std::vector<Value> iterate(const Value& v);
// `item in container`.
bool contains(const Value& container, const Value& item);
// a <op> b for op in + - * / // % ** ~.
Value binary_op(const std::string& op, const Value& a, const Value& b);
// a <op> b for op in == != < <= > >= in notin.
bool compare_op(const std::string& op, const Value& a, const Value& b);
// -v / +v.
Value unary_op(char op, const Value& v);

// Argument access shared by methods, filters and globals: the i-th positional argument or
// the keyword argument `name`; null when absent.
const Value* find_arg(const Args& args, size_t index, const char* name);
// Throws TypeError when there are more positional arguments than `max_positional`.
void check_arg_count(const Args& args, size_t max_positional, const std::string& function);

}  // namespace jenny::tokenizer::jinja
