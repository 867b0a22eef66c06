#include "data/word_split.h"

#include <algorithm>
#include <array>
#include <bitset>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "data/py_text.h"
#include "data/text_chars.h"

namespace jenny::data {

namespace {

using Str = std::u32string_view;

bool ascii_digit(char32_t c) { return c >= '0' && c <= '9'; }
bool py_digit(char32_t c) {
    return ascii_digit(c) || (c >= 0x80 && in_class(CharClass::kPyDigit, c));
}
bool alpha(char32_t c) { return in_class(CharClass::kSpacyAlpha, c); }

// ---- one alternative of spaCy's affix regexes; s[a, b) is the string the regex sees ----

// Length matched by prefix piece `p` at the start of s[a, b), or 0.
size_t prefix_piece_len(const Piece& p, Str s, size_t a, size_t b) {
    switch (p.kind) {
        case PieceKind::kLiteral:
            return starts_with(s.substr(a, b - a), p.literal) ? p.literal.size() : 0;
        case PieceKind::kPlusNotDigit:
            return s[a] == '+' && !(a + 1 < b && ascii_digit(s[a + 1])) ? 1 : 0;
        case PieceKind::kDots: {
            size_t e = a;
            while (e < b && s[e] == '.') ++e;
            return e - a >= 2 ? e - a : 0;
        }
        case PieceKind::kIcon:
            return in_class(CharClass::kSpacyIcon, s[a]) ? 1 : 0;
        default:
            return 0;
    }
}

bool equals_one_of(Str s, std::span<const Str> options) {
    return std::find(options.begin(), options.end(), s) != options.end();
}

// Whether suffix piece `p` matches exactly s[i, b); lookbehinds see s[a, i) only.
bool suffix_piece_matches(const Piece& p, Str s, size_t a, size_t i, size_t b) {
    size_t len = b - i;
    char32_t c = s[i];
    char32_t before = i > a ? s[i - 1] : 0;
    bool has_before = i > a;
    switch (p.kind) {
        case PieceKind::kLiteral:
            return len == p.literal.size() && s.substr(i, len) == p.literal;
        case PieceKind::kDots:
            return len >= 2 &&
                   std::all_of(s.begin() + i, s.begin() + b, [](char32_t x) { return x == '.'; });
        case PieceKind::kIcon:
            return len == 1 && in_class(CharClass::kSpacyIcon, c);
        case PieceKind::kPlusAfterDigit:
            return len == 1 && c == '+' && has_before && ascii_digit(before);
        case PieceKind::kDotAfterDegree:
            return len == 1 && c == '.' && i >= a + 2 && s[i - 2] == U'\u00B0' &&
                   Str(U"FfCcKk").find(before) != Str::npos;
        case PieceKind::kCurrencyAfterDigit:
            return has_before && ascii_digit(before) &&
                   equals_one_of(s.substr(i, len), spacy_currencies());
        case PieceKind::kUnitAfterDigit:
            return has_before && ascii_digit(before) &&
                   equals_one_of(s.substr(i, len), spacy_units());
        case PieceKind::kDotAfterLowerEtc:
            return len == 1 && c == '.' && has_before &&
                   in_class(CharClass::kSpacyDotAfter, before);
        case PieceKind::kDotAfterTwoUpper:
            return len == 1 && c == '.' && i >= a + 2 &&
                   in_class(CharClass::kSpacyUpper, s[i - 2]) &&
                   in_class(CharClass::kSpacyUpper, before);
        default:
            return false;
    }
}

// Length matched by infix piece `p` at s[i] inside s[a, b), or 0.
size_t infix_piece_len(const Piece& p, Str s, size_t a, size_t i, size_t b) {
    char32_t c = s[i];
    bool has_before = i > a;
    char32_t before = has_before ? s[i - 1] : 0;
    bool has_after = i + 1 < b;
    char32_t after = has_after ? s[i + 1] : 0;
    switch (p.kind) {
        case PieceKind::kLiteral:
            return starts_with(s.substr(i, b - i), p.literal) ? p.literal.size() : 0;
        case PieceKind::kDots:
            return prefix_piece_len(p, s, i, b);
        case PieceKind::kIcon:
            return in_class(CharClass::kSpacyIcon, c) ? 1 : 0;
        case PieceKind::kArithBetweenDigits:
            return has_before && ascii_digit(before) && Str(U"+-*^").find(c) != Str::npos &&
                           has_after && (ascii_digit(after) || after == '-')
                       ? 1
                       : 0;
        case PieceKind::kDotLowerUpper:
            return has_before && in_class(CharClass::kSpacyLowerQuote, before) && c == '.' &&
                           has_after && in_class(CharClass::kSpacyUpperQuote, after)
                       ? 1
                       : 0;
        case PieceKind::kCommaBetweenAlpha:
            return has_before && alpha(before) && c == ',' && has_after && alpha(after) ? 1 : 0;
        case PieceKind::kHyphenBeforeAlpha:
            if (!has_before || !(alpha(before) || ascii_digit(before))) return 0;
            for (Str h : spacy_hyphens()) {
                if (starts_with(s.substr(i, b - i), h) && i + h.size() < b &&
                    alpha(s[i + h.size()])) {
                    return h.size();
                }
            }
            return 0;
        case PieceKind::kColonEtcBeforeAlpha:
            return has_before && (alpha(before) || ascii_digit(before)) &&
                           Str(U":<>=/").find(c) != Str::npos && has_after && alpha(after)
                       ? 1
                       : 0;
        default:
            return 0;
    }
}

// Characters that can start a prefix match: first characters of the literal pieces, '+', '.'.
const std::vector<char32_t>& prefix_first_chars() {
    static const std::vector<char32_t> firsts = [] {
        std::vector<char32_t> v = {U'+', U'.'};
        for (const Piece& p : spacy_prefix_pieces()) {
            if (p.kind == PieceKind::kLiteral) v.push_back(p.literal[0]);
        }
        std::sort(v.begin(), v.end());
        v.erase(std::unique(v.begin(), v.end()), v.end());
        return v;
    }();
    return firsts;
}

// The longest fixed-length suffix alternative (literals, currencies, units); only "\.\.+" is
// longer.
size_t max_fixed_suffix_len() {
    static const size_t n = [] {
        size_t m = 1;
        for (const Piece& p : spacy_suffix_pieces()) m = std::max(m, p.literal.size());
        for (Str c : spacy_currencies()) m = std::max(m, c.size());
        for (Str u : spacy_units()) m = std::max(m, u.size());
        return m;
    }();
    return n;
}

size_t find_prefix(Str s, size_t a, size_t b) {
    if (a >= b) return 0;
    const std::vector<char32_t>& firsts = prefix_first_chars();
    if (!std::binary_search(firsts.begin(), firsts.end(), s[a]) &&
        !in_class(CharClass::kSpacyIcon, s[a])) {
        return 0;
    }
    for (const Piece& p : spacy_prefix_pieces()) {
        if (size_t n = prefix_piece_len(p, s, a, b)) return n;
    }
    return 0;
}

// The suffix alternation split for speed: which piece matches at a start i does not matter
// (any match ends at b), so the literal pieces become one set looked up by s[i, b), tried only
// when s[b-1] ends some literal; the other pieces are checked one by one.
struct SuffixTable {
    std::unordered_set<Str> literals;
    std::vector<char32_t> literal_last;  // sorted
    size_t max_literal = 0;
    std::vector<Piece> others;  // in spaCy's order
};

const SuffixTable& suffix_table() {
    static const SuffixTable t = [] {
        SuffixTable t;
        for (const Piece& p : spacy_suffix_pieces()) {
            if (p.kind != PieceKind::kLiteral) {
                t.others.push_back(p);
                continue;
            }
            t.literals.insert(p.literal);
            t.literal_last.push_back(p.literal.back());
            t.max_literal = std::max(t.max_literal, p.literal.size());
        }
        std::sort(t.literal_last.begin(), t.literal_last.end());
        return t;
    }();
    return t;
}

// re.search of "piece1$|piece2$|...": the leftmost start from which some piece matches to b.
size_t find_suffix(Str s, size_t a, size_t b) {
    if (a >= b) return 0;
    // Before b - max_fixed_suffix_len() only "\.\.+$" can match, at the start of the string's
    // trailing run of dots.
    size_t first_fixed = b - std::min(b - a, max_fixed_suffix_len());
    size_t dots = b;
    while (dots > a && s[dots - 1] == '.') --dots;
    if (dots < first_fixed && b - dots >= 2) return b - dots;
    const SuffixTable& t = suffix_table();
    const bool literal_end =
        std::binary_search(t.literal_last.begin(), t.literal_last.end(), s[b - 1]);
    for (size_t i = first_fixed; i < b; ++i) {
        if (literal_end && b - i <= t.max_literal && t.literals.count(s.substr(i, b - i)))
            return b - i;
        // Longer than one character, only "\.\.+" and the currencies and units after a digit
        // can match.
        if (b - i > 1 && s[i] != '.' && !(i > a && ascii_digit(s[i - 1]))) continue;
        for (const Piece& p : t.others) {
            if (suffix_piece_matches(p, s, a, i, b)) return b - i;
        }
    }
    return 0;
}

// Characters an infix piece can start with (icons aside): a position holding none of them
// starts no infix.
const std::vector<char32_t>& infix_first_chars() {
    static const std::vector<char32_t> firsts = [] {
        std::vector<char32_t> v;
        for (const Piece& p : spacy_infix_pieces()) {
            switch (p.kind) {
                case PieceKind::kLiteral:
                    v.push_back(p.literal[0]);
                    break;
                case PieceKind::kDots:
                case PieceKind::kDotLowerUpper:
                    v.push_back('.');
                    break;
                case PieceKind::kArithBetweenDigits:
                    v.insert(v.end(), {'+', '-', '*', '^'});
                    break;
                case PieceKind::kCommaBetweenAlpha:
                    v.push_back(',');
                    break;
                case PieceKind::kHyphenBeforeAlpha:
                    for (Str h : spacy_hyphens()) v.push_back(h[0]);
                    break;
                case PieceKind::kColonEtcBeforeAlpha:
                    v.insert(v.end(), {':', '<', '>', '=', '/'});
                    break;
                default:
                    break;  // kIcon: checked by class; others never match an infix
            }
        }
        std::sort(v.begin(), v.end());
        v.erase(std::unique(v.begin(), v.end()), v.end());
        return v;
    }();
    return firsts;
}

// re.finditer over the infix alternation: non-overlapping [start, end) pairs.
std::vector<std::pair<size_t, size_t>> find_infixes(Str s, size_t a, size_t b) {
    std::vector<std::pair<size_t, size_t>> out;
    const std::vector<char32_t>& firsts = infix_first_chars();
    size_t i = a;
    while (i < b) {
        size_t n = 0;
        if (!std::binary_search(firsts.begin(), firsts.end(), s[i]) &&
            !in_class(CharClass::kSpacyIcon, s[i])) {
            ++i;
            continue;
        }
        for (const Piece& p : spacy_infix_pieces()) {
            if ((n = infix_piece_len(p, s, a, i, b)) != 0) break;
        }
        if (n) {
            out.emplace_back(i, i + n);
            i += n;
        } else {
            ++i;
        }
    }
    return out;
}

// ---- spaCy's URL_MATCH, as a search over the positions its regex can reach ----

bool url_host_char(char32_t c) {
    return (c < 0x80 && (ascii_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))) ||
           (c >= 0xA1 && c <= 0xFFFF);
}

bool scheme_char(char32_t c) {
    return c == '+' || c == '-' || c == '.' || c == '_' ||
           (c < 0x80 ? (ascii_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))
                     : in_class(CharClass::kPyWord, c));
}

// (?:\.\d{1,3}){k} can match from `pos`.
bool dot_groups(Str u, size_t pos, int k) {
    if (k == 0) return true;
    if (pos >= u.size() || u[pos] != '.') return false;
    for (size_t d = 1; d <= 3 && pos + d < u.size() && py_digit(u[pos + d]); ++d) {
        if (dot_groups(u, pos + 1 + d, k - 1)) return true;
    }
    return false;
}

bool private_ip_ahead(Str u, size_t h) {
    Str r = u.substr(h);
    if (starts_with(r, U"10") && dot_groups(u, h + 2, 3)) return true;
    if (starts_with(r, U"127") && dot_groups(u, h + 3, 3)) return true;
    if ((starts_with(r, U"169.254") || starts_with(r, U"192.168")) && dot_groups(u, h + 7, 2)) {
        return true;
    }
    if (starts_with(r, U"172.") && r.size() >= 6) {
        char32_t x = r[4], y = r[5];
        bool second = (x == '1' && y >= '6' && y <= '9') || (x == '2' && py_digit(y)) ||
                      (x == '3' && (y == '0' || y == '1'));
        if (second && dot_groups(u, h + 6, 2)) return true;
    }
    return false;
}

bool digit_at(Str u, size_t i) { return i < u.size() && py_digit(u[i]); }
bool in_range_at(Str u, size_t i, char32_t lo, char32_t hi) {
    return i < u.size() && u[i] >= lo && u[i] <= hi;
}

// End positions of one IP octet alternative group starting at q. `last` selects the final
// octet's alternatives, `first` the first one's.
void octet_ends(Str u, size_t q, int which, std::vector<size_t>* out) {
    if (which == 0 || which == 2) {  // [1-9]\d? | 1\d\d | 2[01]\d | 22[0-3]  (first / last)
        if (in_range_at(u, q, '1', '9')) {
            out->push_back(q + 1);
            if (digit_at(u, q + 1)) out->push_back(q + 2);
        }
        if (in_range_at(u, q, '1', '1') && digit_at(u, q + 1) && digit_at(u, q + 2)) {
            out->push_back(q + 3);
        }
        if (which == 0) {
            if (in_range_at(u, q, '2', '2') && in_range_at(u, q + 1, '0', '1') &&
                digit_at(u, q + 2)) {
                out->push_back(q + 3);
            }
            if (in_range_at(u, q, '2', '2') && in_range_at(u, q + 1, '2', '2') &&
                in_range_at(u, q + 2, '0', '3')) {
                out->push_back(q + 3);
            }
        } else {  // 2[0-4]\d | 25[0-4]
            if (in_range_at(u, q, '2', '2') && in_range_at(u, q + 1, '0', '4') &&
                digit_at(u, q + 2)) {
                out->push_back(q + 3);
            }
            if (in_range_at(u, q, '2', '2') && in_range_at(u, q + 1, '5', '5') &&
                in_range_at(u, q + 2, '0', '4')) {
                out->push_back(q + 3);
            }
        }
        return;
    }
    // 1?\d{1,2} | 2[0-4]\d | 25[0-5]
    if (in_range_at(u, q, '1', '1') && digit_at(u, q + 1)) {
        out->push_back(q + 2);
        if (digit_at(u, q + 2)) out->push_back(q + 3);
    }
    if (digit_at(u, q)) {
        out->push_back(q + 1);
        if (digit_at(u, q + 1)) out->push_back(q + 2);
    }
    if (in_range_at(u, q, '2', '2') && in_range_at(u, q + 1, '0', '4') && digit_at(u, q + 2)) {
        out->push_back(q + 3);
    }
    if (in_range_at(u, q, '2', '2') && in_range_at(u, q + 1, '5', '5') &&
        in_range_at(u, q + 2, '0', '5')) {
        out->push_back(q + 3);
    }
}

void ip_ends(Str u, size_t h, std::vector<size_t>* out) {
    if (private_ip_ahead(u, h)) return;
    std::vector<size_t> cur;
    octet_ends(u, h, 0, &cur);
    for (int k = 1; k <= 3; ++k) {
        std::vector<size_t> next;
        for (size_t p : cur) {
            if (p < u.size() && u[p] == '.') octet_ends(u, p + 1, k == 3 ? 2 : 1, &next);
        }
        cur = std::move(next);
    }
    out->insert(out->end(), cur.begin(), cur.end());
}

void domain_ends(Str u, size_t h, std::vector<size_t>* out) {
    size_t p = h;
    while (true) {
        size_t dot = u.find(U'.', p);
        if (dot == Str::npos) return;
        size_t len = dot - p;
        if (len < 1 || len > 64 || !url_host_char(u[p]) || !url_host_char(u[dot - 1])) return;
        for (size_t k = p + 1; k + 1 < dot; ++k) {
            if (!url_host_char(u[k]) && u[k] != '_' && u[k] != '-') return;
        }
        size_t t = dot + 1;
        size_t r = 0;
        while (t + r < u.size() && r < 63 && in_class(CharClass::kSpacyLower, u[t + r])) ++r;
        for (size_t k = 2; k <= r; ++k) out->push_back(t + k);
        p = t;
    }
}

bool url_tail(Str u, size_t e) {
    auto path_or_end = [&](size_t p) {
        return p == u.size() || Str(U"/?#").find(u[p]) != Str::npos;
    };
    if (path_or_end(e)) return true;
    if (u[e] != ':') return false;
    for (size_t k = 1; k <= 5 && digit_at(u, e + k); ++k) {
        if (k >= 2 && path_or_end(e + 1 + k)) return true;
    }
    return false;
}

// ---- the tokenizer ----

// Which (length, first character) pairs some key has, so that most strings are turned away
// without hashing them: lengths above 31 share a row, non-ASCII first characters column 0.
class KeyShapes {
public:
    void add(Str k) { rows_[row(k)][col(k)] = true; }
    bool may_hold(Str s) const { return !s.empty() && rows_[row(s)][col(s)]; }

private:
    static size_t row(Str s) { return std::min<size_t>(s.size(), 32); }
    static size_t col(Str s) { return s[0] < 128 ? s[0] : 0; }
    std::array<std::bitset<128>, 33> rows_{};
};

struct Rules {
    std::unordered_map<Str, const SpecialCase*> specials;
    KeyShapes special_shapes;
    // Special-case re-matching: token-text patterns keyed by their first token's text.
    std::unordered_map<std::u32string, std::vector<std::vector<std::u32string>>> patterns;
    KeyShapes pattern_shapes;

    const SpecialCase* special(Str s) const {
        if (!special_shapes.may_hold(s)) return nullptr;
        auto it = specials.find(s);
        return it == specials.end() ? nullptr : it->second;
    }
};

const Rules& rules();

class Tokenizer {
public:
    Tokenizer(Str text, bool with_specials) : s_(text), specials_(with_specials) {}

    std::vector<WordToken> run() {
        size_t n = s_.size();
        if (n == 0) return {};
        bool in_ws = py_isspace(s_[0]);
        size_t start = 0;
        for (size_t i = 0; i < n; ++i) {
            if (py_isspace(s_[i]) == in_ws) continue;
            if (start < i) chunk(start, i);
            start = s_[i] == ' ' ? i + 1 : i;
            in_ws = !in_ws;
        }
        if (start < n) chunk(start, n);
        for (WordToken& t : out_) t.space = py_isspace(s_[t.begin]);
        if (specials_) apply_special_cases();
        return std::move(out_);
    }

private:
    const SpecialCase* special(size_t a, size_t b) const {
        return specials_ ? rules().special(s_.substr(a, b - a)) : nullptr;
    }

    void push(size_t a, size_t b) {
        out_.push_back({static_cast<uint32_t>(a), static_cast<uint32_t>(b), false});
    }

    void push_special(const SpecialCase& sc, size_t a) {
        for (Str o : sc.orth) {
            if (o.empty()) break;
            push(a, a + o.size());
            a += o.size();
        }
    }

    void chunk(size_t a, size_t b) {
        if (const SpecialCase* sc = special(a, b)) {
            push_special(*sc, a);
            return;
        }
        std::vector<std::pair<size_t, size_t>> prefixes, suffixes;
        size_t last_size = 0;
        while (a < b && b - a != last_size) {
            if (special(a, b)) break;
            last_size = b - a;
            size_t pre = find_prefix(s_, a, b);
            if (pre && a + pre < b && special(a + pre, b)) {
                prefixes.emplace_back(a, a + pre);
                a += pre;
                break;
            }
            size_t suf = find_suffix(s_, a + pre, b);
            if (suf && a + suf < b && special(a, b - suf)) {
                suffixes.emplace_back(b - suf, b);
                b -= suf;
                break;
            }
            if (pre && suf && pre + suf <= b - a) {
                prefixes.emplace_back(a, a + pre);
                suffixes.emplace_back(b - suf, b);
                a += pre;
                b -= suf;
            } else if (pre) {
                prefixes.emplace_back(a, a + pre);
                a += pre;
            } else if (suf) {
                suffixes.emplace_back(b - suf, b);
                b -= suf;
            }
        }
        for (auto [pa, pb] : prefixes) push(pa, pb);
        if (a < b) attach_middle(a, b);
        for (auto it = suffixes.rbegin(); it != suffixes.rend(); ++it) push(it->first, it->second);
    }

    void attach_middle(size_t a, size_t b) {
        if (const SpecialCase* sc = special(a, b)) {
            push_special(*sc, a);
            return;
        }
        if (spacy_url_match(s_.substr(a, b - a))) {
            push(a, b);
            return;
        }
        size_t start = a;
        for (auto [is, ie] : find_infixes(s_, a, b)) {
            if (is == a) continue;
            if (is != start) push(start, is);
            if (is != ie) push(is, ie);
            start = ie;
        }
        if (start < b) push(start, b);
    }

    Str text_of(const WordToken& t) const { return s_.substr(t.begin, t.end - t.begin); }

    // Tokenizer._apply_special_cases: spans of tokens that equal a special case's own
    // special-case-free tokenization are re-split by that special case.
    void apply_special_cases() {
        const Rules& r = rules();
        struct Match {
            size_t start, end;
        };
        std::vector<Match> matches;
        for (size_t i = 0; i < out_.size(); ++i) {
            if (!r.pattern_shapes.may_hold(text_of(out_[i]))) continue;
            auto it = r.patterns.find(std::u32string(text_of(out_[i])));
            if (it == r.patterns.end()) continue;
            for (const auto& pat : it->second) {
                if (i + pat.size() > out_.size()) continue;
                bool ok = true;
                for (size_t k = 1; k < pat.size() && ok; ++k) ok = text_of(out_[i + k]) == pat[k];
                if (ok) matches.push_back({i, i + pat.size()});
            }
        }
        if (matches.empty()) return;
        std::sort(matches.begin(), matches.end(), [](const Match& x, const Match& y) {
            size_t lx = x.end - x.start, ly = y.end - y.start;
            return lx != ly ? lx > ly : x.start < y.start;
        });
        std::vector<bool> seen(out_.size(), false);
        std::vector<Match> kept;
        for (const Match& m : matches) {
            if (!seen[m.start] && !seen[m.end - 1]) kept.push_back(m);
            for (size_t k = m.start; k < m.end; ++k) seen[k] = true;
        }
        std::sort(kept.begin(), kept.end(),
                  [](const Match& x, const Match& y) { return x.start < y.start; });
        std::vector<WordToken> old = std::move(out_);
        out_.clear();
        size_t i = 0;
        for (const Match& m : kept) {
            for (; i < m.start; ++i) out_.push_back(old[i]);
            size_t a = old[m.start].begin, b = old[m.end - 1].end;
            if (const SpecialCase* sc = r.special(s_.substr(a, b - a))) {
                size_t from = out_.size();
                push_special(*sc, a);
                for (size_t k = from; k < out_.size(); ++k)
                    out_[k].space = py_isspace(s_[out_[k].begin]);
            } else {
                for (size_t k = m.start; k < m.end; ++k) out_.push_back(old[k]);
            }
            i = m.end;
        }
        for (; i < old.size(); ++i) out_.push_back(old[i]);
    }

    Str s_;
    bool specials_;
    std::vector<WordToken> out_;
};

Rules build_rules() {
    Rules r;
    for (const SpecialCase& sc : spacy_special_cases()) {
        r.specials.emplace(sc.key, &sc);
        r.special_shapes.add(sc.key);
    }
    // Tokenizer.add_special_case with faster_heuristics: only cases that an affix rule or a
    // space could break up go into the matcher.
    for (const SpecialCase& sc : spacy_special_cases()) {
        Str k = sc.key;
        bool add = find_prefix(k, 0, k.size()) || !find_infixes(k, 0, k.size()).empty() ||
                   find_suffix(k, 0, k.size()) || k.find(U' ') != Str::npos;
        if (!add) continue;
        std::vector<std::u32string> pat;
        for (const WordToken& t : Tokenizer(k, false).run()) {
            pat.emplace_back(k.substr(t.begin, t.end - t.begin));
        }
        if (pat.empty()) continue;
        r.pattern_shapes.add(pat[0]);
        r.patterns[pat[0]].push_back(std::move(pat));
    }
    return r;
}

const Rules& rules() {
    static const Rules r = build_rules();
    return r;
}

}  // namespace

bool spacy_url_match(std::u32string_view u) {
    if (u.empty()) return false;
    std::vector<size_t> after_scheme = {0};
    for (size_t p = u.find(U"://"); p != Str::npos; p = u.find(U"://", p + 1)) {
        if (p >= 2 && std::all_of(u.begin(), u.begin() + p, scheme_char))
            after_scheme.push_back(p + 3);
    }
    std::vector<size_t> hosts;
    for (size_t s0 : after_scheme) {
        hosts.push_back(s0);
        for (size_t q = s0 + 1; q < u.size(); ++q) {
            if (u[q] == '@') hosts.push_back(q + 1);
        }
    }
    std::sort(hosts.begin(), hosts.end());
    hosts.erase(std::unique(hosts.begin(), hosts.end()), hosts.end());
    std::vector<size_t> ends;
    for (size_t h : hosts) {
        ends.clear();
        ip_ends(u, h, &ends);
        domain_ends(u, h, &ends);
        for (size_t e : ends) {
            if (url_tail(u, e)) return true;
        }
    }
    return false;
}

std::vector<WordToken> spacy_en_tokens(std::u32string_view text) {
    // The quality filters of one pipeline tokenize the same document one after another: the
    // thread's last text and its tokens are kept.
    thread_local std::u32string last_text;
    thread_local std::vector<WordToken> last_tokens;
    if (!last_text.empty() && text == last_text) return last_tokens;
    std::vector<WordToken> tokens = Tokenizer(text, true).run();
    last_text.assign(text);
    last_tokens = tokens;
    return tokens;
}

std::vector<std::u32string_view> split_into_words(std::u32string_view text) {
    std::vector<std::u32string_view> words;
    for (const WordToken& t : spacy_en_tokens(text)) {
        if (!t.space) words.push_back(text.substr(t.begin, t.end - t.begin));
    }
    return words;
}

std::vector<size_t> sentence_ends(std::u32string_view text) {
    std::vector<WordToken> tokens = spacy_en_tokens(text);
    std::vector<size_t> ends;
    if (tokens.empty()) return ends;
    std::span<const Str> punct = spacy_sentence_punct();
    bool seen_period = false;
    for (size_t i = 0; i < tokens.size(); ++i) {
        Str tok = text.substr(tokens[i].begin, tokens[i].end - tokens[i].begin);
        bool in_punct_chars = std::binary_search(punct.begin(), punct.end(), tok);
        bool is_punct = std::all_of(tok.begin(), tok.end(), [](char32_t c) {
            return in_class(CharClass::kPunctCategory, c);
        });
        if (seen_period && !is_punct && !in_punct_chars) {
            ends.push_back(tokens[i - 1].end);
            seen_period = false;
        } else if (in_punct_chars) {
            seen_period = true;
        }
    }
    ends.push_back(tokens.back().end);
    return ends;
}

std::vector<std::u32string_view> split_into_sentences(std::u32string_view text) {
    std::vector<size_t> ends = sentence_ends(text);
    std::vector<std::u32string_view> parts;
    // datatrove: zip([0] + ends[:-1], ends[:-1] + [len(text)])
    size_t begin = 0;
    for (size_t k = 0; k + 1 < ends.size(); ++k) {
        parts.push_back(text.substr(begin, ends[k] - begin));
        begin = ends[k];
    }
    parts.push_back(text.substr(begin));
    return parts;
}

size_t count_sentences(std::u32string_view text) {
    return std::max<size_t>(1, sentence_ends(text).size());
}

}  // namespace jenny::data
