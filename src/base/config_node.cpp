#include "jenny/base/config_node.h"

#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <iterator>
#include <nlohmann/json.hpp>

namespace jenny::base {

std::string SourceLoc::to_string() const {
    if (line > 0) return fmt::format("{}:{}", file, line);
    return file;
}

ConfigNode ConfigNode::null_value(SourceLoc loc) {
    ConfigNode n;
    n.loc_ = std::move(loc);
    return n;
}

ConfigNode ConfigNode::scalar(std::string text, bool quoted, SourceLoc loc) {
    ConfigNode n;
    n.kind_ = Kind::kScalar;
    n.text_ = std::move(text);
    n.quoted_ = quoted;
    n.loc_ = std::move(loc);
    return n;
}

ConfigNode ConfigNode::map(SourceLoc loc) {
    ConfigNode n;
    n.kind_ = Kind::kMap;
    n.loc_ = std::move(loc);
    return n;
}

ConfigNode ConfigNode::list(SourceLoc loc) {
    ConfigNode n;
    n.kind_ = Kind::kList;
    n.loc_ = std::move(loc);
    return n;
}

void ConfigNode::relocate(const SourceLoc& loc) {
    loc_ = loc;
    for (Entry& e : entries_) e.value.relocate(loc);
    for (ConfigNode& item : items_) item.relocate(loc);
}

const ConfigNode* ConfigNode::find(std::string_view key) const {
    for (const Entry& e : entries_) {
        if (e.key == key) return &e.value;
    }
    return nullptr;
}

ConfigNode* ConfigNode::find(std::string_view key) {
    for (Entry& e : entries_) {
        if (e.key == key) return &e.value;
    }
    return nullptr;
}

ConfigNode& ConfigNode::set(std::string key, ConfigNode value) {
    JENNY_CHECK(kind_ == Kind::kMap, "set() on a non-map node");
    if (ConfigNode* existing = find(key)) {
        *existing = std::move(value);
        return *existing;
    }
    entries_.push_back(Entry{std::move(key), std::move(value)});
    return entries_.back().value;
}

std::string ConfigNode::describe() const {
    switch (kind_) {
        case Kind::kNull:
            return "null";
        case Kind::kMap:
            return "a map";
        case Kind::kList:
            return "a list";
        case Kind::kScalar:
            return nlohmann::json(text_).dump();
    }
    return "?";
}

namespace {

bool needs_quotes(const std::string& s) {
    if (s.empty()) return true;
    static const char* kReserved[] = {"true", "false", "yes",  "no",    "on",   "off",
                                      "null", "~",     "True", "False", "Yes",  "No",
                                      "On",   "Off",   "Null", "NULL",  "TRUE", "FALSE"};
    for (const char* r : kReserved) {
        if (s == r) return true;
    }
    char* end = nullptr;
    std::strtod(s.c_str(), &end);
    if (end != s.c_str() && *end == '\0') return true;  // looks like a number
    if (s.front() == ' ' || s.back() == ' ') return true;
    for (char c : s) {
        if (c == ':' || c == '#' || c == '\n' || c == '"' || c == '\'' || c == '{' || c == '}' ||
            c == '[' || c == ']' || c == ',' || c == '&' || c == '*' || c == '!' || c == '|' ||
            c == '>' || c == '%' || c == '@' || c == '`' || c == '\\' || c == '\t') {
            return true;
        }
    }
    return s.front() == '-' || s.front() == '?';
}

std::string scalar_yaml(const ConfigNode& n) {
    if (n.quoted() && needs_quotes(n.text())) return nlohmann::json(n.text()).dump();
    if (!n.quoted()) return n.text();
    return n.text();
}

}  // namespace

std::string ConfigNode::to_yaml(int indent) const {
    const std::string pad(static_cast<size_t>(indent), ' ');
    std::string out;
    switch (kind_) {
        case Kind::kNull:
            return pad + "null\n";
        case Kind::kScalar:
            return pad + scalar_yaml(*this) + "\n";
        case Kind::kMap:
            if (entries_.empty()) return pad + "{}\n";
            for (const Entry& e : entries_) {
                const ConfigNode& v = e.value;
                if ((v.is_map() && !v.entries().empty()) || (v.is_list() && !v.items().empty())) {
                    out += pad + e.key + ":\n" + v.to_yaml(indent + 2);
                } else {
                    std::string inner = v.to_yaml(0);
                    out += pad + e.key + ": " + inner;
                }
            }
            return out;
        case Kind::kList:
            if (items_.empty()) return pad + "[]\n";
            for (const ConfigNode& item : items_) {
                if (item.is_map() || item.is_list()) {
                    std::string inner = item.to_yaml(indent + 2);
                    // "- " replaces the first two spaces of the nested block's first line.
                    out += pad + "- " + inner.substr(static_cast<size_t>(indent) + 2);
                } else {
                    out += pad + "- " + item.to_yaml(0);
                }
            }
            return out;
    }
    return out;
}

// ---------------------------------------------------------------------------------------
// YAML

namespace {

Result<ConfigNode> from_yaml(const YAML::Node& y, const std::string& file) {
    SourceLoc loc{file, y.Mark().line >= 0 ? y.Mark().line + 1 : 0};
    switch (y.Type()) {
        case YAML::NodeType::Undefined:
        case YAML::NodeType::Null:
            return ConfigNode::null_value(loc);
        case YAML::NodeType::Scalar:
            return ConfigNode::scalar(y.Scalar(), y.Tag() == "!", loc);
        case YAML::NodeType::Sequence: {
            ConfigNode out = ConfigNode::list(loc);
            for (const YAML::Node& item : y) {
                JENNY_ASSIGN_OR_RETURN(ConfigNode child, from_yaml(item, file));
                out.append(std::move(child));
            }
            return out;
        }
        case YAML::NodeType::Map: {
            ConfigNode out = ConfigNode::map(loc);
            for (const auto& kv : y) {
                const YAML::Node& k = kv.first;
                int kline = k.Mark().line + 1;
                if (!k.IsScalar()) {
                    return Status::invalid_argument(
                        fmt::format("{}:{}: map keys must be plain strings", file, kline));
                }
                if (out.find(k.Scalar()) != nullptr) {
                    return Status::invalid_argument(fmt::format(
                        "{}:{}: duplicate key '{}': remove one of them", file, kline, k.Scalar()));
                }
                JENNY_ASSIGN_OR_RETURN(ConfigNode child, from_yaml(kv.second, file));
                if (child.is_null()) child = ConfigNode::null_value({file, kline});
                out.set(k.Scalar(), std::move(child));
            }
            return out;
        }
    }
    return Status::internal("unknown YAML node type");
}

}  // namespace

Result<ConfigNode> parse_yaml(std::string_view text, const std::string& file) {
    YAML::Node root;
    try {
        root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
        return Status::invalid_argument(fmt::format("{}:{}:{}: YAML syntax error: {}", file,
                                                    e.mark.line + 1, e.mark.column + 1, e.msg));
    }
    try {
        return from_yaml(root, file);
    } catch (const YAML::Exception& e) {
        return Status::invalid_argument(fmt::format("{}:{}: {}", file, e.mark.line + 1, e.msg));
    }
}

// ---------------------------------------------------------------------------------------
// JSON, through nlohmann's SAX interface so each value gets its line.

namespace {

// An input iterator over the text that tracks the line of the last non-space character
// consumed, which is the line of the token the parser just finished.
struct LineTracker {
    int line = 1;
    int token_line = 1;
};

class TrackingIterator {
public:
    using iterator_category = std::input_iterator_tag;
    using value_type = char;
    using difference_type = std::ptrdiff_t;
    using pointer = const char*;
    using reference = const char&;

    TrackingIterator(const char* p, LineTracker* t) : p_(p), t_(t) {}
    reference operator*() const { return *p_; }
    TrackingIterator& operator++() {
        if (t_ != nullptr) {
            if (*p_ == '\n') {
                ++t_->line;
            } else if (*p_ != ' ' && *p_ != '\t' && *p_ != '\r') {
                t_->token_line = t_->line;
            }
        }
        ++p_;
        return *this;
    }
    TrackingIterator operator++(int) {
        TrackingIterator old = *this;
        ++*this;
        return old;
    }
    bool operator==(const TrackingIterator& o) const { return p_ == o.p_; }
    bool operator!=(const TrackingIterator& o) const { return p_ != o.p_; }

private:
    const char* p_;
    LineTracker* t_;
};

class JsonBuilder : public nlohmann::json_sax<nlohmann::json> {
public:
    JsonBuilder(std::string file, const LineTracker* t) : file_(std::move(file)), t_(t) {}

    bool null() override { return add(ConfigNode::null_value(here())); }
    bool boolean(bool v) override {
        return add(ConfigNode::scalar(v ? "true" : "false", false, here()));
    }
    bool number_integer(number_integer_t v) override {
        return add(ConfigNode::scalar(std::to_string(v), false, here()));
    }
    bool number_unsigned(number_unsigned_t v) override {
        return add(ConfigNode::scalar(std::to_string(v), false, here()));
    }
    bool number_float(number_float_t, const string_t& s) override {
        return add(ConfigNode::scalar(s, false, here()));
    }
    bool string(string_t& v) override { return add(ConfigNode::scalar(v, true, here())); }
    bool binary(binary_t&) override { return fail("binary values are not supported"); }
    bool start_object(std::size_t) override {
        if (!add(ConfigNode::map(here()))) return false;
        stack_.push_back(current_);
        return true;
    }
    bool key(string_t& k) override {
        ConfigNode* m = stack_.back();
        if (m->find(k) != nullptr) {
            return fail(fmt::format("duplicate key '{}': remove one of them", k));
        }
        pending_key_ = k;
        return true;
    }
    bool end_object() override {
        stack_.pop_back();
        return true;
    }
    bool start_array(std::size_t) override {
        if (!add(ConfigNode::list(here()))) return false;
        stack_.push_back(current_);
        return true;
    }
    bool end_array() override {
        stack_.pop_back();
        return true;
    }
    bool parse_error(std::size_t, const std::string&,
                     const nlohmann::detail::exception& ex) override {
        std::string what = ex.what();
        // nlohmann prefixes "[json.exception.parse_error.101] parse error at line 3, column 7: ".
        size_t pos = what.find("parse error");
        error_ = fmt::format("{}: JSON syntax error: {}", file_,
                             pos == std::string::npos ? what : what.substr(pos));
        return false;
    }

    ConfigNode root;
    std::string error_;

private:
    SourceLoc here() const { return {file_, t_->token_line}; }
    bool fail(std::string msg) {
        error_ = fmt::format("{}:{}: {}", file_, t_->token_line, msg);
        return false;
    }
    bool add(ConfigNode n) {
        if (stack_.empty()) {
            root = std::move(n);
            current_ = &root;
        } else if (stack_.back()->is_map()) {
            current_ = &stack_.back()->set(pending_key_, std::move(n));
        } else {
            ConfigNode* l = stack_.back();
            l->append(std::move(n));
            current_ = const_cast<ConfigNode*>(&l->items().back());
        }
        return true;
    }

    std::string file_;
    const LineTracker* t_;
    std::vector<ConfigNode*> stack_;  // open maps and lists; children never move while open
    ConfigNode* current_ = nullptr;
    std::string pending_key_;
};

}  // namespace

Result<ConfigNode> parse_json(std::string_view text, const std::string& file) {
    LineTracker tracker;
    JsonBuilder builder(file, &tracker);
    TrackingIterator first(text.data(), &tracker), last(text.data() + text.size(), nullptr);
    bool ok = nlohmann::json::sax_parse(first, last, &builder);
    if (!ok) {
        return Status::invalid_argument(builder.error_.empty() ? file + ": invalid JSON"
                                                               : builder.error_);
    }
    return std::move(builder.root);
}

Result<ConfigNode> load_config_file(const std::string& path, Env* env) {
    Result<std::string> text = env->read_file(path);
    if (!text.ok()) return text.status().with_context("reading config");
    auto ends_with = [&](std::string_view suffix) {
        return path.size() >= suffix.size() &&
               path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    if (ends_with(".json")) return parse_json(*text, path);
    return parse_yaml(*text, path);
}

Status apply_override(ConfigNode& root, std::string_view assignment, std::string source) {
    if (source.empty()) source = "--set " + std::string(assignment);
    size_t eq = assignment.find('=');
    if (eq == std::string_view::npos || eq == 0) {
        return Status::invalid_argument(
            fmt::format("{}: expected key=value, e.g. --set train.lr_max=3e-4", source));
    }
    std::string_view path = assignment.substr(0, eq);
    std::string value_text(assignment.substr(eq + 1));
    SourceLoc loc{source, 0};

    ConfigNode value;
    if (value_text.empty()) {
        value = ConfigNode::scalar("", true, loc);
    } else {
        Result<ConfigNode> parsed = parse_yaml(value_text, source);
        // A value that is not valid YAML on its own ("a: b", "[1,") is taken as a plain string.
        // Text YAML reads as nothing ("%", "# x") is meant literally; only null's own
        // spellings give null.
        const bool null_text = value_text == "null" || value_text == "Null" ||
                               value_text == "NULL" || value_text == "~";
        if (parsed.ok() && !parsed->is_map() && (!parsed->is_null() || null_text)) {
            value = std::move(*parsed);
            value.relocate(loc);
        } else {
            value = ConfigNode::scalar(value_text, true, loc);
        }
    }
    if (!root.is_map()) {
        if (!root.is_null()) {
            return Status::invalid_argument(
                fmt::format("{}: the configuration is not a map of keys", source));
        }
        root = ConfigNode::map(loc);
    }
    ConfigNode* node = &root;
    size_t start = 0;
    for (;;) {
        size_t dot = path.find('.', start);
        std::string key(path.substr(
            start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
        if (key.empty()) {
            return Status::invalid_argument(
                fmt::format("{}: empty key in '{}'", source, std::string(path)));
        }
        if (dot == std::string_view::npos) {
            node->set(key, std::move(value));
            return Status();
        }
        ConfigNode* child = node->find(key);
        if (child == nullptr || child->is_null()) {
            child = &node->set(key, ConfigNode::map(loc));
        } else if (!child->is_map()) {
            return Status::invalid_argument(fmt::format(
                "{}: '{}' is {}, not a section ({})", source, std::string(path.substr(0, dot)),
                child->describe(), child->loc().to_string()));
        }
        node = child;
        start = dot + 1;
    }
}

}  // namespace jenny::base
