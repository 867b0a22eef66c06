#include "jenny/base/config_bind.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace jenny::base {
namespace config_detail {

std::string where(const ConfigNode& n) {
    std::string loc = n.loc().to_string();
    return loc.empty() ? "" : " (" + loc + ")";
}

std::string closest_key(const std::string& key, const std::vector<std::string>& candidates) {
    std::string best;
    size_t best_dist = std::string::npos;
    for (const std::string& c : candidates) {
        // Levenshtein distance, small strings only.
        std::vector<size_t> prev(c.size() + 1), cur(c.size() + 1);
        for (size_t j = 0; j <= c.size(); ++j) prev[j] = j;
        for (size_t i = 1; i <= key.size(); ++i) {
            cur[0] = i;
            for (size_t j = 1; j <= c.size(); ++j) {
                size_t sub = prev[j - 1] + (key[i - 1] == c[j - 1] ? 0 : 1);
                cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
            }
            std::swap(prev, cur);
        }
        if (prev[c.size()] < best_dist) {
            best_dist = prev[c.size()];
            best = c;
        }
    }
    const size_t limit = std::max<size_t>(2, key.size() / 3);
    return best_dist <= limit ? best : "";
}

std::optional<bool> parse_bool(const ConfigNode& n) {
    if (!n.is_scalar()) return std::nullopt;
    std::string t = n.text();
    std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
    if (t == "true" || t == "yes" || t == "on" || t == "1") return true;
    if (t == "false" || t == "no" || t == "off" || t == "0") return false;
    return std::nullopt;
}

std::optional<double> parse_double(const ConfigNode& n) {
    if (!n.is_scalar() || n.text().empty()) return std::nullopt;
    std::string t = n.text();
    t.erase(std::remove(t.begin(), t.end(), '_'), t.end());
    const char* b = t.c_str();
    if (*b == '+') ++b;
    double v = 0;
    auto [ptr, ec] = std::from_chars(b, t.c_str() + t.size(), v);
    if (ec != std::errc() || ptr != t.c_str() + t.size()) {
        // YAML spellings of the special values.
        if (t == ".inf" || t == "+.inf") return std::numeric_limits<double>::infinity();
        if (t == "-.inf") return -std::numeric_limits<double>::infinity();
        if (t == ".nan") return std::numeric_limits<double>::quiet_NaN();
        return std::nullopt;
    }
    return v;
}

std::optional<long double> parse_integer(const ConfigNode& n) {
    if (!n.is_scalar() || n.text().empty()) return std::nullopt;
    std::string t = n.text();
    t.erase(std::remove(t.begin(), t.end(), '_'), t.end());
    const char* b = t.c_str();
    if (*b == '+') ++b;
    long long v = 0;
    auto [ptr, ec] = std::from_chars(b, t.c_str() + t.size(), v);
    if (ec == std::errc() && ptr == t.c_str() + t.size()) return static_cast<long double>(v);
    unsigned long long u = 0;
    auto [uptr, uec] = std::from_chars(b, t.c_str() + t.size(), u);
    if (uec == std::errc() && uptr == t.c_str() + t.size()) return static_cast<long double>(u);
    // "1e6" is an integer too when it is a whole number.
    std::optional<double> d = parse_double(n);
    if (d && std::isfinite(*d) && *d == std::floor(*d) && std::fabs(*d) < 9.007199254740992e15) {
        return static_cast<long double>(*d);
    }
    return std::nullopt;
}

}  // namespace config_detail

ConfigReader::ConfigReader(const ConfigNode& node, std::string path,
                           std::vector<std::string>* errors)
    : node_(node), path_(std::move(path)), errors_(errors) {}

std::string ConfigReader::missing_where() const {
    if (node_.loc().file.empty()) return "";
    if (path_.empty()) return fmt::format(" (in {})", node_.loc().file);
    return fmt::format(" (section '{}' at {})", path_, node_.loc().to_string());
}

void ConfigReader::error(const ConfigNode& n, const std::string& path,
                         const std::string& expected) {
    errors_->push_back(fmt::format("{}: expected {}, got {}{}", path, expected, n.describe(),
                                   config_detail::where(n)));
}

void ConfigReader::one_of(const char* key, std::string& out,
                          std::initializer_list<const char*> choices, const char* help) {
    std::string value = out;
    field(key, value, help);
    for (const char* c : choices) {
        if (value == c) {
            out = value;
            return;
        }
    }
    std::string list;
    for (const char* c : choices) list += (list.empty() ? "" : ", ") + std::string(c);
    const ConfigNode* n = node_.find(key);
    errors_->push_back(fmt::format("{}: expected one of {}, got \"{}\"{}", join(key), list, value,
                                   n ? config_detail::where(*n) : ""));
}

void ConfigReader::finish() {
    if (!node_.is_map()) return;
    for (const auto& e : node_.entries()) {
        if (std::find(seen_.begin(), seen_.end(), e.key) != seen_.end()) continue;
        std::string hint = config_detail::closest_key(e.key, seen_);
        std::string msg =
            fmt::format("{}: unknown key{}", join(e.key.c_str()), config_detail::where(e.value));
        if (!hint.empty()) {
            msg += fmt::format("; did you mean '{}'?", hint);
        } else {
            std::string all;
            for (const auto& s : seen_) all += (all.empty() ? "" : ", ") + s;
            msg += fmt::format("; valid keys here: {}", all);
        }
        errors_->push_back(msg);
    }
}

}  // namespace jenny::base
