// ConfigNode: a parsed YAML or JSON configuration as a tree that remembers where each value
// came from (file and line, or the command-line flag), so that binding it to a typed struct
// (config_bind.h) can say exactly what is wrong and where:
//   train.lr_max: expected a number, got "abc" (config.yaml:12)
//
// Maps keep their keys in file order. Scalars keep their text and whether they were quoted
// ("3" is a string, 3 is a number). Thread-compatible value type.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "jenny/base/env.h"
#include "jenny/base/result.h"

namespace jenny::base {

struct SourceLoc {
    std::string file;  // a path, or a flag such as "--set lr=1" or "--lr-max"
    int line = 0;      // 1-based; 0 when the source has no lines (flags)
    // "config.yaml:12", or the flag text.
    std::string to_string() const;
};

class ConfigNode {
public:
    enum class Kind { kNull, kScalar, kMap, kList };
    struct Entry;

    ConfigNode() = default;  // null
    static ConfigNode null_value(SourceLoc loc);
    static ConfigNode scalar(std::string text, bool quoted, SourceLoc loc);
    static ConfigNode map(SourceLoc loc);
    static ConfigNode list(SourceLoc loc);

    Kind kind() const { return kind_; }
    bool is_null() const { return kind_ == Kind::kNull; }
    bool is_scalar() const { return kind_ == Kind::kScalar; }
    bool is_map() const { return kind_ == Kind::kMap; }
    bool is_list() const { return kind_ == Kind::kList; }
    const SourceLoc& loc() const { return loc_; }
    // Gives this node and everything under it the location `loc`.
    void relocate(const SourceLoc& loc);

    // Scalars.
    const std::string& text() const { return text_; }
    bool quoted() const { return quoted_; }

    // Maps: entries in order; find() returns null when absent; set() replaces or appends.
    const std::vector<Entry>& entries() const { return entries_; }
    const ConfigNode* find(std::string_view key) const;
    ConfigNode* find(std::string_view key);
    ConfigNode& set(std::string key, ConfigNode value);

    // Lists.
    const std::vector<ConfigNode>& items() const { return items_; }
    void append(ConfigNode item);

    // How the value reads in an error message: "abc" (quoted), 12, a list, a map, null.
    std::string describe() const;
    // Block-style YAML, indented by `indent` spaces; strings quoted only where needed.
    std::string to_yaml(int indent = 0) const;

private:
    Kind kind_ = Kind::kNull;
    SourceLoc loc_;
    std::string text_;
    bool quoted_ = false;
    std::vector<Entry> entries_;
    std::vector<ConfigNode> items_;
};

struct ConfigNode::Entry {
    std::string key;
    ConfigNode value;
};

// Defined after Entry is complete (clang with libstdc++ needs it for the vector members).
inline void ConfigNode::append(ConfigNode item) { items_.push_back(std::move(item)); }

// Parse a whole document. `file` names it in locations and errors. Syntax errors are
// kInvalidArgument: "config.yaml:3:7: YAML syntax error: ...". Duplicate keys are errors.
Result<ConfigNode> parse_yaml(std::string_view text, const std::string& file);
Result<ConfigNode> parse_json(std::string_view text, const std::string& file);
// Reads a file and parses it as JSON when it ends in .json, else as YAML.
Result<ConfigNode> load_config_file(const std::string& path, Env* env = Env::Default());

// Applies "a.b.c=value" to a map tree: the value is parsed as a YAML scalar or flow
// collection ("1e-3", "abc", "[1, 2]", "true"); intermediate maps are created. `source`
// names the override in errors (default: "--set <assignment>").
Status apply_override(ConfigNode& root, std::string_view assignment, std::string source = "");

}  // namespace jenny::base
