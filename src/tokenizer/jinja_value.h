// Values of the chat-template Jinja interpreter, with Python's semantics: what Jinja running
// on CPython (as Hugging Face transformers uses it) would print, compare and serialise.
//
// A Value is cheap to copy: strings are copied, containers are shared and immutable (the
// ImmutableSandboxedEnvironment that transformers uses forbids mutating them), except a
// namespace(), whose attributes `{% set ns.x = ... %}` changes in place for every holder.
//
// Errors are thrown as JinjaError (jinja_error.h); the interpreter's entry points catch them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace jenny::tokenizer::jinja {

class Value;

// Arguments of a call: positional values, then keyword values in call order.
struct Args {
    std::vector<Value> positional;
    std::vector<std::pair<std::string, Value>> keyword;
};

using NativeFunction = std::function<Value(Args&)>;

// An insertion-ordered dict (Python dicts keep insertion order; tojson must too).
struct Dict {
    std::vector<std::pair<std::string, Value>> items;

    const Value* find(std::string_view key) const;
    // Replaces the value of an existing key in place, else appends.
    void set(const std::string& key, Value value);
};

class Value {
public:
    enum class Kind {
        kUndefined,
        kNone,
        kBool,
        kInt,
        kFloat,
        kString,
        kList,
        kTuple,
        kDict,
        kNamespace,
        kFunction,
    };

    Value() = default;  // undefined
    static Value undefined(std::string hint = "");
    static Value none();
    static Value boolean(bool b);
    static Value integer(int64_t i);
    static Value number(double f);
    static Value string(std::string s);
    static Value list(std::vector<Value> items);
    static Value tuple(std::vector<Value> items);
    static Value dict(std::shared_ptr<Dict> d);
    static Value dict(Dict d) { return dict(std::make_shared<Dict>(std::move(d))); }
    static Value ns(std::shared_ptr<Dict> attributes);
    static Value function(std::string name, NativeFunction fn);

    Kind kind() const { return kind_; }
    bool is_undefined() const { return kind_ == Kind::kUndefined; }
    bool is_none() const { return kind_ == Kind::kNone; }
    bool is_bool() const { return kind_ == Kind::kBool; }
    bool is_int() const { return kind_ == Kind::kInt; }
    bool is_float() const { return kind_ == Kind::kFloat; }
    // int, float or bool (bool is an int in Python)
    bool is_number() const { return is_int() || is_float() || is_bool(); }
    bool is_string() const { return kind_ == Kind::kString; }
    bool is_list() const { return kind_ == Kind::kList || kind_ == Kind::kTuple; }
    bool is_dict() const { return kind_ == Kind::kDict; }
    bool is_namespace() const { return kind_ == Kind::kNamespace; }
    bool is_function() const { return kind_ == Kind::kFunction; }

    bool as_bool() const { return b_; }
    int64_t as_int() const { return is_bool() ? (b_ ? 1 : 0) : i_; }  // int or bool
    double as_double() const;                                         // any number
    const std::string& as_string() const { return s_; }               // string; undefined hint
    const std::vector<Value>& items() const;                          // list or tuple
    const Dict& as_dict() const { return *dict_; }                    // dict or namespace
    Dict& mutable_namespace() const { return *dict_; }
    const std::string& function_name() const { return s_; }
    Value call(Args& args) const;  // function only

private:
    Kind kind_ = Kind::kUndefined;
    bool b_ = false;
    int64_t i_ = 0;
    double f_ = 0;
    std::string s_;
    std::shared_ptr<const std::vector<Value>> list_;
    std::shared_ptr<Dict> dict_;
    std::shared_ptr<const NativeFunction> fn_;
};

// Python's bool(v). Undefined is false.
bool truthy(const Value& v);
// Python's str(v), as Jinja prints it: None -> "None", True -> "True", 1.0 -> "1.0",
// ['a'] -> "['a']". Undefined prints as "".
std::string to_str(const Value& v);
// Python's repr(v).
std::string repr(const Value& v);
// Python's type name: "str", "dict", "NoneType", ...
std::string type_name(const Value& v);
// Python's ==. Undefined equals only undefined; 1 == 1.0 == True.
bool equals(const Value& a, const Value& b);
// Python's <, for numbers, strings and sequences; throws JinjaError on other types.
bool less(const Value& a, const Value& b);
// Python's repr of a float: shortest round-trip digits, "1.0", "1e+16", "inf", "nan".
std::string float_repr(double f);

// JSON to Value: objects become insertion-ordered dicts, integers ints, other numbers floats.
Value from_json(const nlohmann::ordered_json& j);

// Python's json.dumps(v, ensure_ascii=..., indent=..., separators=..., sort_keys=...).
// `indent` < 0 means None; `indent_str` when the template passed a string indent.
struct JsonDumpOptions {
    bool ensure_ascii = false;
    int indent = -1;
    std::string indent_str;  // used when non-empty (indent given as a string)
    bool has_separators = false;
    std::string item_separator, key_separator;
    bool sort_keys = false;
};
// Throws JinjaError for values JSON cannot hold (undefined, functions, namespaces).
std::string json_dumps(const Value& v, const JsonDumpOptions& options);

}  // namespace jenny::tokenizer::jinja
