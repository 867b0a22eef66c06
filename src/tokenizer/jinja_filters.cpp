#include "tokenizer/jinja_filters.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ctime>

#include "tokenizer/jinja_error.h"
#include "tokenizer/jinja_operators.h"
#include "tokenizer/jinja_strings.h"

namespace jenny::tokenizer::jinja {
namespace {

constexpr std::string_view kFilters[] = {
    "abs",    "attr",   "capitalize", "count",      "d",           "default", "dictsort",
    "e",      "escape", "first",      "float",      "forceescape", "indent",  "int",
    "items",  "join",   "last",       "length",     "list",        "lower",   "map",
    "max",    "min",    "reject",     "rejectattr", "replace",     "reverse", "round",
    "safe",   "select", "selectattr", "sort",       "string",      "sum",     "title",
    "tojson", "trim",   "unique",     "upper",      "wordcount"};

constexpr std::string_view kTests[] = {
    "boolean", "callable", "defined",  "divisibleby", "eq",       "equalto", "escaped",
    "even",    "false",    "filter",   "float",       "ge",       "gt",      "greaterthan",
    "in",      "integer",  "iterable", "le",          "lessthan", "lower",   "lt",
    "mapping", "ne",       "none",     "number",      "odd",      "sameas",  "sequence",
    "string",  "test",     "true",     "undefined",   "upper"};

bool arg_true(const Value* v) { return v && truthy(*v); }

// Jinja's make_attrgetter: "a.b.0" looks up a, then b, then item 0, item-first each time.
Value get_path(const Value& item, const std::string& path) {
    Value v = item;
    size_t start = 0;
    while (true) {
        size_t dot = path.find('.', start);
        std::string part = path.substr(start, dot == std::string::npos ? dot : dot - start);
        bool digits = !part.empty() && std::all_of(part.begin(), part.end(),
                                                   [](char c) { return c >= '0' && c <= '9'; });
        v = get_item(v, digits ? Value::integer(std::atoll(part.c_str())) : Value::string(part));
        if (dot == std::string::npos) return v;
        start = dot + 1;
    }
}

// The sort key of the sort/dictsort/unique/min/max filters: strings lower-cased unless
// case_sensitive.
Value sort_key(const Value& v, bool case_sensitive) {
    if (!case_sensitive && v.is_string()) return Value::string(py_lower(v.as_string()));
    return v;
}

Args rest_args(const Args& args, size_t from) {
    Args rest;
    for (size_t i = from; i < args.positional.size(); ++i)
        rest.positional.push_back(args.positional[i]);
    rest.keyword = args.keyword;
    return rest;
}

std::string html_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&#34;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out.push_back(c);
        }
    }
    return out;
}

Value tojson(const Value& input, Args& args) {
    // transformers: json.dumps(x, ensure_ascii=False, indent=None, separators=None,
    // sort_keys=False).
    check_arg_count(args, 4, "tojson");
    JsonDumpOptions o;
    o.ensure_ascii = arg_true(find_arg(args, 0, "ensure_ascii"));
    if (const Value* indent = find_arg(args, 1, "indent"); indent && !indent->is_none()) {
        if (indent->is_string()) {
            o.indent_str = indent->as_string();
            o.indent = 0;
        } else if (indent->is_int() || indent->is_bool()) {
            o.indent = static_cast<int>(std::max<int64_t>(0, indent->as_int()));
        } else {
            throw_type_error("TypeError: tojson indent must be an int or a str");
        }
    }
    if (const Value* sep = find_arg(args, 2, "separators"); sep && !sep->is_none()) {
        if (!sep->is_list() || sep->items().size() != 2 || !sep->items()[0].is_string() ||
            !sep->items()[1].is_string())
            throw_type_error("TypeError: tojson separators must be a pair of strings");
        o.has_separators = true;
        o.item_separator = sep->items()[0].as_string();
        o.key_separator = sep->items()[1].as_string();
    }
    o.sort_keys = arg_true(find_arg(args, 3, "sort_keys"));
    return Value::string(json_dumps(input, o));
}

Value do_int(const Value& v, const Value* def, const Value* base_arg) {
    Value fallback = def ? *def : Value::integer(0);
    int base = base_arg ? static_cast<int>(base_arg->as_int()) : 10;
    if (v.is_string()) {
        std::string s = py_strip(v.as_string(), std::nullopt, true, true);
        std::string digits;
        for (char c : s)
            if (c != '_') digits.push_back(c);
        if (!digits.empty()) {
            char* end = nullptr;
            errno = 0;
            long long x = std::strtoll(digits.c_str(), &end, base);
            if (*end == '\0' && errno == 0) return Value::integer(x);
            double f = std::strtod(digits.c_str(), &end);
            if (*end == '\0' && std::isfinite(f)) return Value::integer(static_cast<int64_t>(f));
        }
        return fallback;
    }
    if (v.is_float()) {
        if (!std::isfinite(v.as_double())) return fallback;
        return Value::integer(static_cast<int64_t>(v.as_double()));
    }
    if (v.is_int() || v.is_bool()) return Value::integer(v.as_int());
    return fallback;
}

Value do_float(const Value& v, const Value* def) {
    Value fallback = def ? *def : Value::number(0.0);
    if (v.is_number()) return Value::number(v.as_double());
    if (v.is_string()) {
        std::string s = py_strip(v.as_string(), std::nullopt, true, true);
        char* end = nullptr;
        double f = std::strtod(s.c_str(), &end);
        if (!s.empty() && *end == '\0') return Value::number(f);
    }
    return fallback;
}

Value do_indent(const Value& input, Args& args) {
    std::string s = to_str(input);
    const Value* width = find_arg(args, 0, "width");
    std::string indention =
        width && width->is_string()
            ? width->as_string()
            : std::string(width ? static_cast<size_t>(width->as_int()) : 4, ' ');
    bool first = arg_true(find_arg(args, 1, "first"));
    bool blank = arg_true(find_arg(args, 2, "blank"));
    s += "\n";
    std::vector<std::string> lines = py_splitlines(s, false);
    std::string rv;
    if (blank) {
        for (size_t i = 0; i < lines.size(); ++i) rv += (i ? "\n" + indention : "") + lines[i];
    } else {
        rv = lines.empty() ? "" : lines[0];
        for (size_t i = 1; i < lines.size(); ++i)
            rv += "\n" + (lines[i].empty() ? lines[i] : indention + lines[i]);
    }
    if (first) rv = indention + rv;
    return Value::string(rv);
}

Value select_or_reject(const Value& input, Args& args, bool attr_mode, bool select) {
    size_t next = 0;
    std::string attribute;
    if (attr_mode) {
        const Value* a = find_arg(args, 0, "attribute");
        if (!a || !a->is_string())
            throw_type_error("TypeError: selectattr needs an attribute name");
        attribute = a->as_string();
        next = 1;
    }
    std::string test;
    if (next < args.positional.size()) {
        if (!args.positional[next].is_string())
            throw_type_error("TypeError: test name must be str");
        test = args.positional[next].as_string();
        if (!is_known_test(test)) throw_unsupported("test " + test);
        ++next;
    }
    Args test_args = rest_args(args, next);
    test_args.keyword.clear();
    std::vector<Value> out;
    for (const Value& item : iterate(input)) {
        Value v = attr_mode ? get_path(item, attribute) : item;
        bool ok = test.empty() ? truthy(v) : call_test(test, v, test_args);
        if (ok == select) out.push_back(item);
    }
    return Value::list(std::move(out));
}

Value do_map(const Value& input, Args& args) {
    std::vector<Value> out;
    if (!args.positional.empty()) {
        if (!args.positional[0].is_string()) throw_type_error("TypeError: map needs a filter name");
        std::string filter = args.positional[0].as_string();
        if (!is_known_filter(filter)) throw_unsupported("filter " + filter);
        Args fargs = rest_args(args, 1);
        for (const Value& item : iterate(input)) out.push_back(call_filter(filter, item, fargs));
        return Value::list(std::move(out));
    }
    const Value* attribute = find_arg(args, 99, "attribute");
    if (!attribute || !attribute->is_string())
        throw_type_error("TypeError: map needs an attribute");
    const Value* def = find_arg(args, 99, "default");
    for (const Value& item : iterate(input)) {
        Value v = get_path(item, attribute->as_string());
        out.push_back(v.is_undefined() && def ? *def : v);
    }
    return Value::list(std::move(out));
}

std::vector<Value> sorted(std::vector<Value> items, bool case_sensitive, const Value* attribute,
                          bool reverse) {
    auto key = [&](const Value& v) {
        return sort_key(attribute ? get_path(v, to_str(*attribute)) : v, case_sensitive);
    };
    std::stable_sort(items.begin(), items.end(), [&](const Value& a, const Value& b) {
        return reverse ? less(key(b), key(a)) : less(key(a), key(b));
    });
    return items;
}

Value min_max(const Value& input, Args& args, bool want_max) {
    bool cs = arg_true(find_arg(args, 0, "case_sensitive"));
    const Value* attribute = find_arg(args, 1, "attribute");
    std::vector<Value> items = iterate(input);
    if (items.empty()) return Value::undefined("No aggregated item, sequence was empty.");
    auto key = [&](const Value& v) {
        return sort_key(attribute ? get_path(v, to_str(*attribute)) : v, cs);
    };
    Value best = items[0];
    for (size_t i = 1; i < items.size(); ++i) {
        if (want_max ? less(key(best), key(items[i])) : less(key(items[i]), key(best)))
            best = items[i];
    }
    return best;
}

}  // namespace

bool is_known_filter(std::string_view name) {
    return std::find(std::begin(kFilters), std::end(kFilters), name) != std::end(kFilters);
}

bool is_known_test(std::string_view name) {
    return std::find(std::begin(kTests), std::end(kTests), name) != std::end(kTests);
}

Value call_filter(const std::string& name, const Value& input, Args& args) {
    if (name == "tojson") return tojson(input, args);
    if (name == "trim") {
        const Value* chars = find_arg(args, 0, "chars");
        std::optional<std::string> set;
        if (chars && !chars->is_none()) set = to_str(*chars);
        return Value::string(py_strip(to_str(input), set, true, true));
    }
    if (name == "length" || name == "count") {
        if (input.is_string())
            return Value::integer(static_cast<int64_t>(utf8_length(input.as_string())));
        if (input.is_list()) return Value::integer(static_cast<int64_t>(input.items().size()));
        if (input.is_dict())
            return Value::integer(static_cast<int64_t>(input.as_dict().items.size()));
        if (input.is_undefined()) return Value::integer(0);
        throw_type_error("TypeError: object of type '" + type_name(input) + "' has no len()");
    }
    if (name == "upper") return Value::string(py_upper(to_str(input)));
    if (name == "lower") return Value::string(py_lower(to_str(input)));
    if (name == "title") return Value::string(py_title(to_str(input)));
    if (name == "capitalize") return Value::string(py_capitalize(to_str(input)));
    if (name == "string" || name == "safe") return Value::string(to_str(input));
    if (name == "escape" || name == "e" || name == "forceescape")
        return Value::string(html_escape(to_str(input)));
    if (name == "default" || name == "d") {
        const Value* def = find_arg(args, 0, "default_value");
        bool boolean = arg_true(find_arg(args, 1, "boolean"));
        if (input.is_undefined() || (boolean && !truthy(input)))
            return def ? *def : Value::string("");
        return input;
    }
    if (name == "join") {
        const Value* sep = find_arg(args, 0, "d");
        const Value* attribute = find_arg(args, 1, "attribute");
        std::string out;
        bool first = true;
        for (const Value& item : iterate(input)) {
            if (!first) out += sep ? to_str(*sep) : "";
            first = false;
            out += to_str(attribute ? get_path(item, to_str(*attribute)) : item);
        }
        return Value::string(out);
    }
    if (name == "first" || name == "last") {
        std::vector<Value> items = iterate(input);
        if (items.empty()) return Value::undefined("No " + name + " item, sequence was empty.");
        return name == "first" ? items.front() : items.back();
    }
    if (name == "items") {
        if (input.is_undefined()) return Value::list({});
        if (!input.is_dict())
            throw_type_error("TypeError: Can only get item pairs from a mapping.");
        std::vector<Value> out;
        for (const auto& [k, v] : input.as_dict().items)
            out.push_back(Value::tuple({Value::string(k), v}));
        return Value::list(std::move(out));
    }
    if (name == "list") return Value::list(iterate(input));
    if (name == "int")
        return do_int(input, find_arg(args, 0, "default"), find_arg(args, 1, "base"));
    if (name == "float") return do_float(input, find_arg(args, 0, "default"));
    if (name == "abs") {
        if (input.is_float()) return Value::number(std::fabs(input.as_double()));
        if (input.is_number()) return Value::integer(std::llabs(input.as_int()));
        throw_type_error("TypeError: bad operand type for abs(): '" + type_name(input) + "'");
    }
    if (name == "round") {
        const Value* precision = find_arg(args, 0, "precision");
        const Value* method = find_arg(args, 1, "method");
        std::string m = method ? to_str(*method) : "common";
        double scale = std::pow(10.0, precision ? static_cast<double>(precision->as_int()) : 0.0);
        double x = input.as_double() * scale;
        if (m == "common") {
            x = std::nearbyint(x);  // Python's round(): half to even
        } else if (m == "floor") {
            x = std::floor(x);
        } else if (m == "ceil") {
            x = std::ceil(x);
        } else {
            throw_type_error("FilterArgumentError: method must be common, ceil or floor");
        }
        return Value::number(x / scale);
    }
    if (name == "replace") {
        check_arg_count(args, 3, "replace");
        const Value* old = find_arg(args, 0, "old");
        const Value* rep = find_arg(args, 1, "new");
        const Value* count = find_arg(args, 2, "count");
        if (!old || !rep) throw_type_error("TypeError: replace needs old and new");
        return Value::string(py_replace(to_str(input), to_str(*old), to_str(*rep),
                                        count && !count->is_none() ? count->as_int() : -1));
    }
    if (name == "reverse") {
        if (input.is_string()) {
            std::u32string u = utf8_decode(input.as_string());
            std::reverse(u.begin(), u.end());
            return Value::string(utf8_encode(u));
        }
        std::vector<Value> items = iterate(input);
        std::reverse(items.begin(), items.end());
        return Value::list(std::move(items));
    }
    if (name == "sort") {
        return Value::list(sorted(iterate(input), arg_true(find_arg(args, 1, "case_sensitive")),
                                  find_arg(args, 2, "attribute"),
                                  arg_true(find_arg(args, 0, "reverse"))));
    }
    if (name == "dictsort") {
        if (!input.is_dict()) throw_type_error("TypeError: dictsort needs a mapping");
        bool cs = arg_true(find_arg(args, 0, "case_sensitive"));
        const Value* by = find_arg(args, 1, "by");
        bool by_value = by && to_str(*by) == "value";
        std::vector<Value> pairs;
        for (const auto& [k, v] : input.as_dict().items)
            pairs.push_back(Value::tuple({Value::string(k), v}));
        Value index = Value::integer(by_value ? 1 : 0);
        std::stable_sort(pairs.begin(), pairs.end(), [&](const Value& a, const Value& b) {
            return less(sort_key(a.items()[by_value], cs), sort_key(b.items()[by_value], cs));
        });
        if (arg_true(find_arg(args, 2, "reverse"))) std::reverse(pairs.begin(), pairs.end());
        return Value::list(std::move(pairs));
    }
    if (name == "unique") {
        bool cs = arg_true(find_arg(args, 0, "case_sensitive"));
        const Value* attribute = find_arg(args, 1, "attribute");
        std::vector<Value> out, seen;
        for (const Value& item : iterate(input)) {
            Value key = sort_key(attribute ? get_path(item, to_str(*attribute)) : item, cs);
            if (std::any_of(seen.begin(), seen.end(),
                            [&](const Value& s) { return equals(s, key); }))
                continue;
            seen.push_back(key);
            out.push_back(item);
        }
        return Value::list(std::move(out));
    }
    if (name == "min" || name == "max") return min_max(input, args, name == "max");
    if (name == "sum") {
        const Value* attribute = find_arg(args, 0, "attribute");
        const Value* start = find_arg(args, 1, "start");
        Value total = start ? *start : Value::integer(0);
        for (const Value& item : iterate(input))
            total = binary_op("+", total, attribute ? get_path(item, to_str(*attribute)) : item);
        return total;
    }
    if (name == "map") return do_map(input, args);
    if (name == "select" || name == "reject")
        return select_or_reject(input, args, false, name == "select");
    if (name == "selectattr" || name == "rejectattr")
        return select_or_reject(input, args, true, name == "selectattr");
    if (name == "attr") {
        const Value* attribute = find_arg(args, 0, "name");
        if (!attribute) throw_type_error("TypeError: attr needs a name");
        return get_attr(input, to_str(*attribute));
    }
    if (name == "indent") return do_indent(input, args);
    if (name == "wordcount") {
        int64_t n = 0;
        bool in_word = false;
        for (char32_t c : utf8_decode(to_str(input))) {
            bool w = c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                     (c >= 'A' && c <= 'Z') || (c >= 0x80 && !py_isspace(c));
            if (w && !in_word) ++n;
            in_word = w;
        }
        return Value::integer(n);
    }
    throw_unsupported("filter " + name);
}

bool call_test(const std::string& name, const Value& v, Args& args) {
    const Value* arg = find_arg(args, 0, "value");
    auto need_arg = [&]() -> const Value& {
        if (!arg) throw_type_error("TypeError: test '" + name + "' needs an argument");
        return *arg;
    };
    if (name == "defined") return !v.is_undefined();
    if (name == "undefined") return v.is_undefined();
    if (name == "none") return v.is_none();
    if (name == "boolean") return v.is_bool();
    if (name == "true") return v.is_bool() && v.as_bool();
    if (name == "false") return v.is_bool() && !v.as_bool();
    if (name == "integer") return v.is_int();
    if (name == "float") return v.is_float();
    if (name == "number") return v.is_number();
    if (name == "string") return v.is_string();
    if (name == "mapping") return v.is_dict();
    if (name == "iterable" || name == "sequence")
        return v.is_undefined() || v.is_string() || v.is_list() || v.is_dict();
    if (name == "callable") return v.is_function() || v.is_undefined();
    if (name == "escaped") return false;
    if (name == "lower")
        return v.is_string() && py_lower(v.as_string()) == v.as_string() &&
               py_upper(v.as_string()) != v.as_string();
    if (name == "upper")
        return v.is_string() && py_upper(v.as_string()) == v.as_string() &&
               py_lower(v.as_string()) != v.as_string();
    if (name == "odd" || name == "even") {
        Value m = binary_op("%", v, Value::integer(2));
        return (m.as_int() == 1) == (name == "odd");
    }
    if (name == "divisibleby") return binary_op("%", v, need_arg()).as_double() == 0;
    if (name == "eq" || name == "equalto") return compare_op("==", v, need_arg());
    if (name == "ne") return compare_op("!=", v, need_arg());
    if (name == "lt" || name == "lessthan") return compare_op("<", v, need_arg());
    if (name == "le") return compare_op("<=", v, need_arg());
    if (name == "gt" || name == "greaterthan") return compare_op(">", v, need_arg());
    if (name == "ge") return compare_op(">=", v, need_arg());
    if (name == "in") return contains(need_arg(), v);
    if (name == "sameas") {
        const Value& o = need_arg();
        if (v.is_none() || o.is_none()) return v.is_none() && o.is_none();
        if (v.is_bool() || o.is_bool())
            return v.is_bool() && o.is_bool() && v.as_bool() == o.as_bool();
        if ((v.is_dict() || v.is_namespace()) && v.kind() == o.kind())
            return &v.as_dict() == &o.as_dict();
        if (v.is_list() && o.is_list()) return &v.items() == &o.items();
        // CPython caches small ints and interns short strings: `2 is 2` holds there.
        if (v.kind() == o.kind() && (v.is_int() || v.is_string())) return equals(v, o);
        return false;
    }
    if (name == "filter") return v.is_string() && is_known_filter(v.as_string());
    if (name == "test") return v.is_string() && is_known_test(v.as_string());
    throw_unsupported("test " + name);
}

std::vector<std::pair<std::string, Value>> default_globals(int64_t now_unix_seconds) {
    std::vector<std::pair<std::string, Value>> g;
    g.emplace_back("range", Value::function("range", [](Args& a) {
                       if (!a.keyword.empty())
                           throw_type_error("TypeError: range() takes no keyword arguments");
                       for (const Value& v : a.positional)
                           if (!v.is_int() && !v.is_bool())
                               throw_type_error("TypeError: '" + type_name(v) +
                                                "' object cannot be interpreted as an integer");
                       int64_t start = 0, stop = 0, step = 1;
                       if (a.positional.size() == 1) {
                           stop = a.positional[0].as_int();
                       } else if (a.positional.size() == 2 || a.positional.size() == 3) {
                           start = a.positional[0].as_int();
                           stop = a.positional[1].as_int();
                           if (a.positional.size() == 3) step = a.positional[2].as_int();
                       } else {
                           throw_type_error("TypeError: range expected 1 to 3 arguments");
                       }
                       if (step == 0)
                           throw_type_error("ValueError: range() arg 3 must not be zero");
                       std::vector<Value> out;
                       for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
                           if (out.size() >= 100000)
                               throw_type_error(
                                   "OverflowError: Range too big. The sandbox blocks ranges larger "
                                   "than MAX_RANGE (100000).");
                           out.push_back(Value::integer(i));
                       }
                       return Value::list(std::move(out));
                   }));
    auto make_dict = [](Args& a, const char* what) {
        auto d = std::make_shared<Dict>();
        for (const Value& p : a.positional) {
            if (p.is_dict()) {
                for (const auto& [k, v] : p.as_dict().items) d->set(k, v);
            } else {
                for (const Value& pair : iterate(p)) {
                    if (!pair.is_list() || pair.items().size() != 2 || !pair.items()[0].is_string())
                        throw_type_error(std::string("TypeError: cannot convert sequence to ") +
                                         what);
                    d->set(pair.items()[0].as_string(), pair.items()[1]);
                }
            }
        }
        for (const auto& [k, v] : a.keyword) d->set(k, v);
        return d;
    };
    g.emplace_back("namespace", Value::function("namespace", [make_dict](Args& a) {
                       auto d = make_dict(a, "namespace");
                       for (const auto& [k, v] : d->items) {
                           if (!k.empty() && k[0] == '_')
                               throw_type_error(
                                   "SecurityError: Chat templates cannot store underscore-prefixed "
                                   "attributes on a namespace, but got '" +
                                   k + "'. Please rename the attribute.");
                       }
                       return Value::ns(d);
                   }));
    g.emplace_back("dict", Value::function("dict", [make_dict](Args& a) {
                       return Value::dict(make_dict(a, "dict"));
                   }));
    g.emplace_back("raise_exception", Value::function("raise_exception", [](Args& a) -> Value {
                       const Value* msg = find_arg(a, 0, "message");
                       JinjaError e{base::StatusCode::kInvalidArgument, msg ? to_str(*msg) : ""};
                       e.raised_by_template = true;
                       throw e;
                   }));
    g.emplace_back("strftime_now", Value::function("strftime_now", [now_unix_seconds](Args& a) {
                       const Value* fmt = find_arg(a, 0, "format");
                       if (!fmt || !fmt->is_string())
                           throw_type_error("TypeError: strftime_now needs a format string");
                       std::time_t t = static_cast<std::time_t>(now_unix_seconds);
                       std::tm tm{};
                       localtime_r(&t, &tm);
                       char buf[512];
                       size_t n = std::strftime(buf, sizeof(buf), fmt->as_string().c_str(), &tm);
                       return Value::string(std::string(buf, n));
                   }));
    for (const char* name : {"lipsum", "cycler", "joiner"}) {
        g.emplace_back(name, Value::function(name, [name](Args&) -> Value {
                           throw_unsupported(std::string(name) + "()");
                       }));
    }
    return g;
}

}  // namespace jenny::tokenizer::jinja
