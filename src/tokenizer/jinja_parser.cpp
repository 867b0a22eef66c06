#include "tokenizer/jinja_parser.h"

#include <cstdlib>
#include <initializer_list>
#include <string_view>

#include "tokenizer/jinja_error.h"
#include "tokenizer/jinja_filters.h"

namespace jenny::tokenizer::jinja {
namespace {

class Parser {
public:
    explicit Parser(const std::vector<Token>& tokens) : t_(tokens) {}

    Body parse_template() {
        Body body = parse_body({});
        if (peek().kind != TokenKind::kEnd) fail_here("unexpected '" + peek().text + "'");
        return body;
    }

private:
    // ---- token helpers ----
    const Token& peek(size_t k = 0) const {
        size_t j = std::min(i_ + k, t_.size() - 1);
        return t_[j];
    }
    const Token& next() {
        const Token& tok = peek();
        if (i_ < t_.size() - 1) ++i_;
        return tok;
    }
    bool is_op(std::string_view op, size_t k = 0) const {
        return peek(k).kind == TokenKind::kOperator && peek(k).text == op;
    }
    bool is_name(std::string_view name, size_t k = 0) const {
        return peek(k).kind == TokenKind::kName && peek(k).text == name;
    }
    bool skip_op(std::string_view op) {
        if (!is_op(op)) return false;
        next();
        return true;
    }
    bool skip_name(std::string_view name) {
        if (!is_name(name)) return false;
        next();
        return true;
    }
    static std::string describe(const Token& tok) {
        switch (tok.kind) {
            case TokenKind::kEnd:
                return "end of template";
            case TokenKind::kBlockEnd:
                return "end of statement block";
            case TokenKind::kVarEnd:
                return "end of print statement";
            case TokenKind::kString:
                return "string";
            default:
                return "'" + tok.text + "'";
        }
    }
    void expect_op(std::string_view op) {
        if (!skip_op(op)) fail_here("expected '" + std::string(op) + "', got " + describe(peek()));
    }
    void expect_name(std::string_view name) {
        if (!skip_name(name))
            fail_here("expected '" + std::string(name) + "', got " + describe(peek()));
    }
    std::string expect_identifier() {
        if (peek().kind != TokenKind::kName) fail_here("expected a name, got " + describe(peek()));
        return next().text;
    }
    void expect_block_end() {
        if (peek().kind != TokenKind::kBlockEnd)
            fail_here("expected end of statement block, got " + describe(peek()));
        next();
    }
    [[noreturn]] void fail_here(const std::string& message) const {
        throw JinjaError{base::StatusCode::kInvalidArgument, "syntax error: " + message,
                         peek().line, peek().column};
    }
    [[noreturn]] void unsupported_at(const Token& tok, const std::string& construct) const {
        throw JinjaError{base::StatusCode::kUnsupported,
                         "unsupported construct '" + construct + "'", tok.line, tok.column};
    }
    ExprPtr make(Expr::Kind kind, const Token& at) const {
        auto e = std::make_unique<Expr>();
        e->kind = kind;
        e->line = at.line;
        e->column = at.column;
        return e;
    }

    // ---- statements ----
    Body parse_body(std::initializer_list<std::string_view> end_names) {
        Body body;
        while (true) {
            const Token& tok = peek();
            if (tok.kind == TokenKind::kEnd) {
                for (std::string_view end : end_names) {
                    if (end.substr(0, 3) == "end")
                        fail_here("unexpected end of template, expected '" + std::string(end) +
                                  "'");
                }
                return body;
            }
            if (tok.kind == TokenKind::kText) {
                auto s = make_stmt(Stmt::Kind::kText, tok);
                s->text = next().text;
                body.push_back(std::move(s));
            } else if (tok.kind == TokenKind::kVarBegin) {
                next();
                auto s = make_stmt(Stmt::Kind::kOutput, tok);
                s->expr = parse_tuple(true, false, {});
                if (peek().kind != TokenKind::kVarEnd)
                    fail_here("expected end of print statement, got " + describe(peek()));
                next();
                body.push_back(std::move(s));
            } else if (tok.kind == TokenKind::kBlockBegin) {
                for (std::string_view end : end_names)
                    if (is_name(end, 1)) {
                        next();
                        return body;  // positioned on the end name
                    }
                next();
                body.push_back(parse_statement());
            } else {
                fail_here("unexpected " + describe(tok));
            }
        }
    }

    StmtPtr make_stmt(Stmt::Kind kind, const Token& at) const {
        auto s = std::make_unique<Stmt>();
        s->kind = kind;
        s->line = at.line;
        s->column = at.column;
        return s;
    }

    StmtPtr parse_statement() {
        const Token& tok = peek();
        if (tok.kind != TokenKind::kName) fail_here("tag name expected");
        const std::string& name = tok.text;
        if (name == "for") return parse_for();
        if (name == "if") return parse_if();
        if (name == "set") return parse_set();
        if (name == "macro") return parse_macro();
        if (name == "filter") return parse_filter_block();
        if (name == "with") return parse_with();
        if (name == "generation") {
            next();
            expect_block_end();
            auto s = make_stmt(Stmt::Kind::kBodyOnly, tok);
            s->body = parse_body({"endgeneration"});
            next();
            expect_block_end();
            return s;
        }
        if (name == "break" || name == "continue") {
            next();
            expect_block_end();
            return make_stmt(name == "break" ? Stmt::Kind::kBreak : Stmt::Kind::kContinue, tok);
        }
        unsupported_at(tok, "{% " + name + " %}");
    }

    StmtPtr parse_for() {
        auto s = make_stmt(Stmt::Kind::kFor, next());
        s->target = parse_assign_target(false);
        expect_name("in");
        s->expr = parse_tuple(false, false, {"recursive"});
        if (skip_name("if")) s->filter = parse_expression(true);
        if (is_name("recursive")) unsupported_at(peek(), "recursive for loop");
        expect_block_end();
        s->body = parse_body({"endfor", "else"});
        if (next().text == "else") {
            expect_block_end();
            s->else_body = parse_body({"endfor"});
            next();
        }
        expect_block_end();
        return s;
    }

    StmtPtr parse_if() {
        auto s = make_stmt(Stmt::Kind::kIf, next());
        while (true) {
            ExprPtr cond = parse_tuple(false, false, {});
            expect_block_end();
            Body body = parse_body({"elif", "else", "endif"});
            s->branches.emplace_back(std::move(cond), std::move(body));
            std::string which = next().text;
            if (which == "elif") continue;
            if (which == "else") {
                expect_block_end();
                s->else_body = parse_body({"endif"});
                next();
            }
            expect_block_end();
            return s;
        }
    }

    StmtPtr parse_set() {
        const Token& at = next();
        ExprPtr target = parse_assign_target(true);
        if (skip_op("=")) {
            auto s = make_stmt(Stmt::Kind::kSet, at);
            s->target = std::move(target);
            s->expr = parse_tuple(true, false, {});
            expect_block_end();
            return s;
        }
        auto s = make_stmt(Stmt::Kind::kSetBlock, at);
        s->target = std::move(target);
        if (is_op("|")) s->filter = parse_filters(nullptr, false);
        expect_block_end();
        s->body = parse_body({"endset"});
        next();
        expect_block_end();
        return s;
    }

    StmtPtr parse_macro() {
        auto s = make_stmt(Stmt::Kind::kMacro, next());
        s->text = expect_identifier();
        expect_op("(");
        while (!is_op(")")) {
            if (!s->params.empty()) expect_op(",");
            if (is_op(")")) break;
            std::string param = expect_identifier();
            ExprPtr def;
            if (skip_op("=")) def = parse_expression(true);
            s->params.emplace_back(param, std::move(def));
        }
        expect_op(")");
        expect_block_end();
        s->body = parse_body({"endmacro"});
        next();
        expect_block_end();
        return s;
    }

    StmtPtr parse_filter_block() {
        auto s = make_stmt(Stmt::Kind::kFilterBlock, next());
        s->filter = parse_filters(nullptr, true);
        expect_block_end();
        s->body = parse_body({"endfilter"});
        next();
        expect_block_end();
        return s;
    }

    StmtPtr parse_with() {
        auto s = make_stmt(Stmt::Kind::kWith, next());
        while (peek().kind != TokenKind::kBlockEnd) {
            if (!s->params.empty()) expect_op(",");
            std::string name = expect_identifier();
            expect_op("=");
            s->params.emplace_back(name, parse_expression(true));
        }
        expect_block_end();
        s->body = parse_body({"endwith"});
        next();
        expect_block_end();
        return s;
    }

    // A name, `ns.attr` (set only) or a tuple of names.
    ExprPtr parse_assign_target(bool with_namespace) {
        if (with_namespace && peek().kind == TokenKind::kName && is_op(".", 1)) {
            const Token& at = peek();
            auto obj = make(Expr::Kind::kName, at);
            obj->name = next().text;
            next();  // .
            auto e = make(Expr::Kind::kGetAttr, at);
            e->name = expect_identifier();
            e->children.push_back(std::move(obj));
            return e;
        }
        const Token& at = peek();
        std::vector<ExprPtr> names;
        bool paren = skip_op("(");
        bool tuple = paren;
        while (true) {
            const Token& tok = peek();
            auto n = make(Expr::Kind::kName, tok);
            n->name = expect_identifier();
            if (n->name == "true" || n->name == "false" || n->name == "none" || n->name == "True" ||
                n->name == "False" || n->name == "None")
                fail_here("can't assign to constant '" + n->name + "'");
            names.push_back(std::move(n));
            if (!skip_op(",")) break;
            tuple = true;
            if (peek().kind != TokenKind::kName) break;
        }
        if (paren) expect_op(")");
        if (!tuple) return std::move(names[0]);
        auto t = make(Expr::Kind::kTuple, at);
        t->children = std::move(names);
        return t;
    }

    // ---- expressions ----
    bool is_tuple_end(std::initializer_list<std::string_view> extra_end) const {
        auto k = peek().kind;
        if (k == TokenKind::kVarEnd || k == TokenKind::kBlockEnd || k == TokenKind::kEnd ||
            is_op(")"))
            return true;
        for (auto name : extra_end)
            if (is_name(name)) return true;
        return false;
    }

    ExprPtr parse_tuple(bool with_condexpr, bool explicit_parentheses,
                        std::initializer_list<std::string_view> extra_end) {
        const Token& at = peek();
        std::vector<ExprPtr> items;
        bool is_tuple = false;
        while (true) {
            if (!items.empty()) expect_op(",");
            if (is_tuple_end(extra_end)) break;
            items.push_back(parse_expression(with_condexpr));
            if (is_op(","))
                is_tuple = true;
            else
                break;
        }
        if (!is_tuple) {
            if (!items.empty()) return std::move(items[0]);
            if (!explicit_parentheses) fail_here("expected an expression, got " + describe(peek()));
        }
        auto t = make(Expr::Kind::kTuple, at);
        t->children = std::move(items);
        return t;
    }

    ExprPtr parse_expression(bool with_condexpr) {
        return with_condexpr ? parse_condexpr() : parse_or();
    }

    ExprPtr parse_condexpr() {
        ExprPtr expr1 = parse_or();
        while (is_name("if")) {
            const Token& at = next();
            ExprPtr expr2 = parse_or();
            ExprPtr expr3;
            if (skip_name("else")) expr3 = parse_condexpr();
            auto c = make(Expr::Kind::kCondExpr, at);
            c->children.push_back(std::move(expr2));
            c->children.push_back(std::move(expr1));
            c->children.push_back(std::move(expr3));
            expr1 = std::move(c);
        }
        return expr1;
    }

    ExprPtr binary(Expr::Kind kind, const Token& at, ExprPtr a, ExprPtr b, std::string op = "") {
        auto e = make(kind, at);
        e->name = std::move(op);
        e->children.push_back(std::move(a));
        e->children.push_back(std::move(b));
        return e;
    }

    ExprPtr parse_or() {
        ExprPtr left = parse_and();
        while (is_name("or")) {
            const Token& at = next();
            left = binary(Expr::Kind::kOr, at, std::move(left), parse_and());
        }
        return left;
    }

    ExprPtr parse_and() {
        ExprPtr left = parse_not();
        while (is_name("and")) {
            const Token& at = next();
            left = binary(Expr::Kind::kAnd, at, std::move(left), parse_not());
        }
        return left;
    }

    ExprPtr parse_not() {
        if (is_name("not")) {
            auto e = make(Expr::Kind::kNot, next());
            e->children.push_back(parse_not());
            return e;
        }
        return parse_compare();
    }

    ExprPtr parse_compare() {
        const Token& at = peek();
        ExprPtr expr = parse_math1();
        std::vector<std::string> ops;
        std::vector<ExprPtr> operands;
        while (true) {
            const Token& tok = peek();
            if (tok.kind == TokenKind::kOperator &&
                (tok.text == "==" || tok.text == "!=" || tok.text == "<" || tok.text == "<=" ||
                 tok.text == ">" || tok.text == ">=")) {
                ops.push_back(next().text);
            } else if (is_name("in")) {
                next();
                ops.push_back("in");
            } else if (is_name("not") && is_name("in", 1)) {
                next();
                next();
                ops.push_back("notin");
            } else {
                break;
            }
            operands.push_back(parse_math1());
        }
        if (ops.empty()) return expr;
        auto c = make(Expr::Kind::kCompare, at);
        c->children.push_back(std::move(expr));
        for (auto& o : operands) c->children.push_back(std::move(o));
        c->ops = std::move(ops);
        return c;
    }

    ExprPtr parse_math1() {
        ExprPtr left = parse_concat();
        while (is_op("+") || is_op("-")) {
            const Token& at = next();
            left = binary(Expr::Kind::kBinary, at, std::move(left), parse_concat(), at.text);
        }
        return left;
    }

    ExprPtr parse_concat() {
        ExprPtr left = parse_math2();
        while (is_op("~")) {
            const Token& at = next();
            left = binary(Expr::Kind::kBinary, at, std::move(left), parse_math2(), "~");
        }
        return left;
    }

    ExprPtr parse_math2() {
        ExprPtr left = parse_pow();
        while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
            const Token& at = next();
            left = binary(Expr::Kind::kBinary, at, std::move(left), parse_pow(), at.text);
        }
        return left;
    }

    ExprPtr parse_pow() {
        ExprPtr left = parse_unary(true);
        while (is_op("**")) {
            const Token& at = next();
            left = binary(Expr::Kind::kBinary, at, std::move(left), parse_unary(true), "**");
        }
        return left;
    }

    ExprPtr parse_unary(bool with_filter) {
        ExprPtr node;
        if (is_op("-") || is_op("+")) {
            const Token& at = next();
            node = make(at.text == "-" ? Expr::Kind::kNeg : Expr::Kind::kPos, at);
            node->children.push_back(parse_unary(false));
        } else {
            node = parse_primary();
        }
        node = parse_postfix(std::move(node));
        if (with_filter) node = parse_filter_expr(std::move(node));
        return node;
    }

    ExprPtr constant(const Token& at, Value v) {
        auto e = make(Expr::Kind::kConst, at);
        e->value = std::move(v);
        return e;
    }

    ExprPtr parse_primary() {
        const Token& tok = peek();
        switch (tok.kind) {
            case TokenKind::kName: {
                next();
                const std::string& n = tok.text;
                if (n == "true" || n == "True") return constant(tok, Value::boolean(true));
                if (n == "false" || n == "False") return constant(tok, Value::boolean(false));
                if (n == "none" || n == "None") return constant(tok, Value::none());
                auto e = make(Expr::Kind::kName, tok);
                e->name = n;
                return e;
            }
            case TokenKind::kString: {
                std::string s = next().text;
                while (peek().kind == TokenKind::kString) s += next().text;
                return constant(tok, Value::string(std::move(s)));
            }
            case TokenKind::kInteger: {
                next();
                std::string text = tok.text;
                int base = 10;
                if (text.size() > 2 && text[0] == '0') {
                    char b = static_cast<char>(text[1] | 0x20);
                    base = b == 'x' ? 16 : b == 'o' ? 8 : b == 'b' ? 2 : 10;
                    if (base != 10) text = text.substr(2);
                }
                errno = 0;
                long long v = std::strtoll(text.c_str(), nullptr, base);
                if (errno == ERANGE) unsupported_at(tok, "integer literal beyond 64 bits");
                return constant(tok, Value::integer(v));
            }
            case TokenKind::kFloat:
                next();
                return constant(tok, Value::number(std::strtod(tok.text.c_str(), nullptr)));
            case TokenKind::kOperator:
                if (tok.text == "(") {
                    next();
                    ExprPtr e = parse_tuple(true, true, {});
                    expect_op(")");
                    return e;
                }
                if (tok.text == "[") return parse_list();
                if (tok.text == "{") return parse_dict();
                break;
            default:
                break;
        }
        fail_here("unexpected " + describe(tok));
    }

    ExprPtr parse_list() {
        auto e = make(Expr::Kind::kList, next());
        while (!is_op("]")) {
            if (!e->children.empty()) expect_op(",");
            if (is_op("]")) break;
            e->children.push_back(parse_expression(true));
        }
        expect_op("]");
        return e;
    }

    ExprPtr parse_dict() {
        auto e = make(Expr::Kind::kDict, next());
        while (!is_op("}")) {
            if (!e->children.empty()) expect_op(",");
            if (is_op("}")) break;
            e->children.push_back(parse_expression(true));
            expect_op(":");
            e->children.push_back(parse_expression(true));
        }
        expect_op("}");
        return e;
    }

    ExprPtr parse_postfix(ExprPtr node) {
        while (true) {
            if (is_op(".") || is_op("[")) {
                node = parse_subscript(std::move(node));
            } else if (is_op("(")) {
                node = parse_call(std::move(node));
            } else {
                return node;
            }
        }
    }

    ExprPtr parse_filter_expr(ExprPtr node) {
        while (true) {
            if (is_op("|")) {
                node = parse_filters(std::move(node), false);
            } else if (is_name("is")) {
                node = parse_test(std::move(node));
            } else if (is_op("(")) {
                node = parse_call(std::move(node));
            } else {
                return node;
            }
        }
    }

    ExprPtr parse_subscript(ExprPtr node) {
        const Token& at = next();
        if (at.text == ".") {
            const Token& attr = peek();
            if (attr.kind == TokenKind::kName) {
                auto e = make(Expr::Kind::kGetAttr, attr);
                e->name = next().text;
                e->children.push_back(std::move(node));
                return e;
            }
            if (attr.kind == TokenKind::kInteger) {
                auto e = make(Expr::Kind::kGetItem, attr);
                e->children.push_back(std::move(node));
                e->children.push_back(parse_primary());
                return e;
            }
            fail_here("expected name or number after '.'");
        }
        std::vector<ExprPtr> args;
        while (!is_op("]")) {
            if (!args.empty()) expect_op(",");
            if (is_op("]")) break;
            args.push_back(parse_subscribed());
        }
        expect_op("]");
        auto e = make(Expr::Kind::kGetItem, at);
        e->children.push_back(std::move(node));
        if (args.size() == 1) {
            e->children.push_back(std::move(args[0]));
        } else {
            auto t = make(Expr::Kind::kTuple, at);
            t->children = std::move(args);
            e->children.push_back(std::move(t));
        }
        return e;
    }

    ExprPtr parse_subscribed() {
        const Token& at = peek();
        std::vector<ExprPtr> parts;
        if (skip_op(":")) {
            parts.push_back(nullptr);
        } else {
            ExprPtr node = parse_expression(true);
            if (!skip_op(":")) return node;
            parts.push_back(std::move(node));
        }
        if (is_op(":")) {
            parts.push_back(nullptr);
        } else if (!is_op("]") && !is_op(",")) {
            parts.push_back(parse_expression(true));
        } else {
            parts.push_back(nullptr);
        }
        if (skip_op(":")) {
            if (!is_op("]") && !is_op(","))
                parts.push_back(parse_expression(true));
            else
                parts.push_back(nullptr);
        } else {
            parts.push_back(nullptr);
        }
        auto e = make(Expr::Kind::kSlice, at);
        e->children = std::move(parts);
        return e;
    }

    // Parses `(args)` into e->children (after any already there) and e->kwargs.
    void parse_call_args(Expr* e) {
        expect_op("(");
        bool any = false;
        while (!is_op(")")) {
            if (any) expect_op(",");
            if (is_op(")")) break;
            any = true;
            if (is_op("*") || is_op("**")) unsupported_at(peek(), "*args/**kwargs in a call");
            if (peek().kind == TokenKind::kName && is_op("=", 1)) {
                std::string key = next().text;
                next();
                e->kwargs.emplace_back(key, parse_expression(true));
            } else {
                if (!e->kwargs.empty()) fail_here("positional argument follows keyword argument");
                e->children.push_back(parse_expression(true));
            }
        }
        expect_op(")");
    }

    ExprPtr parse_call(ExprPtr node) {
        auto e = make(Expr::Kind::kCall, peek());
        e->children.push_back(std::move(node));
        parse_call_args(e.get());
        return e;
    }

    std::string parse_dotted_name() {
        std::string name = expect_identifier();
        while (is_op(".")) {
            next();
            name += "." + expect_identifier();
        }
        return name;
    }

    ExprPtr parse_filters(ExprPtr node, bool start_inline) {
        while (is_op("|") || start_inline) {
            if (!start_inline) next();
            start_inline = false;
            const Token& at = peek();
            auto e = make(Expr::Kind::kFilter, at);
            e->name = parse_dotted_name();
            if (!is_known_filter(e->name)) unsupported_at(at, "filter " + e->name);
            e->children.push_back(std::move(node));
            if (is_op("(")) parse_call_args(e.get());
            node = std::move(e);
        }
        return node;
    }

    ExprPtr parse_test(ExprPtr node) {
        next();  // is
        bool negated = skip_name("not");
        const Token& at = peek();
        auto e = make(Expr::Kind::kTest, at);
        e->name = parse_dotted_name();
        e->negated = negated;
        if (!is_known_test(e->name)) unsupported_at(at, "test " + e->name);
        e->children.push_back(std::move(node));
        const Token& tok = peek();
        if (is_op("(")) {
            parse_call_args(e.get());
        } else if ((tok.kind == TokenKind::kName || tok.kind == TokenKind::kString ||
                    tok.kind == TokenKind::kInteger || tok.kind == TokenKind::kFloat ||
                    is_op("[") || is_op("{")) &&
                   !is_name("else") && !is_name("or") && !is_name("and")) {
            if (is_name("is")) fail_here("you cannot chain multiple tests with is");
            ExprPtr arg = parse_postfix(parse_primary());
            e->children.push_back(std::move(arg));
        }
        return e;
    }

    const std::vector<Token>& t_;
    size_t i_ = 0;
};

}  // namespace

Body parse(const std::vector<Token>& tokens) { return Parser(tokens).parse_template(); }

}  // namespace jenny::tokenizer::jinja
