#include "tokenizer/jinja_lexer.h"

#include <utf8proc.h>

#include <algorithm>
#include <cstdio>
#include <optional>

#include "tokenizer/jinja_error.h"
#include "tokenizer/jinja_strings.h"

namespace jenny::tokenizer::jinja {
namespace {

// Longest first, so that "//" wins over "/".
constexpr std::string_view kOperators[] = {"//", "**", "==", "!=", ">=", "<=", "+", "-", "/",
                                           "*",  "%",  "~",  "[",  "]",  "(",  ")", "{", "}",
                                           ">",  "<",  "=",  ".",  ":",  "|",  ",", ";"};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || is_digit(c); }

class Lexer {
public:
    explicit Lexer(std::string_view raw) {
        // Jinja splits on \r\n, \r and \n, drops one trailing empty line and joins with \n.
        src_.reserve(raw.size());
        for (size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] == '\r') {
                if (i + 1 < raw.size() && raw[i + 1] == '\n') ++i;
                src_.push_back('\n');
            } else {
                src_.push_back(raw[i]);
            }
        }
        if (!src_.empty() && src_.back() == '\n') src_.pop_back();
        line_starts_.push_back(0);
        for (size_t i = 0; i < src_.size(); ++i)
            if (src_[i] == '\n') line_starts_.push_back(i + 1);
    }

    std::vector<Token> run() {
        size_t pos = 0;
        bool line_starting = true;
        while (pos < src_.size()) {
            size_t tag = find_tag(pos);
            if (tag == std::string::npos) {
                emit(TokenKind::kText, src_.substr(pos), pos);
                break;
            }
            char type = src_[tag + 1];  // '{', '%' or '#'
            size_t after = tag + 2;
            char sign =
                after < src_.size() && (src_[after] == '-' || src_[after] == '+') ? src_[after] : 0;
            if (sign) ++after;
            std::string text = src_.substr(pos, tag - pos);
            if (sign == '-') {
                text = py_strip(text, std::nullopt, false, true);
            } else if (sign != '+' && type != '{') {
                size_t l_pos = text.rfind('\n');
                l_pos = l_pos == std::string::npos ? 0 : l_pos + 1;
                if ((l_pos > 0 || line_starting) && l_pos < text.size() &&
                    all_space(std::string_view(text).substr(l_pos))) {
                    text.resize(l_pos);
                }
            }
            if (!text.empty()) emit(TokenKind::kText, text, pos);
            if (type == '#') {
                pos = skip_comment(after, tag, &line_starting);
            } else if (type == '%' && is_raw_begin(after)) {
                pos = lex_raw(after, tag, &line_starting);
            } else {
                pos = lex_tag(type == '%', after, tag, &line_starting);
            }
        }
        tokens_.push_back(Token{TokenKind::kEnd, "", line_of(src_.size()), col_of(src_.size())});
        return std::move(tokens_);
    }

private:
    size_t find_tag(size_t pos) const {
        while (true) {
            size_t hit = src_.find('{', pos);
            if (hit == std::string::npos || hit + 1 >= src_.size()) return std::string::npos;
            char c = src_[hit + 1];
            if (c == '{' || c == '%' || c == '#') return hit;
            pos = hit + 1;
        }
    }

    // Skips Unicode whitespace (Python's \s) from pos.
    size_t skip_space(size_t pos) const {
        while (pos < src_.size()) {
            utf8proc_int32_t cp = 0;
            auto n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(&src_[pos]),
                                      static_cast<utf8proc_ssize_t>(src_.size() - pos), &cp);
            if (n <= 0 || !py_isspace(static_cast<char32_t>(cp))) break;
            pos += static_cast<size_t>(n);
        }
        return pos;
    }

    static bool all_space(std::string_view s) {
        for (char32_t cp : utf8_decode(s))
            if (!py_isspace(cp)) return false;
        return true;
    }

    bool starts(size_t pos, std::string_view what) const {
        return src_.compare(pos, what.size(), what) == 0;
    }

    // `{% raw %}`: the tag name `raw` followed by the end of the tag.
    bool is_raw_begin(size_t pos) const {
        pos = skip_space(pos);
        if (!starts(pos, "raw")) return false;
        pos = skip_space(pos + 3);
        return starts(pos, "%}") || starts(pos, "-%}");
    }

    size_t skip_comment(size_t pos, size_t tag, bool* line_starting) {
        size_t close = src_.find("#}", pos);
        if (close == std::string::npos) fail("missing end of comment tag", tag);
        size_t end;
        if (close > pos && src_[close - 1] == '-') {
            end = skip_space(close + 2);
        } else if (close > pos && src_[close - 1] == '+') {
            end = close + 2;
        } else {
            end = close + 2;
            if (end < src_.size() && src_[end] == '\n') ++end;
        }
        *line_starting = end > 0 && src_[end - 1] == '\n';
        return end;
    }

    size_t lex_raw(size_t pos, size_t tag, bool* line_starting) {
        pos = skip_space(skip_space(pos) + 3);
        pos = starts(pos, "-%}") ? skip_space(pos + 3) : pos + 2;
        // Find `{%[-+]? endraw [-+]?%}`.
        size_t search = pos;
        while (true) {
            size_t open = src_.find("{%", search);
            if (open == std::string::npos) fail("missing end of raw directive", tag);
            size_t p = open + 2;
            char sign = p < src_.size() && (src_[p] == '-' || src_[p] == '+') ? src_[p] : 0;
            if (sign) ++p;
            p = skip_space(p);
            if (!starts(p, "endraw")) {
                search = open + 2;
                continue;
            }
            p = skip_space(p + 6);
            size_t end;
            if (starts(p, "+%}")) {
                end = p + 3;
            } else if (starts(p, "-%}")) {
                end = skip_space(p + 3);
            } else if (starts(p, "%}")) {
                end = p + 2;
                if (end < src_.size() && src_[end] == '\n') ++end;
            } else {
                search = open + 2;
                continue;
            }
            std::string text = src_.substr(pos, open - pos);
            if (sign == '-') {
                text = py_strip(text, std::nullopt, false, true);
            } else if (sign != '+') {
                size_t l_pos = text.rfind('\n');
                l_pos = l_pos == std::string::npos ? 0 : l_pos + 1;
                if (l_pos > 0 && l_pos < text.size() &&
                    all_space(std::string_view(text).substr(l_pos))) {
                    text.resize(l_pos);
                }
            }
            if (!text.empty()) emit(TokenKind::kText, text, pos);
            *line_starting = src_[end - 1] == '\n';
            return end;
        }
    }

    size_t lex_tag(bool block, size_t pos, size_t tag, bool* line_starting) {
        emit(block ? TokenKind::kBlockBegin : TokenKind::kVarBegin, block ? "{%" : "{{", tag);
        std::vector<char> balance;
        while (true) {
            if (pos >= src_.size()) fail("unexpected end of template, expected end of tag", tag);
            if (balance.empty()) {
                size_t end = 0;
                if (block) {
                    if (starts(pos, "+%}")) {
                        end = pos + 3;
                    } else if (starts(pos, "-%}")) {
                        end = skip_space(pos + 3);
                    } else if (starts(pos, "%}")) {
                        end = pos + 2;
                        if (end < src_.size() && src_[end] == '\n') ++end;
                    }
                } else {
                    if (starts(pos, "-}}")) {
                        end = skip_space(pos + 3);
                    } else if (starts(pos, "}}")) {
                        end = pos + 2;
                    }
                }
                if (end) {
                    emit(block ? TokenKind::kBlockEnd : TokenKind::kVarEnd, "", pos);
                    *line_starting = src_[end - 1] == '\n';
                    return end;
                }
            }
            size_t next = skip_space(pos);
            if (next != pos) {
                pos = next;
                continue;
            }
            char c = src_[pos];
            if (size_t n = match_float(pos)) {
                emit(TokenKind::kFloat, strip_underscores(src_.substr(pos, n)), pos);
                pos += n;
            } else if (size_t m = match_integer(pos)) {
                emit(TokenKind::kInteger, strip_underscores(src_.substr(pos, m)), pos);
                pos += m;
            } else if (is_name_start(c)) {
                size_t e = pos;
                while (e < src_.size() && is_name_char(src_[e])) ++e;
                emit(TokenKind::kName, src_.substr(pos, e - pos), pos);
                pos = e;
            } else if (c == '\'' || c == '"') {
                pos = lex_string(pos);
            } else {
                std::string_view op;
                for (std::string_view candidate : kOperators) {
                    if (starts(pos, candidate)) {
                        op = candidate;
                        break;
                    }
                }
                if (op.empty()) fail("unexpected char '" + std::string(1, c) + "'", pos);
                if (op == "{" || op == "(" || op == "[") {
                    balance.push_back(op == "{" ? '}' : op == "(" ? ')' : ']');
                } else if (op == "}" || op == ")" || op == "]") {
                    if (balance.empty()) fail("unexpected '" + std::string(op) + "'", pos);
                    if (balance.back() != op[0]) {
                        fail("unexpected '" + std::string(op) + "', expected '" +
                                 std::string(1, balance.back()) + "'",
                             pos);
                    }
                    balance.pop_back();
                }
                emit(TokenKind::kOperator, std::string(op), pos);
                pos += op.size();
            }
        }
    }

    static std::string strip_underscores(std::string s) {
        s.erase(std::remove(s.begin(), s.end(), '_'), s.end());
        return s;
    }

    // (\d+_)*\d+ at pos; returns its length or 0.
    size_t match_digits(size_t pos) const {
        size_t p = pos;
        if (p >= src_.size() || !is_digit(src_[p])) return 0;
        while (true) {
            while (p < src_.size() && is_digit(src_[p])) ++p;
            if (p + 1 < src_.size() && src_[p] == '_' && is_digit(src_[p + 1])) {
                ++p;
                continue;
            }
            return p - pos;
        }
    }

    size_t match_float(size_t pos) const {
        if (pos > 0 && src_[pos - 1] == '.') return 0;
        size_t n = match_digits(pos);
        if (!n) return 0;
        size_t p = pos + n;
        bool fraction = false;
        if (p < src_.size() && src_[p] == '.') {
            if (size_t f = match_digits(p + 1)) {
                p += 1 + f;
                fraction = true;
            }
        }
        if (p < src_.size() && (src_[p] == 'e' || src_[p] == 'E')) {
            size_t q = p + 1;
            if (q < src_.size() && (src_[q] == '+' || src_[q] == '-')) ++q;
            if (size_t e = match_digits(q)) return q + e - pos;
        }
        return fraction ? p - pos : 0;
    }

    size_t match_integer(size_t pos) const {
        if (!is_digit(src_[pos])) return 0;
        if (src_[pos] == '0' && pos + 1 < src_.size()) {
            char b = static_cast<char>(src_[pos + 1] | 0x20);
            auto ok = [&](char c) {
                c = static_cast<char>(c | 0x20);
                if (b == 'b') return c == '0' || c == '1';
                if (b == 'o') return c >= '0' && c <= '7';
                return is_digit(c) || (c >= 'a' && c <= 'f');
            };
            if (b == 'b' || b == 'o' || b == 'x') {
                size_t p = pos + 2;
                size_t start = p;
                while (p < src_.size() &&
                       (ok(src_[p]) || (src_[p] == '_' && p + 1 < src_.size() && ok(src_[p + 1]))))
                    ++p;
                if (p > start) return p - pos;
            }
        }
        return match_digits(pos);
    }

    size_t lex_string(size_t pos) {
        char quote = src_[pos];
        size_t p = pos + 1;
        std::string out;
        while (true) {
            if (p >= src_.size()) fail("unterminated string literal", pos);
            char c = src_[p];
            if (c == quote) break;
            if (c != '\\') {
                out.push_back(c);
                ++p;
                continue;
            }
            if (p + 1 >= src_.size()) fail("unterminated string literal", pos);
            p = decode_escape(p, &out);
        }
        emit(TokenKind::kString, out, pos);
        return p + 1;
    }

    // Python's unicode-escape decoding of one backslash sequence starting at p.
    size_t decode_escape(size_t p, std::string* out) {
        char e = src_[p + 1];
        auto hex = [&](size_t start, int digits) -> char32_t {
            char32_t v = 0;
            for (int i = 0; i < digits; ++i) {
                size_t q = start + static_cast<size_t>(i);
                char c = q < src_.size() ? static_cast<char>(src_[q] | 0x20) : 'z';
                if (!is_digit(c) && !(c >= 'a' && c <= 'f'))
                    fail("truncated \\" + std::string(1, e) + " escape in string literal", p);
                v = v * 16 + static_cast<char32_t>(is_digit(c) ? c - '0' : c - 'a' + 10);
            }
            return v;
        };
        switch (e) {
            case '\n':
                return p + 2;
            case '\\':
            case '\'':
            case '"':
                out->push_back(e);
                return p + 2;
            case 'a':
                out->push_back('\a');
                return p + 2;
            case 'b':
                out->push_back('\b');
                return p + 2;
            case 'f':
                out->push_back('\f');
                return p + 2;
            case 'n':
                out->push_back('\n');
                return p + 2;
            case 'r':
                out->push_back('\r');
                return p + 2;
            case 't':
                out->push_back('\t');
                return p + 2;
            case 'v':
                out->push_back('\v');
                return p + 2;
            case 'x':
                utf8_append(out, hex(p + 2, 2));
                return p + 4;
            case 'u':
                utf8_append(out, hex(p + 2, 4));
                return p + 6;
            case 'U': {
                char32_t cp = hex(p + 2, 8);
                if (cp > 0x10FFFF) fail("illegal Unicode character in string literal", p);
                utf8_append(out, cp);
                return p + 10;
            }
            case 'N':
                throw JinjaError{base::StatusCode::kUnsupported,
                                 "unsupported construct '\\N{...} escape'", line_of(p), col_of(p)};
            default:
                break;
        }
        if (e >= '0' && e <= '7') {
            char32_t v = 0;
            size_t q = p + 1;
            for (int i = 0; i < 3 && q < src_.size() && src_[q] >= '0' && src_[q] <= '7'; ++i, ++q)
                v = v * 8 + static_cast<char32_t>(src_[q] - '0');
            utf8_append(out, v);
            return q;
        }
        if (static_cast<unsigned char>(e) >= 0x80) {
            // backslashreplace turned the character into an escape whose backslash the
            // template's own backslash then escaped: the result is the escape text itself.
            utf8proc_int32_t cp = 0;
            auto n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(&src_[p + 1]),
                                      static_cast<utf8proc_ssize_t>(src_.size() - p - 1), &cp);
            if (n <= 0) n = 1;
            char buf[16];
            if (cp <= 0xFF) {
                std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned>(cp));
            } else if (cp <= 0xFFFF) {
                std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(cp));
            } else {
                std::snprintf(buf, sizeof(buf), "\\U%08x", static_cast<unsigned>(cp));
            }
            out->append(buf);
            return p + 1 + static_cast<size_t>(n);
        }
        out->push_back('\\');
        out->push_back(e);
        return p + 2;
    }

    int line_of(size_t pos) const {
        auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), pos);
        return static_cast<int>(it - line_starts_.begin());
    }

    int col_of(size_t pos) const {
        size_t start = line_starts_[static_cast<size_t>(line_of(pos) - 1)];
        return static_cast<int>(utf8_length(std::string_view(src_).substr(start, pos - start))) + 1;
    }

    void emit(TokenKind kind, std::string text, size_t pos) {
        tokens_.push_back(Token{kind, std::move(text), line_of(pos), col_of(pos)});
    }

    [[noreturn]] void fail(const std::string& message, size_t pos) const {
        throw JinjaError{base::StatusCode::kInvalidArgument, message, line_of(pos), col_of(pos)};
    }

    std::string src_;
    std::vector<size_t> line_starts_;
    std::vector<Token> tokens_;
};

}  // namespace

std::vector<Token> tokenize(std::string_view source) { return Lexer(source).run(); }

}  // namespace jenny::tokenizer::jinja
