// Binding a ConfigNode tree to a typed config struct, and back.
//
// A config struct lists its fields once, in a visit() member template; the same list drives
// reading (ConfigReader), printing the resolved config (ConfigWriter) and documentation:
//
//   struct OptimConfig {
//       double lr_max = 3e-4;
//       std::string schedule = "cosine";
//       template <class V> void visit(V& v) {
//           v.field("lr_max", lr_max, "peak learning rate");
//           v.one_of("schedule", schedule, {"cosine", "linear"}, "learning-rate schedule");
//       }
//   };
//   struct TrainConfig {
//       std::string data;  OptimConfig optim;
//       template <class V> void visit(V& v) {
//           v.required("data", data, "token dataset prefix");
//           v.field("optim", optim);
//       }
//   };
//   Result<TrainConfig> cfg = bind_config<TrainConfig>(node);
//
// Reading rejects unknown keys (with a "did you mean" hint), values of the wrong type and
// missing required keys; each error names the key path and where the value came from:
//   optim.lr_max: expected a number, got "abc" (config.yaml:12)
// Supported field types: bool, integers, float/double, std::string, nested config structs,
// std::vector<T>, std::optional<T>, std::map<std::string, T> of those.
#pragma once

#include <charconv>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "jenny/base/config_node.h"

namespace jenny::base {

namespace config_detail {

template <class T>
concept ConfigStruct = requires(T& t, int& v) {
    t.visit(v);
};

template <class T>
struct is_vector : std::false_type {};
template <class T>
struct is_vector<std::vector<T>> : std::true_type {};
template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
template <class T>
struct is_string_map : std::false_type {};
template <class T>
struct is_string_map<std::map<std::string, T>> : std::true_type {};

// Where-from suffix for messages: " (config.yaml:12)".
std::string where(const ConfigNode& n);
// The closest of `candidates` to `key` by edit distance, or "" when none is close.
std::string closest_key(const std::string& key, const std::vector<std::string>& candidates);

std::optional<bool> parse_bool(const ConfigNode& n);
std::optional<double> parse_double(const ConfigNode& n);
std::optional<long double> parse_integer(const ConfigNode& n);  // exact integers only

}  // namespace config_detail

// Reads fields from a map node; collects every error rather than stopping at the first.
class ConfigReader {
public:
    // `path` is the dotted prefix for messages ("" at the root); `errors` collects messages.
    ConfigReader(const ConfigNode& node, std::string path, std::vector<std::string>* errors);

    template <class T>
    void field(const char* key, T& out, const char* help = "") {
        (void)help;
        seen_.push_back(key);
        const ConfigNode* n = node_.find(key);
        if (n == nullptr) return;  // keep the default
        read(*n, join(key), out);
    }

    template <class T>
    void required(const char* key, T& out, const char* help = "") {
        (void)help;
        seen_.push_back(key);
        const ConfigNode* n = node_.find(key);
        if (n == nullptr || n->is_null()) {
            errors_->push_back(
                fmt::format("{}: required key is missing{}; add it to the config "
                            "or pass --set {}=...",
                            join(key), missing_where(), join(key)));
            return;
        }
        read(*n, join(key), out);
    }

    void one_of(const char* key, std::string& out, std::initializer_list<const char*> choices,
                const char* help = "");

    // Reports keys in the node that no field() asked for. Call after visit().
    void finish();

private:
    std::string join(const char* key) const { return path_.empty() ? key : path_ + "." + key; }
    std::string missing_where() const;
    void error(const ConfigNode& n, const std::string& path, const std::string& expected);

    template <class T>
    void read(const ConfigNode& n, const std::string& path, T& out) {
        using namespace config_detail;
        if constexpr (std::is_same_v<T, bool>) {
            if (auto v = parse_bool(n))
                out = *v;
            else
                error(n, path, "true or false");
        } else if constexpr (std::is_integral_v<T>) {
            auto v = parse_integer(n);
            if (!v) {
                error(n, path, "an integer");
            } else if (*v < static_cast<long double>(std::numeric_limits<T>::lowest()) ||
                       *v > static_cast<long double>(std::numeric_limits<T>::max())) {
                errors_->push_back(fmt::format("{}: {} is out of range [{}, {}]{}", path, n.text(),
                                               std::numeric_limits<T>::lowest(),
                                               std::numeric_limits<T>::max(), where(n)));
            } else {
                out = static_cast<T>(*v);
            }
        } else if constexpr (std::is_floating_point_v<T>) {
            if (auto v = parse_double(n))
                out = static_cast<T>(*v);
            else
                error(n, path, "a number");
        } else if constexpr (std::is_same_v<T, std::string>) {
            if (n.is_scalar())
                out = n.text();
            else
                error(n, path, "a string");
        } else if constexpr (is_optional<T>::value) {
            if (n.is_null()) {
                out.reset();
            } else {
                typename T::value_type v{};
                if (out) v = *out;
                read(n, path, v);
                out = std::move(v);
            }
        } else if constexpr (is_vector<T>::value) {
            read_list(n, path, out);
        } else if constexpr (is_string_map<T>::value) {
            if (!n.is_map()) {
                error(n, path, "a map");
                return;
            }
            out.clear();
            for (const auto& e : n.entries()) {
                typename T::mapped_type v{};
                read(e.value, path + "." + e.key, v);
                out[e.key] = std::move(v);
            }
        } else {
            static_assert(ConfigStruct<T>, "unsupported config field type");
            if (!n.is_map()) {
                error(n, path, "a map of keys");
                return;
            }
            ConfigReader sub(n, path, errors_);
            out.visit(sub);
            sub.finish();
        }
    }

    template <class E>
    void read_list(const ConfigNode& n, const std::string& path, std::vector<E>& out) {
        out.clear();
        if (n.is_list()) {
            for (size_t i = 0; i < n.items().size(); ++i) {
                E v{};
                read(n.items()[i], fmt::format("{}[{}]", path, i), v);
                out.push_back(std::move(v));
            }
        } else if (n.is_scalar() && (std::is_arithmetic_v<E> || std::is_same_v<E, std::string>)) {
            // "a,b,c" from a flag or --set is a list of three.
            size_t start = 0;
            for (;;) {
                size_t comma = n.text().find(',', start);
                std::string part = n.text().substr(
                    start, comma == std::string::npos ? std::string::npos : comma - start);
                E v{};
                read(
                    ConfigNode::scalar(part, n.quoted() && std::is_same_v<E, std::string>, n.loc()),
                    fmt::format("{}[{}]", path, out.size()), v);
                out.push_back(std::move(v));
                if (comma == std::string::npos) break;
                start = comma + 1;
            }
        } else {
            error(n, path, "a list");
        }
    }

    const ConfigNode& node_;
    std::string path_;
    std::vector<std::string>* errors_;
    std::vector<std::string> seen_;
};

// Writes a struct's current values into a map node (for printing the resolved config and
// for saving it beside a run).
class ConfigWriter {
public:
    explicit ConfigWriter(ConfigNode* out) : out_(out) {}

    template <class T>
    void field(const char* key, const T& value, const char* help = "") {
        (void)help;
        out_->set(key, to_node(value));
    }
    template <class T>
    void required(const char* key, const T& value, const char* help = "") {
        field(key, value, help);
    }
    void one_of(const char* key, const std::string& value, std::initializer_list<const char*>,
                const char* help = "") {
        field(key, value, help);
    }

    template <class T>
    static ConfigNode to_node(const T& v) {
        using namespace config_detail;
        SourceLoc none;
        if constexpr (std::is_same_v<T, bool>) {
            return ConfigNode::scalar(v ? "true" : "false", false, none);
        } else if constexpr (std::is_integral_v<T>) {
            return ConfigNode::scalar(std::to_string(v), false, none);
        } else if constexpr (std::is_floating_point_v<T>) {
            return ConfigNode::scalar(fmt::format("{}", v), false, none);
        } else if constexpr (std::is_same_v<T, std::string>) {
            return ConfigNode::scalar(v, true, none);
        } else if constexpr (is_optional<T>::value) {
            return v ? to_node(*v) : ConfigNode::null_value(none);
        } else if constexpr (is_vector<T>::value) {
            ConfigNode l = ConfigNode::list(none);
            for (const auto& item : v) l.append(to_node(item));
            return l;
        } else if constexpr (is_string_map<T>::value) {
            ConfigNode m = ConfigNode::map(none);
            for (const auto& [k, item] : v) m.set(k, to_node(item));
            return m;
        } else {
            ConfigNode m = ConfigNode::map(none);
            ConfigWriter w(&m);
            const_cast<T&>(v).visit(w);  // visit() only reads through a writer
            return m;
        }
    }

private:
    ConfigNode* out_;
};

// Binds a whole tree to a fresh T (its defaults, then the tree on top). All problems are
// reported at once in one kInvalidArgument status, one per line.
template <class T>
Result<T> bind_config(const ConfigNode& root) {
    T out{};
    // An empty document is an empty map: defaults, and required keys are still reported.
    const ConfigNode empty = ConfigNode::map(root.loc());
    const ConfigNode& node = root.is_null() ? empty : root;
    std::vector<std::string> errors;
    if (!node.is_map()) {
        return Status::invalid_argument(
            fmt::format("the configuration must be a map of keys, got {}{}", root.describe(),
                        config_detail::where(root)));
    }
    ConfigReader reader(node, "", &errors);
    out.visit(reader);
    reader.finish();
    if (!errors.empty()) {
        std::string msg = errors.front();
        for (size_t i = 1; i < errors.size(); ++i) msg += "\n" + errors[i];
        return Status::invalid_argument(msg);
    }
    return out;
}

// The resolved config as YAML text, for printing before a command starts work.
template <class T>
std::string config_to_yaml(const T& config) {
    return ConfigWriter::to_node(config).to_yaml();
}

}  // namespace jenny::base
