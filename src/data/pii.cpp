#include "jenny/data/pii.h"

#include <algorithm>
#include <array>
#include <optional>

namespace jenny::data {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_alnum(char c) { return is_digit(c) || is_alpha(c); }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

int hex_value(char c) {
    if (is_digit(c)) return c - '0';
    return lower(c) - 'a' + 10;
}

// No letter or digit (or '_') touches position `i` from the left.
bool left_boundary(std::string_view t, size_t i) {
    return i == 0 || !(is_alnum(t[i - 1]) || t[i - 1] == '_');
}
bool right_boundary(std::string_view t, size_t i) {
    return i >= t.size() || !(is_alnum(t[i]) || t[i] == '_');
}

// ---------------------------------------------------------------- email

bool is_local_char(char c) {
    return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

void find_emails(std::string_view t, std::vector<PiiMatch>* out) {
    size_t at = t.find('@');
    while (at != std::string_view::npos) {
        size_t b = at;
        while (b > 0 && is_local_char(t[b - 1]) && at - (b - 1) <= 64) --b;
        while (b < at && t[b] == '.') ++b;
        const bool local_ok = b < at && t[at - 1] != '.' && left_boundary(t, b);
        // Domain: labels of [A-Za-z0-9-] joined by single dots.
        size_t e = at + 1;
        size_t labels = 0;
        size_t last_label_begin = e;
        size_t end = at + 1;
        for (;;) {
            size_t s = e;
            while (e < t.size() && (is_alnum(t[e]) || t[e] == '-')) ++e;
            if (e == s || t[s] == '-' || t[e - 1] == '-') break;
            ++labels;
            last_label_begin = s;
            end = e;
            if (e + 1 < t.size() && t[e] == '.' && is_alnum(t[e + 1])) {
                ++e;
                continue;
            }
            break;
        }
        bool tld_ok = labels >= 2 && end - last_label_begin >= 2;
        for (size_t k = last_label_begin; tld_ok && k < end; ++k) tld_ok = is_alpha(t[k]);
        if (local_ok && tld_ok && right_boundary(t, end)) {
            out->push_back({b, end, PiiKind::kEmail});
        }
        at = t.find('@', at + 1);
    }
}

// ---------------------------------------------------------------- IP

// Parses a dotted quad at i; returns its end.
std::optional<size_t> parse_ipv4(std::string_view t, size_t i, std::array<int, 4>* octets) {
    size_t p = i;
    for (int k = 0; k < 4; ++k) {
        if (k > 0) {
            if (p >= t.size() || t[p] != '.') return std::nullopt;
            ++p;
        }
        const size_t s = p;
        int v = 0;
        while (p < t.size() && is_digit(t[p]) && p - s < 4) v = v * 10 + (t[p++] - '0');
        const size_t len = p - s;
        if (len == 0 || len > 3 || v > 255 || (len > 1 && t[s] == '0')) return std::nullopt;
        (*octets)[k] = v;
    }
    return p;
}

bool ipv4_is_public(const std::array<int, 4>& o) {
    const int a = o[0], b = o[1], c = o[2];
    if (a == 0 || a == 10 || a == 127 || a >= 224) return false;
    if (a == 100 && b >= 64 && b <= 127) return false;
    if (a == 169 && b == 254) return false;
    if (a == 172 && b >= 16 && b <= 31) return false;
    if (a == 192 && b == 168) return false;
    if (a == 192 && b == 0 && (c == 0 || c == 2)) return false;
    if (a == 198 && (b == 18 || b == 19)) return false;
    if (a == 198 && b == 51 && c == 100) return false;
    if (a == 203 && b == 0 && c == 113) return false;
    return true;
}

// The word before position i (skipping spaces and ':'), lowercased.
std::string word_before(std::string_view t, size_t i) {
    size_t e = i;
    while (e > 0 && i - e < 4 && (t[e - 1] == ' ' || t[e - 1] == ':')) --e;
    size_t b = e;
    while (b > 0 && e - b < 12 && is_alpha(t[b - 1])) --b;
    std::string w(t.substr(b, e - b));
    for (char& c : w) c = lower(c);
    return w;
}

bool after_version_word(std::string_view t, size_t i) {
    static constexpr std::array<std::string_view, 6> kWords = {"version", "ver", "release",
                                                               "build",   "rev", "revision"};
    const std::string w = word_before(t, i);
    return std::find(kWords.begin(), kWords.end(), w) != kWords.end();
}

void find_ipv4(std::string_view t, size_t i, const PiiOptions& o, std::vector<PiiMatch>* out) {
    if (!is_digit(t[i]) || !left_boundary(t, i) || (i > 0 && t[i - 1] == '.')) return;
    std::array<int, 4> octets{};
    const std::optional<size_t> end = parse_ipv4(t, i, &octets);
    if (!end || !right_boundary(t, *end)) return;
    if (*end + 1 < t.size() && t[*end] == '.' && is_digit(t[*end + 1])) return;  // 5 parts
    if (after_version_word(t, i)) return;
    if (o.ip_public_only && !ipv4_is_public(octets)) return;
    out->push_back({i, *end, PiiKind::kIp});
}

void find_ipv6(std::string_view t, size_t i, const PiiOptions& o, std::vector<PiiMatch>* out) {
    if (!(is_hex(t[i]) || t[i] == ':') || !left_boundary(t, i)) return;
    if (i > 0 && (t[i - 1] == ':' || t[i - 1] == '.')) return;
    std::vector<uint32_t> head, tail;  // groups before and after "::"
    bool compressed = false;
    bool decimal = false;  // "dead::beef" is a word pair, not an address
    int digits = 0;
    size_t p = i;
    size_t end = i;
    if (t.substr(p, 2) == "::") {
        compressed = true;
        p += 2;
        end = p;
    }
    for (;;) {
        std::vector<uint32_t>& groups = compressed ? tail : head;
        const size_t s = p;
        while (p < t.size() && is_hex(t[p]) && p - s <= 4) ++p;
        const size_t len = p - s;
        if (len == 0) break;
        if (len > 4) return;
        // An IPv4 tail: "::ffff:192.0.2.1".
        std::array<int, 4> q{};
        const std::optional<size_t> v4_end =
            p + 1 < t.size() && t[p] == '.' ? parse_ipv4(t, s, &q) : std::nullopt;
        if (v4_end) {
            if (head.size() + tail.size() > 6) return;
            groups.push_back(static_cast<uint32_t>(q[0] << 8 | q[1]));
            groups.push_back(static_cast<uint32_t>(q[2] << 8 | q[3]));
            decimal = true;
            end = *v4_end;
            break;
        }
        for (size_t k = s; k < p; ++k) decimal = decimal || is_digit(t[k]);
        uint32_t v = 0;
        for (size_t k = s; k < p; ++k) v = v << 4 | static_cast<uint32_t>(hex_value(t[k]));
        groups.push_back(v);
        digits += static_cast<int>(len);
        end = p;
        if (head.size() + tail.size() > 8) return;
        if (t.substr(p, 2) == "::") {
            if (compressed) break;
            compressed = true;
            p += 2;
            end = p;
            continue;
        }
        if (p + 1 < t.size() && t[p] == ':' && is_hex(t[p + 1])) {
            ++p;
            continue;
        }
        break;
    }
    const size_t n = head.size() + tail.size();
    const bool ok = compressed ? n <= 7 && (n >= 3 || (digits >= 5 && decimal)) : n == 8;
    if (!ok || !right_boundary(t, end) || (end < t.size() && t[end] == ':')) return;
    if (o.ip_public_only) {
        std::array<uint32_t, 8> g{};
        for (size_t k = 0; k < head.size(); ++k) g[k] = head[k];
        for (size_t k = 0; k < tail.size(); ++k) g[8 - tail.size() + k] = tail[k];
        bool all_zero_but_last = true;
        for (int k = 0; k < 7; ++k) all_zero_but_last = all_zero_but_last && g[k] == 0;
        if (all_zero_but_last && g[7] <= 1) return;    // :: and ::1
        if ((g[0] & 0xffc0) == 0xfe80) return;         // link-local
        if ((g[0] & 0xfe00) == 0xfc00) return;         // unique local
        if ((g[0] & 0xff00) == 0xff00) return;         // multicast
        if (g[0] == 0x2001 && g[1] == 0x0db8) return;  // documentation
        bool mapped = g[5] == 0xffff;                  // ::ffff:a.b.c.d
        for (int k = 0; k < 5; ++k) mapped = mapped && g[k] == 0;
        if (mapped && !ipv4_is_public({static_cast<int>(g[6] >> 8), static_cast<int>(g[6] & 255),
                                       static_cast<int>(g[7] >> 8), 0})) {
            return;
        }
    }
    out->push_back({i, end, PiiKind::kIp});
}

// ---------------------------------------------------------------- digit groups

// A run of digit groups such as "(415) 555-2671" or "4111 1111 1111 1111".
struct Groups {
    std::vector<std::string_view> digits;  // each group's digits
    std::vector<char> seps;                // separator before group k (0 for the first)
    bool first_in_parens = false;
    size_t end = 0;
    int total = 0;
};

// Scans groups from i: digits, or "(digits)", separated by one of " -./" (or nothing after a
// closing parenthesis). Gives up (nullopt) on more than 8 groups or 20 digits: that is a list
// of numbers, not one.
std::optional<Groups> scan_groups(std::string_view t, size_t i) {
    Groups g;
    size_t p = i;
    char sep = 0;
    for (;;) {
        const bool paren = p < t.size() && t[p] == '(';
        size_t s = paren ? p + 1 : p;
        size_t e = s;
        while (e < t.size() && is_digit(t[e])) ++e;
        if (e == s || (paren && (e >= t.size() || t[e] != ')'))) break;
        if (paren && !g.digits.empty() && sep != ' ' && sep != 0) break;
        g.digits.push_back(t.substr(s, e - s));
        g.seps.push_back(sep);
        if (paren && g.digits.size() == 1) g.first_in_parens = true;
        g.total += static_cast<int>(e - s);
        p = paren ? e + 1 : e;
        g.end = p;
        if (g.digits.size() > 8 || g.total > 20) return std::nullopt;
        if (paren && p < t.size() && (is_digit(t[p]) || t[p] == '(')) {
            sep = 0;  // "(415)555-2671"
            continue;
        }
        if (p + 1 < t.size() && (t[p] == ' ' || t[p] == '-' || t[p] == '.' || t[p] == '/') &&
            (is_digit(t[p + 1]) || t[p + 1] == '(')) {
            sep = t[p];
            ++p;
            continue;
        }
        break;
    }
    if (g.digits.empty()) return std::nullopt;
    // A digit, letter or "-digit" right after the last group means it is part of something
    // larger (and the scan above stopped for a reason such as a ")" without "(").
    if (!right_boundary(t, g.end)) return std::nullopt;
    return g;
}

bool separators_agree(const Groups& g, size_t from) {
    for (size_t k = from + 1; k < g.seps.size(); ++k) {
        if (g.seps[k] != g.seps[from]) return false;
    }
    return true;
}

// ---------------------------------------------------------------- phones

bool nanp_body(const Groups& g, size_t k) {  // groups k, k+1, k+2 are 3-3-4
    if (g.digits.size() != k + 3) return false;
    const auto& d = g.digits;
    if (d[k].size() != 3 || d[k + 1].size() != 3 || d[k + 2].size() != 4) return false;
    if (d[k][0] < '2' || d[k + 1][0] < '2') return false;
    const char s1 = g.seps[k + 1], s2 = g.seps[k + 2];
    if (s2 != '-' && s2 != '.' && s2 != ' ') return false;
    const bool parens = (k == 0 && g.first_in_parens) || (k > 0 && d[k].data()[-1] == '(');
    if (parens) return s1 == ' ' || s1 == 0;
    return s1 == s2 && (s1 == '-' || s1 == '.');
}

bool is_phone(std::string_view t, size_t i, const Groups& g) {
    const auto& d = g.digits;
    if (t[i] == '+') {  // international: "+CC ..."
        if (g.first_in_parens || d[0].size() > 3 || d[0][0] == '0') {
            return g.total >= 8 && g.total <= 15 && d.size() == 1 && d[0][0] != '0';
        }
        return g.total >= 8 && g.total <= 16;
    }
    // Chinese mobile: 1[3-9]x xxxx xxxx, contiguous or 3-4-4.
    if (g.total == 11 && d[0][0] == '1' && d[0].size() >= 2 && d[0][1] >= '3') {
        if (d.size() == 1) return true;
        if (d.size() == 3 && d[0].size() == 3 && d[1].size() == 4 && separators_agree(g, 1) &&
            (g.seps[1] == ' ' || g.seps[1] == '-')) {
            return true;
        }
    }
    // NANP, optionally with a leading "1".
    if (nanp_body(g, 0)) return true;
    if (d.size() == 4 && d[0] == "1" &&
        (g.seps[1] == '-' || g.seps[1] == ' ' || g.seps[1] == '.') && nanp_body(g, 1)) {
        return true;
    }
    // European national: trunk 0, two or more groups, one separator kind, 9-12 digits
    // (13 with an international "00" prefix).
    if (d[0][0] == '0' && d.size() >= 2 && d[0].size() >= 2 && d[0].size() <= 5) {
        const bool intl = d[0].substr(0, 2) == "00";
        // After the trunk 0 (or the "00" international prefix) comes a non-zero digit.
        const std::string_view rest = intl ? d[0].substr(2) : d[0].substr(1);
        const char lead = rest.empty() ? d[1][0] : rest[0];
        if (lead == '0') return false;
        if (g.total < 9 || g.total > (intl ? 13 : 12)) return false;
        const size_t from = g.first_in_parens ? 2 : 1;
        if (from < g.seps.size() && !separators_agree(g, from)) return false;
        for (size_t k = 1; k < d.size(); ++k) {
            if (d[k].size() < 2) return false;
        }
        return true;
    }
    return false;
}

// ---------------------------------------------------------------- IDs

bool cn_resident_id(std::string_view s) {  // 18 chars: 17 digits + check
    static constexpr std::array<int, 17> kWeights = {7, 9, 10, 5,  8, 4, 2, 1, 6,
                                                     3, 7, 9,  10, 5, 8, 4, 2};
    static constexpr char kCheck[] = "10X98765432";
    int sum = 0;
    for (int k = 0; k < 17; ++k) sum += (s[k] - '0') * kWeights[k];
    if (lower(s[17]) != lower(kCheck[sum % 11])) return false;
    const int year = std::stoi(std::string(s.substr(6, 4)));
    const int month = std::stoi(std::string(s.substr(10, 2)));
    const int day = std::stoi(std::string(s.substr(12, 2)));
    return year >= 1900 && year <= 2099 && month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

bool luhn(std::string_view digits) {
    int sum = 0;
    bool twice = false;
    for (size_t k = digits.size(); k-- > 0;) {
        int v = digits[k] - '0';
        if (twice) v = v * 2 > 9 ? v * 2 - 9 : v * 2;
        sum += v;
        twice = !twice;
    }
    return sum % 10 == 0;
}

bool known_issuer(std::string_view d) {
    auto prefix = [&](size_t n) { return std::stoi(std::string(d.substr(0, n))); };
    const size_t n = d.size();
    if (d[0] == '4') return n == 13 || n == 16 || n == 19;  // Visa
    const int p2 = prefix(2), p4 = prefix(4), p3 = prefix(3);
    if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n == 16;  // Mastercard
    if (p2 == 34 || p2 == 37) return n == 15;                                  // Amex
    if (p4 == 6011 || p2 == 65 || (p3 >= 644 && p3 <= 649)) return n >= 16;    // Discover
    if (p2 == 35) return n >= 16;                                              // JCB
    if (p2 == 36 || p2 == 38 || (p3 >= 300 && p3 <= 305)) return n >= 14;      // Diners
    if (p2 == 62) return n >= 16;                                              // UnionPay
    return false;
}

bool is_card(const Groups& g) {
    if (g.total < 13 || g.total > 19) return false;
    std::vector<size_t> lens;
    for (auto d : g.digits) lens.push_back(d.size());
    if (lens.size() > 1) {
        if (g.first_in_parens || (g.seps[1] != ' ' && g.seps[1] != '-') ||
            !separators_agree(g, 1)) {
            return false;
        }
        const bool fours =
            std::all_of(lens.begin(), lens.end() - 1, [](size_t l) { return l == 4; }) &&
            lens.size() >= 4 && (lens.back() == 4 || lens.back() == 3);
        const bool amex_like =
            lens.size() == 3 && lens[0] == 4 && lens[1] == 6 && (lens[2] == 5 || lens[2] == 4);
        if (!fours && !amex_like) return false;
    }
    std::string all;
    for (auto d : g.digits) all += d;
    return luhn(all) && known_issuer(all);
}

bool is_id(const Groups& g) {
    const auto& d = g.digits;
    if (d.size() == 1 && d[0].size() == 18 && cn_resident_id(d[0])) return true;
    if (d.size() == 3 && d[0].size() == 3 && d[1].size() == 2 && d[2].size() == 4 &&
        !g.first_in_parens && g.seps[1] == '-' && g.seps[2] == '-') {
        return d[0] != "000" && d[0] != "666" && d[0][0] != '9' && d[1] != "00" && d[2] != "0000";
    }
    return is_card(g);
}

void find_numbers(std::string_view t, size_t i, const PiiOptions& o, std::vector<PiiMatch>* out) {
    const char c = t[i];
    if (!(is_digit(c) || c == '(' || c == '+') || !left_boundary(t, i)) return;
    if (i > 0 && (t[i - 1] == '-' || t[i - 1] == '.' || t[i - 1] == '/' || t[i - 1] == '+')) {
        return;  // the middle of something larger: "12-415-555-2671", "1.415..."
    }
    if (c == '+') {
        if (!o.phone || i + 1 >= t.size() || !is_digit(t[i + 1])) return;
        std::optional<Groups> g = scan_groups(t, i + 1);
        if (g && is_phone(t, i, *g)) out->push_back({i, g->end, PiiKind::kPhone});
        return;
    }
    std::optional<Groups> g = scan_groups(t, i);
    if (!g) {
        // A Chinese resident ID whose check character is X ends in a letter.
        if (o.id && is_digit(c)) {
            size_t e = i;
            while (e < t.size() && is_digit(t[e])) ++e;
            if (e - i == 17 && e < t.size() && lower(t[e]) == 'x' && right_boundary(t, e + 1) &&
                cn_resident_id(t.substr(i, 18))) {
                out->push_back({i, e + 1, PiiKind::kId});
            }
        }
        return;
    }
    if (o.id && is_id(*g)) {
        out->push_back({i, g->end, PiiKind::kId});
    } else if (o.phone && is_phone(t, i, *g)) {
        out->push_back({i, g->end, PiiKind::kPhone});
    }
}

const std::string& token_for(PiiKind kind, const PiiOptions& o) {
    switch (kind) {
        case PiiKind::kEmail:
            return o.email_token;
        case PiiKind::kIp:
            return o.ip_token;
        case PiiKind::kPhone:
            return o.phone_token;
        case PiiKind::kId:
            break;
    }
    return o.id_token;
}

}  // namespace

std::vector<PiiMatch> find_pii(std::string_view text, const PiiOptions& options) {
    std::vector<PiiMatch> all;
    if (options.email) find_emails(text, &all);
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (!(is_hex(c) || c == ':' || c == '(' || c == '+')) continue;
        if (options.ip) {
            find_ipv4(text, i, options, &all);
            find_ipv6(text, i, options, &all);
        }
        if (options.phone || options.id) find_numbers(text, i, options, &all);
    }
    std::sort(all.begin(), all.end(), [](const PiiMatch& a, const PiiMatch& b) {
        return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
    });
    std::vector<PiiMatch> kept;
    for (const PiiMatch& m : all) {
        if (kept.empty() || m.begin >= kept.back().end) kept.push_back(m);
    }
    return kept;
}

PiiCounts scrub_pii(std::string* text, const PiiOptions& options) {
    PiiCounts counts;
    const std::vector<PiiMatch> matches = find_pii(*text, options);
    if (matches.empty()) return counts;
    std::string out;
    out.reserve(text->size());
    size_t at = 0;
    for (const PiiMatch& m : matches) {
        out.append(*text, at, m.begin - at);
        out += token_for(m.kind, options);
        at = m.end;
        switch (m.kind) {
            case PiiKind::kEmail:
                ++counts.email;
                break;
            case PiiKind::kIp:
                ++counts.ip;
                break;
            case PiiKind::kPhone:
                ++counts.phone;
                break;
            case PiiKind::kId:
                ++counts.id;
                break;
        }
    }
    out.append(*text, at, std::string::npos);
    *text = std::move(out);
    return counts;
}

}  // namespace jenny::data
