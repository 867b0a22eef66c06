#include "tokenizer/jinja_value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "tokenizer/jinja_error.h"
#include "tokenizer/jinja_strings.h"

namespace jenny::tokenizer::jinja {

const Value* Dict::find(std::string_view key) const {
    for (const auto& [k, v] : items)
        if (k == key) return &v;
    return nullptr;
}

void Dict::set(const std::string& key, Value value) {
    for (auto& [k, v] : items) {
        if (k == key) {
            v = std::move(value);
            return;
        }
    }
    items.emplace_back(key, std::move(value));
}

Value Value::undefined(std::string hint) {
    Value v;
    v.s_ = std::move(hint);
    return v;
}

Value Value::none() {
    Value v;
    v.kind_ = Kind::kNone;
    return v;
}

Value Value::boolean(bool b) {
    Value v;
    v.kind_ = Kind::kBool;
    v.b_ = b;
    return v;
}

Value Value::integer(int64_t i) {
    Value v;
    v.kind_ = Kind::kInt;
    v.i_ = i;
    return v;
}

Value Value::number(double f) {
    Value v;
    v.kind_ = Kind::kFloat;
    v.f_ = f;
    return v;
}

Value Value::string(std::string s) {
    Value v;
    v.kind_ = Kind::kString;
    v.s_ = std::move(s);
    return v;
}

Value Value::list(std::vector<Value> items) {
    Value v;
    v.kind_ = Kind::kList;
    v.list_ = std::make_shared<const std::vector<Value>>(std::move(items));
    return v;
}

Value Value::tuple(std::vector<Value> items) {
    Value v = list(std::move(items));
    v.kind_ = Kind::kTuple;
    return v;
}

Value Value::dict(std::shared_ptr<Dict> d) {
    Value v;
    v.kind_ = Kind::kDict;
    v.dict_ = std::move(d);
    return v;
}

Value Value::ns(std::shared_ptr<Dict> attributes) {
    Value v = dict(std::move(attributes));
    v.kind_ = Kind::kNamespace;
    return v;
}

Value Value::function(std::string name, NativeFunction fn) {
    Value v;
    v.kind_ = Kind::kFunction;
    v.s_ = std::move(name);
    v.fn_ = std::make_shared<const NativeFunction>(std::move(fn));
    return v;
}

double Value::as_double() const {
    if (is_float()) return f_;
    return static_cast<double>(as_int());
}

const std::vector<Value>& Value::items() const {
    static const std::vector<Value> kEmpty;
    return list_ ? *list_ : kEmpty;
}

Value Value::call(Args& args) const { return (*fn_)(args); }

bool truthy(const Value& v) {
    switch (v.kind()) {
        case Value::Kind::kUndefined:
        case Value::Kind::kNone:
            return false;
        case Value::Kind::kBool:
            return v.as_bool();
        case Value::Kind::kInt:
            return v.as_int() != 0;
        case Value::Kind::kFloat:
            return v.as_double() != 0.0;
        case Value::Kind::kString:
            return !v.as_string().empty();
        case Value::Kind::kList:
        case Value::Kind::kTuple:
            return !v.items().empty();
        case Value::Kind::kDict:
            return !v.as_dict().items.empty();
        case Value::Kind::kNamespace:
        case Value::Kind::kFunction:
            return true;
    }
    return false;
}

std::string float_repr(double f) {
    if (std::isnan(f)) return "nan";
    if (std::isinf(f)) return f < 0 ? "-inf" : "inf";
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof(buf), f, std::chars_format::scientific);
    std::string sci(buf, res.ptr);
    std::string sign;
    if (sci[0] == '-') {
        sign = "-";
        sci.erase(0, 1);
    }
    size_t epos = sci.find('e');
    std::string mantissa = sci.substr(0, epos);
    int exp = std::stoi(sci.substr(epos + 1));
    std::string digits;
    for (char c : mantissa)
        if (c != '.') digits.push_back(c);
    int n = static_cast<int>(digits.size());
    std::string out = sign;
    if (exp >= -5 + 1 && exp < 16) {
        if (exp >= 0) {
            if (n <= exp + 1) {
                out += digits + std::string(exp + 1 - n, '0') + ".0";
            } else {
                out += digits.substr(0, exp + 1) + "." + digits.substr(exp + 1);
            }
        } else {
            out += "0." + std::string(-exp - 1, '0') + digits;
        }
        return out;
    }
    out += digits.substr(0, 1);
    if (n > 1) out += "." + digits.substr(1);
    char ebuf[16];
    std::snprintf(ebuf, sizeof(ebuf), "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
    return out + ebuf;
}

std::string type_name(const Value& v) {
    switch (v.kind()) {
        case Value::Kind::kUndefined:
            return "Undefined";
        case Value::Kind::kNone:
            return "NoneType";
        case Value::Kind::kBool:
            return "bool";
        case Value::Kind::kInt:
            return "int";
        case Value::Kind::kFloat:
            return "float";
        case Value::Kind::kString:
            return "str";
        case Value::Kind::kList:
            return "list";
        case Value::Kind::kTuple:
            return "tuple";
        case Value::Kind::kDict:
            return "dict";
        case Value::Kind::kNamespace:
            return "Namespace";
        case Value::Kind::kFunction:
            return "function";
    }
    return "object";
}

namespace {

std::string dict_repr(const Dict& d) {
    std::string out = "{";
    bool first = true;
    for (const auto& [k, v] : d.items) {
        if (!first) out += ", ";
        first = false;
        out += py_repr_string(k) + ": " + repr(v);
    }
    return out + "}";
}

}  // namespace

std::string repr(const Value& v) {
    switch (v.kind()) {
        case Value::Kind::kUndefined:
            return "Undefined";
        case Value::Kind::kString:
            return py_repr_string(v.as_string());
        case Value::Kind::kList:
        case Value::Kind::kTuple: {
            bool tuple = v.kind() == Value::Kind::kTuple;
            std::string out = tuple ? "(" : "[";
            const auto& items = v.items();
            for (size_t i = 0; i < items.size(); ++i) {
                if (i) out += ", ";
                out += repr(items[i]);
            }
            if (tuple && items.size() == 1) out += ",";
            return out + (tuple ? ")" : "]");
        }
        case Value::Kind::kDict:
            return dict_repr(v.as_dict());
        case Value::Kind::kNamespace:
            return "<Namespace " + dict_repr(v.as_dict()) + ">";
        case Value::Kind::kFunction:
            return "<function " + v.function_name() + ">";
        default:
            return to_str(v);
    }
}

std::string to_str(const Value& v) {
    switch (v.kind()) {
        case Value::Kind::kUndefined:
            return "";
        case Value::Kind::kNone:
            return "None";
        case Value::Kind::kBool:
            return v.as_bool() ? "True" : "False";
        case Value::Kind::kInt:
            return std::to_string(v.as_int());
        case Value::Kind::kFloat:
            return float_repr(v.as_double());
        case Value::Kind::kString:
            return v.as_string();
        default:
            return repr(v);
    }
}

bool equals(const Value& a, const Value& b) {
    if (a.is_number() && b.is_number()) {
        if (a.is_float() || b.is_float()) return a.as_double() == b.as_double();
        return a.as_int() == b.as_int();
    }
    if (a.kind() != b.kind()) return false;
    switch (a.kind()) {
        case Value::Kind::kUndefined:
        case Value::Kind::kNone:
            return true;
        case Value::Kind::kString:
            return a.as_string() == b.as_string();
        case Value::Kind::kList:
        case Value::Kind::kTuple: {
            const auto& x = a.items();
            const auto& y = b.items();
            if (x.size() != y.size()) return false;
            for (size_t i = 0; i < x.size(); ++i)
                if (!equals(x[i], y[i])) return false;
            return true;
        }
        case Value::Kind::kDict: {
            const auto& x = a.as_dict().items;
            const auto& y = b.as_dict();
            if (x.size() != y.items.size()) return false;
            for (const auto& [k, v] : x) {
                const Value* other = y.find(k);
                if (!other || !equals(v, *other)) return false;
            }
            return true;
        }
        case Value::Kind::kNamespace:
            return &a.as_dict() == &b.as_dict();
        default:
            return false;
    }
}

bool less(const Value& a, const Value& b) {
    if (a.is_number() && b.is_number()) {
        if (a.is_float() || b.is_float()) return a.as_double() < b.as_double();
        return a.as_int() < b.as_int();
    }
    if (a.is_string() && b.is_string()) return a.as_string() < b.as_string();
    if (a.is_list() && b.is_list() && a.kind() == b.kind()) {
        const auto& x = a.items();
        const auto& y = b.items();
        for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
            if (!equals(x[i], y[i])) return less(x[i], y[i]);
        }
        return x.size() < y.size();
    }
    throw_type_error("'<' not supported between instances of '" + type_name(a) + "' and '" +
                     type_name(b) + "'");
}

Value from_json(const nlohmann::ordered_json& j) {
    switch (j.type()) {
        case nlohmann::ordered_json::value_t::null:
            return Value::none();
        case nlohmann::ordered_json::value_t::boolean:
            return Value::boolean(j.get<bool>());
        case nlohmann::ordered_json::value_t::number_integer:
            return Value::integer(j.get<int64_t>());
        case nlohmann::ordered_json::value_t::number_unsigned: {
            uint64_t u = j.get<uint64_t>();
            if (u > static_cast<uint64_t>(INT64_MAX)) return Value::number(static_cast<double>(u));
            return Value::integer(static_cast<int64_t>(u));
        }
        case nlohmann::ordered_json::value_t::number_float:
            return Value::number(j.get<double>());
        case nlohmann::ordered_json::value_t::string:
            return Value::string(j.get<std::string>());
        case nlohmann::ordered_json::value_t::array: {
            std::vector<Value> items;
            items.reserve(j.size());
            for (const auto& e : j) items.push_back(from_json(e));
            return Value::list(std::move(items));
        }
        case nlohmann::ordered_json::value_t::object: {
            auto d = std::make_shared<Dict>();
            for (const auto& [k, e] : j.items()) d->set(k, from_json(e));
            return Value::dict(std::move(d));
        }
        default:
            return Value::none();
    }
}

namespace {

void dump(const Value& v, const JsonDumpOptions& o, int level, std::string* out) {
    bool pretty = o.indent >= 0 || !o.indent_str.empty();
    std::string item_sep = o.has_separators ? o.item_separator : (pretty ? "," : ", ");
    std::string key_sep = o.has_separators ? o.key_separator : ": ";
    auto newline = [&](int lvl) {
        out->push_back('\n');
        for (int i = 0; i < lvl; ++i)
            out->append(o.indent_str.empty() ? std::string(o.indent, ' ') : o.indent_str);
    };
    switch (v.kind()) {
        case Value::Kind::kNone:
            out->append("null");
            return;
        case Value::Kind::kBool:
            out->append(v.as_bool() ? "true" : "false");
            return;
        case Value::Kind::kInt:
            out->append(std::to_string(v.as_int()));
            return;
        case Value::Kind::kFloat: {
            double f = v.as_double();
            if (std::isnan(f)) {
                out->append("NaN");
            } else if (std::isinf(f)) {
                out->append(f < 0 ? "-Infinity" : "Infinity");
            } else {
                out->append(float_repr(f));
            }
            return;
        }
        case Value::Kind::kString:
            out->append(json_quote(v.as_string(), o.ensure_ascii));
            return;
        case Value::Kind::kList:
        case Value::Kind::kTuple: {
            const auto& items = v.items();
            if (items.empty()) {
                out->append("[]");
                return;
            }
            out->push_back('[');
            for (size_t i = 0; i < items.size(); ++i) {
                if (i) out->append(item_sep);
                if (pretty) newline(level + 1);
                dump(items[i], o, level + 1, out);
            }
            if (pretty) newline(level);
            out->push_back(']');
            return;
        }
        case Value::Kind::kDict: {
            std::vector<const std::pair<std::string, Value>*> entries;
            for (const auto& e : v.as_dict().items) entries.push_back(&e);
            if (o.sort_keys) {
                std::stable_sort(entries.begin(), entries.end(),
                                 [](auto* a, auto* b) { return a->first < b->first; });
            }
            if (entries.empty()) {
                out->append("{}");
                return;
            }
            out->push_back('{');
            for (size_t i = 0; i < entries.size(); ++i) {
                if (i) out->append(item_sep);
                if (pretty) newline(level + 1);
                out->append(json_quote(entries[i]->first, o.ensure_ascii));
                out->append(key_sep);
                dump(entries[i]->second, o, level + 1, out);
            }
            if (pretty) newline(level);
            out->push_back('}');
            return;
        }
        default:
            throw_type_error("TypeError: Object of type " + type_name(v) +
                             " is not JSON serializable");
    }
}

}  // namespace

std::string json_dumps(const Value& v, const JsonDumpOptions& options) {
    std::string out;
    dump(v, options, 0, &out);
    return out;
}

}  // namespace jenny::tokenizer::jinja
