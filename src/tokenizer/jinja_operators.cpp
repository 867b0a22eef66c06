#include "tokenizer/jinja_operators.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "tokenizer/jinja_error.h"
#include "tokenizer/jinja_strings.h"

namespace jenny::tokenizer::jinja {
namespace {

// Methods whose call would mutate a container: Jinja's ImmutableSandboxedEnvironment
// refuses them.
bool is_mutating_method(const Value& obj, const std::string& name) {
    static const char* kList[] = {"append", "clear",  "extend",  "insert",
                                  "pop",    "remove", "reverse", "sort"};
    static const char* kDict[] = {"clear", "pop", "popitem", "setdefault", "update"};
    if (obj.is_list() && obj.kind() == Value::Kind::kList) {
        for (const char* m : kList)
            if (name == m) return true;
    }
    if (obj.is_dict()) {
        for (const char* m : kDict)
            if (name == m) return true;
    }
    return false;
}

// Python str methods this interpreter does not implement: calling one is an error that
// says so, never a silent empty string.
bool is_unimplemented_str_method(const std::string& name) {
    static const char* kNames[] = {
        "casefold", "center",  "encode",     "expandtabs",   "format",       "format_map",
        "index",    "isascii", "isdecimal",  "isidentifier", "isnumeric",    "isprintable",
        "istitle",  "ljust",   "maketrans",  "partition",    "removeprefix", "removesuffix",
        "rindex",   "rjust",   "rpartition", "swapcase",     "translate",    "zfill"};
    for (const char* m : kNames)
        if (name == m) return true;
    return false;
}

std::string str_arg(const Value* v, const std::string& what) {
    if (!v || !v->is_string())
        throw_type_error("TypeError: " + what + " must be str, not " +
                         (v ? type_name(*v) : std::string("nothing")));
    return v->as_string();
}

std::optional<std::string> opt_str_arg(const Value* v, const std::string& what) {
    if (!v || v->is_none()) return std::nullopt;
    return str_arg(v, what);
}

int64_t int_arg(const Value* v, int64_t fallback, const std::string& what) {
    if (!v || v->is_none()) return fallback;
    if (!v->is_int() && !v->is_bool())
        throw_type_error("TypeError: " + what + " must be int, not " + type_name(*v));
    return v->as_int();
}

Value string_list(const std::vector<std::string>& parts) {
    std::vector<Value> out;
    out.reserve(parts.size());
    for (const auto& p : parts) out.push_back(Value::string(p));
    return Value::list(std::move(out));
}

bool starts_or_ends(const std::string& s, const Value& affix, bool ends) {
    auto test = [&](const Value& a) {
        std::string x = str_arg(&a, ends ? "endswith arg" : "startswith arg");
        if (x.size() > s.size()) return false;
        return ends ? s.compare(s.size() - x.size(), x.size(), x) == 0
                    : s.compare(0, x.size(), x) == 0;
    };
    if (affix.is_list() && affix.kind() == Value::Kind::kTuple) {
        for (const auto& a : affix.items())
            if (test(a)) return true;
        return false;
    }
    return test(affix);
}

bool all_chars(const std::string& s, bool (*pred)(char32_t)) {
    std::u32string u = utf8_decode(s);
    if (u.empty()) return false;
    return std::all_of(u.begin(), u.end(), pred);
}

Value str_method(const std::string& s, const std::string& name, Args& a) {
    const std::string fn = "str." + name;
    if (name == "strip" || name == "lstrip" || name == "rstrip") {
        check_arg_count(a, 1, fn);
        auto chars = opt_str_arg(find_arg(a, 0, "chars"), "strip arg");
        return Value::string(py_strip(s, chars, name != "rstrip", name != "lstrip"));
    }
    if (name == "split" || name == "rsplit") {
        check_arg_count(a, 2, fn);
        auto sep = opt_str_arg(find_arg(a, 0, "sep"), "sep");
        int64_t maxsplit = int_arg(find_arg(a, 1, "maxsplit"), -1, "maxsplit");
        return string_list(name == "split" ? py_split(s, sep, maxsplit)
                                           : py_rsplit(s, sep, maxsplit));
    }
    if (name == "splitlines") {
        check_arg_count(a, 1, fn);
        const Value* keep = find_arg(a, 0, "keepends");
        return string_list(py_splitlines(s, keep && truthy(*keep)));
    }
    if (name == "startswith" || name == "endswith") {
        check_arg_count(a, 1, fn);
        const Value* affix = find_arg(a, 0, "prefix");
        if (!affix) throw_type_error("TypeError: " + fn + "() takes at least 1 argument (0 given)");
        return Value::boolean(starts_or_ends(s, *affix, name == "endswith"));
    }
    if (name == "upper") return Value::string(py_upper(s));
    if (name == "lower") return Value::string(py_lower(s));
    if (name == "title") return Value::string(py_title(s));
    if (name == "capitalize") return Value::string(py_capitalize(s));
    if (name == "replace") {
        check_arg_count(a, 3, fn);
        std::string old = str_arg(find_arg(a, 0, "old"), "replace arg 1");
        std::string rep = str_arg(find_arg(a, 1, "new"), "replace arg 2");
        int64_t count = int_arg(find_arg(a, 2, "count"), -1, "count");
        return Value::string(py_replace(s, old, rep, count));
    }
    if (name == "find" || name == "rfind") {
        check_arg_count(a, 1, fn);
        std::string sub = str_arg(find_arg(a, 0, "sub"), "find arg");
        return Value::integer(py_find(s, sub, name == "rfind"));
    }
    if (name == "count") {
        check_arg_count(a, 1, fn);
        return Value::integer(py_count(s, str_arg(find_arg(a, 0, "sub"), "count arg")));
    }
    if (name == "join") {
        check_arg_count(a, 1, fn);
        const Value* it = find_arg(a, 0, "iterable");
        if (!it) throw_type_error("TypeError: str.join() takes exactly one argument (0 given)");
        std::string out;
        bool first = true;
        for (const Value& v : iterate(*it)) {
            if (!first) out += s;
            first = false;
            out += str_arg(&v, "sequence item");
        }
        return Value::string(out);
    }
    if (name == "isdigit")
        return Value::boolean(all_chars(s, [](char32_t c) { return c >= '0' && c <= '9'; }));
    if (name == "isalpha")
        return Value::boolean(all_chars(s, [](char32_t c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                   (c >= 0x80 && py_upper(utf8_encode(std::u32string(1, c))) !=
                                     py_lower(utf8_encode(std::u32string(1, c))));
        }));
    if (name == "isalnum")
        return Value::boolean(all_chars(s, [](char32_t c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        }));
    if (name == "isspace") return Value::boolean(all_chars(s, py_isspace));
    if (name == "isupper") return Value::boolean(py_upper(s) == s && py_lower(s) != s);
    if (name == "islower") return Value::boolean(py_lower(s) == s && py_upper(s) != s);
    throw_unsupported("str." + name + "()");
}

bool is_str_method(const std::string& name) {
    static const char* kNames[] = {"strip",      "lstrip",     "rstrip",   "split",   "rsplit",
                                   "splitlines", "startswith", "endswith", "upper",   "lower",
                                   "title",      "capitalize", "replace",  "find",    "rfind",
                                   "count",      "join",       "isdigit",  "isalpha", "isalnum",
                                   "isspace",    "isupper",    "islower"};
    for (const char* m : kNames)
        if (name == m) return true;
    return is_unimplemented_str_method(name);
}

Value bind_method(const Value& obj, const std::string& name) {
    if (obj.is_string() && is_str_method(name)) {
        return Value::function(
            "str." + name, [s = obj.as_string(), name](Args& a) { return str_method(s, name, a); });
    }
    if (obj.is_dict() && (name == "get" || name == "items" || name == "keys" || name == "values")) {
        return Value::function("dict." + name, [obj, name](Args& a) -> Value {
            const Dict& d = obj.as_dict();
            if (name == "get") {
                check_arg_count(a, 2, "dict.get");
                const Value* key = find_arg(a, 0, "key");
                if (!key) throw_type_error("TypeError: get expected at least 1 argument, got 0");
                const Value* def = find_arg(a, 1, "default");
                const Value* hit = key->is_string() ? d.find(key->as_string()) : nullptr;
                return hit ? *hit : (def ? *def : Value::none());
            }
            check_arg_count(a, 0, "dict." + name);
            std::vector<Value> out;
            for (const auto& [k, v] : d.items) {
                if (name == "items") {
                    out.push_back(Value::tuple({Value::string(k), v}));
                } else {
                    out.push_back(name == "keys" ? Value::string(k) : v);
                }
            }
            return Value::list(std::move(out));
        });
    }
    if (obj.is_list() && (name == "index" || name == "count")) {
        return Value::function("list." + name, [obj, name](Args& a) -> Value {
            check_arg_count(a, 1, "list." + name);
            const Value* x = find_arg(a, 0, "value");
            if (!x) throw_type_error("TypeError: " + name + "() takes exactly one argument");
            int64_t n = 0;
            const auto& items = obj.items();
            for (size_t i = 0; i < items.size(); ++i) {
                if (!equals(items[i], *x)) continue;
                if (name == "index") return Value::integer(static_cast<int64_t>(i));
                ++n;
            }
            if (name == "index") throw_type_error("ValueError: " + repr(*x) + " is not in list");
            return Value::integer(n);
        });
    }
    return Value::undefined();
}

std::string missing_attribute(const Value& obj, const std::string& name) {
    return "'" + type_name(obj) + " object' has no attribute '" + name + "'";
}

int64_t checked(bool overflow, int64_t v) {
    if (overflow) throw_unsupported("integer arithmetic beyond 64 bits");
    return v;
}

int64_t add_checked(int64_t a, int64_t b) {
    int64_t r = 0;
    bool overflow = __builtin_add_overflow(a, b, &r);
    return checked(overflow, r);
}

int64_t sub_checked(int64_t a, int64_t b) {
    int64_t r = 0;
    bool overflow = __builtin_sub_overflow(a, b, &r);
    return checked(overflow, r);
}

int64_t mul_checked(int64_t a, int64_t b) {
    int64_t r = 0;
    bool overflow = __builtin_mul_overflow(a, b, &r);
    return checked(overflow, r);
}

Value repeat(const Value& seq, int64_t n) {
    if (seq.is_string()) {
        std::string out;
        for (int64_t i = 0; i < n; ++i) out += seq.as_string();
        return Value::string(out);
    }
    std::vector<Value> out;
    for (int64_t i = 0; i < n; ++i) out.insert(out.end(), seq.items().begin(), seq.items().end());
    return seq.kind() == Value::Kind::kTuple ? Value::tuple(out) : Value::list(out);
}

[[noreturn]] void unsupported_operands(const std::string& op, const Value& a, const Value& b) {
    throw_type_error("TypeError: unsupported operand type(s) for " + op + ": '" + type_name(a) +
                     "' and '" + type_name(b) + "'");
}

}  // namespace

void fail_undefined(const Value& undefined) {
    std::string hint = undefined.as_string();
    if (hint.empty()) hint = "value is undefined";
    if (hint.rfind("access to attribute", 0) == 0) throw_type_error("SecurityError: " + hint);
    throw_type_error("UndefinedError: " + hint);
}

const Value* find_arg(const Args& args, size_t index, const char* name) {
    if (index < args.positional.size()) return &args.positional[index];
    for (const auto& [k, v] : args.keyword)
        if (k == name) return &v;
    return nullptr;
}

void check_arg_count(const Args& args, size_t max_positional, const std::string& function) {
    if (args.positional.size() > max_positional) {
        throw_type_error("TypeError: " + function + "() takes at most " +
                         std::to_string(max_positional) + " arguments (" +
                         std::to_string(args.positional.size()) + " given)");
    }
}

Value get_attr(const Value& obj, const std::string& name) {
    if (obj.is_undefined()) fail_undefined(obj);
    if (is_mutating_method(obj, name)) {
        return Value::undefined("access to attribute '" + name + "' of '" + type_name(obj) +
                                "' object is unsafe.");
    }
    if (obj.is_namespace()) {
        const Value* v = obj.as_dict().find(name);
        return v ? *v : Value::undefined(missing_attribute(obj, name));
    }
    Value method = bind_method(obj, name);
    if (!method.is_undefined()) return method;
    if (obj.is_dict()) {
        const Value* v = obj.as_dict().find(name);
        if (v) return *v;
    }
    return Value::undefined(missing_attribute(obj, name));
}

Value get_item(const Value& obj, const Value& key) {
    if (obj.is_undefined()) fail_undefined(obj);
    if (obj.is_dict() || obj.is_namespace()) {
        if (key.is_string()) {
            const Value* v = obj.as_dict().find(key.as_string());
            if (v) return *v;
            return get_attr(obj, key.as_string());
        }
        return Value::undefined("'" + type_name(obj) + " object' has no element " + repr(key));
    }
    if ((obj.is_list() || obj.is_string()) && (key.is_int() || key.is_bool())) {
        int64_t i = key.as_int();
        if (obj.is_string()) {
            std::u32string u = utf8_decode(obj.as_string());
            int64_t n = static_cast<int64_t>(u.size());
            if (i < 0) i += n;
            if (i < 0 || i >= n)
                return Value::undefined("'str object' has no element " +
                                        std::to_string(key.as_int()));
            return Value::string(utf8_encode(u.substr(static_cast<size_t>(i), 1)));
        }
        int64_t n = static_cast<int64_t>(obj.items().size());
        if (i < 0) i += n;
        if (i < 0 || i >= n) {
            return Value::undefined("'" + type_name(obj) + " object' has no element " +
                                    std::to_string(key.as_int()));
        }
        return obj.items()[static_cast<size_t>(i)];
    }
    if (key.is_string()) return get_attr(obj, key.as_string());
    return Value::undefined("'" + type_name(obj) + " object' has no element " + repr(key));
}

Value get_slice(const Value& obj, const Value& start, const Value& stop, const Value& step) {
    if (obj.is_undefined()) fail_undefined(obj);
    auto bound = [](const Value& v, const char* what) -> std::optional<int64_t> {
        if (v.is_undefined() || v.is_none()) return std::nullopt;
        if (!v.is_int() && !v.is_bool())
            throw_type_error(std::string("TypeError: slice ") + what +
                             " must be an integer or None");
        return v.as_int();
    };
    auto b = bound(start, "indices"), e = bound(stop, "indices"), st = bound(step, "step");
    int64_t s = st.value_or(1);
    if (s == 0) throw_type_error("ValueError: slice step cannot be zero");
    std::u32string u;
    int64_t n;
    if (obj.is_string()) {
        u = utf8_decode(obj.as_string());
        n = static_cast<int64_t>(u.size());
    } else if (obj.is_list()) {
        n = static_cast<int64_t>(obj.items().size());
    } else {
        return Value::undefined("'" + type_name(obj) + " object' is not subscriptable");
    }
    // CPython's PySlice_AdjustIndices.
    auto adjust = [&](std::optional<int64_t> v, int64_t dflt) {
        if (!v) return dflt;
        int64_t x = *v;
        if (x < 0) {
            x += n;
            if (x < 0) x = s < 0 ? -1 : 0;
        } else if (x >= n) {
            x = s < 0 ? n - 1 : n;
        }
        return x;
    };
    int64_t lo = adjust(b, s < 0 ? n - 1 : 0);
    int64_t hi = adjust(e, s < 0 ? -1 : n);
    std::vector<int64_t> idx;
    if (s > 0) {
        for (int64_t i = lo; i < hi; i += s) idx.push_back(i);
    } else {
        for (int64_t i = lo; i > hi; i += s) idx.push_back(i);
    }
    if (obj.is_string()) {
        std::u32string out;
        for (int64_t i : idx) out.push_back(u[static_cast<size_t>(i)]);
        return Value::string(utf8_encode(out));
    }
    std::vector<Value> out;
    for (int64_t i : idx) out.push_back(obj.items()[static_cast<size_t>(i)]);
    return obj.kind() == Value::Kind::kTuple ? Value::tuple(out) : Value::list(out);
}

std::vector<Value> iterate(const Value& v) {
    switch (v.kind()) {
        case Value::Kind::kUndefined:
            return {};
        case Value::Kind::kList:
        case Value::Kind::kTuple:
            return v.items();
        case Value::Kind::kDict: {
            std::vector<Value> keys;
            for (const auto& [k, _] : v.as_dict().items) keys.push_back(Value::string(k));
            return keys;
        }
        case Value::Kind::kString: {
            std::vector<Value> chars;
            for (char32_t c : utf8_decode(v.as_string()))
                chars.push_back(Value::string(utf8_encode(std::u32string(1, c))));
            return chars;
        }
        default:
            throw_type_error("TypeError: '" + type_name(v) + "' object is not iterable");
    }
}

bool contains(const Value& container, const Value& item) {
    if (container.is_string()) {
        if (!item.is_string()) {
            if (item.is_undefined()) fail_undefined(item);
            throw_type_error("TypeError: 'in <string>' requires string as left operand, not " +
                             type_name(item));
        }
        return container.as_string().find(item.as_string()) != std::string::npos;
    }
    if (container.is_dict()) {
        return item.is_string() && container.as_dict().find(item.as_string()) != nullptr;
    }
    if (container.is_list()) {
        for (const auto& v : container.items())
            if (equals(v, item)) return true;
        return false;
    }
    if (container.is_undefined()) return false;
    throw_type_error("TypeError: argument of type '" + type_name(container) + "' is not iterable");
}

Value binary_op(const std::string& op, const Value& a, const Value& b) {
    if (op == "~") return Value::string(to_str(a) + to_str(b));
    if (a.is_undefined()) fail_undefined(a);
    if (b.is_undefined()) fail_undefined(b);
    bool numbers = a.is_number() && b.is_number();
    bool floats = numbers && (a.is_float() || b.is_float());
    if (op == "+") {
        if (numbers) {
            if (floats) return Value::number(a.as_double() + b.as_double());
            return Value::integer(add_checked(a.as_int(), b.as_int()));
        }
        if (a.is_string() && b.is_string()) return Value::string(a.as_string() + b.as_string());
        if (a.is_list() && a.kind() == b.kind()) {
            std::vector<Value> out = a.items();
            out.insert(out.end(), b.items().begin(), b.items().end());
            return a.kind() == Value::Kind::kTuple ? Value::tuple(out) : Value::list(out);
        }
        if (a.is_string())
            throw_type_error("TypeError: can only concatenate str (not \"" + type_name(b) +
                             "\") to str");
        if (a.is_list())
            throw_type_error("TypeError: can only concatenate " + type_name(a) + " (not \"" +
                             type_name(b) + "\") to " + type_name(a));
        unsupported_operands("+", a, b);
    }
    if (op == "*") {
        if (numbers) {
            if (floats) return Value::number(a.as_double() * b.as_double());
            return Value::integer(mul_checked(a.as_int(), b.as_int()));
        }
        if ((a.is_string() || a.is_list()) && (b.is_int() || b.is_bool()))
            return repeat(a, b.as_int());
        if ((b.is_string() || b.is_list()) && (a.is_int() || a.is_bool()))
            return repeat(b, a.as_int());
        unsupported_operands("*", a, b);
    }
    if (op == "%" && a.is_string()) throw_unsupported("printf-style string formatting ('%')");
    if (!numbers) unsupported_operands(op, a, b);
    if (op == "-") {
        if (floats) return Value::number(a.as_double() - b.as_double());
        return Value::integer(sub_checked(a.as_int(), b.as_int()));
    }
    if (op == "/") {
        if (b.as_double() == 0) throw_type_error("ZeroDivisionError: division by zero");
        return Value::number(a.as_double() / b.as_double());
    }
    if (op == "//" || op == "%") {
        if (b.as_double() == 0) {
            throw_type_error(op == "//" ? "ZeroDivisionError: integer division or modulo by zero"
                                        : "ZeroDivisionError: integer modulo by zero");
        }
        if (floats) {
            // CPython's float_divmod.
            double x = a.as_double(), y = b.as_double();
            double m = std::fmod(x, y);
            double div = (x - m) / y;
            if (m != 0 && ((y < 0) != (m < 0))) {
                m += y;
                div -= 1.0;
            }
            double floordiv = std::floor(div);
            if (div - floordiv > 0.5) floordiv += 1.0;
            return op == "%" ? Value::number(m) : Value::number(floordiv);
        }
        int64_t x = a.as_int(), y = b.as_int();
        int64_t q = x / y, m = x % y;
        if (m != 0 && ((m < 0) != (y < 0))) {
            --q;
            m += y;
        }
        return Value::integer(op == "//" ? q : m);
    }
    if (op == "**") {
        if (!floats && b.as_int() >= 0) {
            int64_t r = 1, base = a.as_int();
            for (int64_t i = 0; i < b.as_int(); ++i) r = mul_checked(r, base);
            return Value::integer(r);
        }
        return Value::number(std::pow(a.as_double(), b.as_double()));
    }
    throw_unsupported("operator " + op);
}

bool compare_op(const std::string& op, const Value& a, const Value& b) {
    if (op == "==") return equals(a, b);
    if (op == "!=") return !equals(a, b);
    if (op == "in") return contains(b, a);
    if (op == "notin") return !contains(b, a);
    if (a.is_undefined()) fail_undefined(a);
    if (b.is_undefined()) fail_undefined(b);
    if (op == "<") return less(a, b);
    if (op == ">") return less(b, a);
    if (op == "<=") return less(a, b) || equals(a, b);
    if (op == ">=") return less(b, a) || equals(a, b);
    throw_unsupported("comparison " + op);
}

Value unary_op(char op, const Value& v) {
    if (v.is_undefined()) fail_undefined(v);
    if (!v.is_number())
        throw_type_error(std::string("TypeError: bad operand type for unary ") + op + ": '" +
                         type_name(v) + "'");
    if (op == '+') return v.is_float() ? v : Value::integer(v.as_int());
    if (v.is_float()) return Value::number(-v.as_double());
    return Value::integer(checked(v.as_int() == INT64_MIN, -v.as_int()));
}

}  // namespace jenny::tokenizer::jinja
