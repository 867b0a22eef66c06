#include "tokenizer/jinja_interpreter.h"

#include <memory>

#include "tokenizer/jinja_error.h"
#include "tokenizer/jinja_filters.h"
#include "tokenizer/jinja_operators.h"

namespace jenny::tokenizer::jinja {
namespace {

struct Scope {
    std::vector<std::pair<std::string, Value>> vars;
    std::shared_ptr<Scope> parent;

    const Value* find(const std::string& name) const {
        for (const Scope* s = this; s; s = s->parent.get()) {
            for (auto it = s->vars.rbegin(); it != s->vars.rend(); ++it)
                if (it->first == name) return &it->second;
        }
        return nullptr;
    }
    void set(const std::string& name, Value v) {
        for (auto& [k, old] : vars) {
            if (k == name) {
                old = std::move(v);
                return;
            }
        }
        vars.emplace_back(name, std::move(v));
    }
};

using ScopePtr = std::shared_ptr<Scope>;

enum class Flow { kNormal, kBreak, kContinue };

// Limits that keep a hostile template from exhausting the machine.
constexpr int kMaxDepth = 200;
constexpr size_t kMaxOutputBytes = size_t{256} << 20;

class Interpreter {
public:
    std::string run(const Body& body, const std::vector<std::pair<std::string, Value>>& vars) {
        auto globals = std::make_shared<Scope>();
        for (const auto& [k, v] : vars) globals->set(k, v);
        auto top = std::make_shared<Scope>();
        top->parent = globals;
        std::string out;
        exec_body(body, top, &out);
        return out;
    }

private:
    Flow exec_body(const Body& body, const ScopePtr& scope, std::string* out) {
        for (const auto& stmt : body) {
            Flow f = exec(*stmt, scope, out);
            if (f != Flow::kNormal) return f;
        }
        return Flow::kNormal;
    }

    Flow exec(const Stmt& s, const ScopePtr& scope, std::string* out) {
        try {
            if (out->size() > kMaxOutputBytes) throw_type_error("rendered output too large");
            return exec_inner(s, scope, out);
        } catch (JinjaError& e) {
            if (e.line == 0) {
                e.line = s.line;
                e.column = s.column;
            }
            throw;
        }
    }

    Flow exec_inner(const Stmt& s, const ScopePtr& scope, std::string* out) {
        switch (s.kind) {
            case Stmt::Kind::kText:
                out->append(s.text);
                return Flow::kNormal;
            case Stmt::Kind::kOutput:
                out->append(to_str(eval(*s.expr, scope)));
                return Flow::kNormal;
            case Stmt::Kind::kIf:
                for (const auto& [cond, body] : s.branches)
                    if (truthy(eval(*cond, scope))) return exec_body(body, scope, out);
                return exec_body(s.else_body, scope, out);
            case Stmt::Kind::kFor:
                exec_for(s, scope, out);
                return Flow::kNormal;
            case Stmt::Kind::kSet:
                assign(*s.target, eval(*s.expr, scope), scope);
                return Flow::kNormal;
            case Stmt::Kind::kSetBlock: {
                Value v = Value::string(render_block(s.body, scope));
                if (s.filter) v = eval_with_input(*s.filter, v, scope);
                assign(*s.target, v, scope);
                return Flow::kNormal;
            }
            case Stmt::Kind::kFilterBlock: {
                Value v = Value::string(render_block(s.body, scope));
                out->append(to_str(eval_with_input(*s.filter, v, scope)));
                return Flow::kNormal;
            }
            case Stmt::Kind::kMacro:
                scope->set(s.text, make_macro(s, scope));
                return Flow::kNormal;
            case Stmt::Kind::kWith: {
                auto inner = std::make_shared<Scope>();
                inner->parent = scope;
                for (const auto& [name, expr] : s.params) inner->set(name, eval(*expr, scope));
                return exec_body(s.body, inner, out);
            }
            case Stmt::Kind::kBreak:
                return Flow::kBreak;
            case Stmt::Kind::kContinue:
                return Flow::kContinue;
            case Stmt::Kind::kBodyOnly:
                return exec_body(s.body, scope, out);
        }
        return Flow::kNormal;
    }

    std::string render_block(const Body& body, const ScopePtr& scope) {
        std::string text;
        auto inner = std::make_shared<Scope>();
        inner->parent = scope;
        exec_body(body, inner, &text);
        return text;
    }

    Value eval_with_input(const Expr& filter, const Value& input, const ScopePtr& scope) {
        Value saved = block_input_;
        block_input_ = input;
        Value v = eval(filter, scope);
        block_input_ = saved;
        return v;
    }

    void assign(const Expr& target, const Value& v, const ScopePtr& scope) {
        if (target.kind == Expr::Kind::kName) {
            scope->set(target.name, v);
        } else if (target.kind == Expr::Kind::kGetAttr) {
            Value ns = eval(*target.children[0], scope);
            if (!ns.is_namespace()) {
                throw_type_error(
                    "TemplateRuntimeError: cannot assign attribute on non-namespace object");
            }
            if (!target.name.empty() && target.name[0] == '_') {
                throw_type_error(
                    "SecurityError: Chat templates cannot store underscore-prefixed "
                    "attributes on a namespace, but got '" +
                    target.name + "'. Please rename the attribute.");
            }
            ns.mutable_namespace().set(target.name, v);
        } else {
            std::vector<Value> items = iterate(v);
            const auto& names = target.children;
            if (items.size() != names.size()) {
                throw_type_error(items.size() > names.size()
                                     ? "ValueError: too many values to unpack (expected " +
                                           std::to_string(names.size()) + ")"
                                     : "ValueError: not enough values to unpack (expected " +
                                           std::to_string(names.size()) + ", got " +
                                           std::to_string(items.size()) + ")");
            }
            for (size_t i = 0; i < names.size(); ++i) assign(*names[i], items[i], scope);
        }
    }

    void exec_for(const Stmt& s, const ScopePtr& scope, std::string* out) {
        std::vector<Value> items = iterate(eval(*s.expr, scope));
        if (s.filter) {
            std::vector<Value> kept;
            for (const Value& item : items) {
                auto probe = std::make_shared<Scope>();
                probe->parent = scope;
                assign(*s.target, item, probe);
                if (truthy(eval(*s.filter, probe))) kept.push_back(item);
            }
            items = std::move(kept);
        }
        if (items.empty()) {
            exec_body(s.else_body, scope, out);
            return;
        }
        const int64_t n = static_cast<int64_t>(items.size());
        for (int64_t i = 0; i < n; ++i) {
            auto iter = std::make_shared<Scope>();
            iter->parent = scope;
            auto loop = std::make_shared<Dict>();
            loop->set("index", Value::integer(i + 1));
            loop->set("index0", Value::integer(i));
            loop->set("revindex", Value::integer(n - i));
            loop->set("revindex0", Value::integer(n - i - 1));
            loop->set("first", Value::boolean(i == 0));
            loop->set("last", Value::boolean(i == n - 1));
            loop->set("length", Value::integer(n));
            loop->set("depth", Value::integer(1));
            loop->set("depth0", Value::integer(0));
            loop->set("previtem", i > 0 ? items[static_cast<size_t>(i - 1)]
                                        : Value::undefined("there is no previous item"));
            loop->set("nextitem", i + 1 < n ? items[static_cast<size_t>(i + 1)]
                                            : Value::undefined("there is no next item"));
            loop->set("cycle", Value::function("loop.cycle", [i](Args& a) {
                          if (a.positional.empty())
                              throw_type_error("TypeError: no items for cycling given");
                          return a.positional[static_cast<size_t>(i) % a.positional.size()];
                      }));
            iter->set("loop", Value::dict(loop));
            assign(*s.target, items[static_cast<size_t>(i)], iter);
            if (exec_body(s.body, iter, out) == Flow::kBreak) break;
        }
    }

    Value make_macro(const Stmt& s, const ScopePtr& defining) {
        const Stmt* macro = &s;
        std::weak_ptr<Scope> weak = defining;
        return Value::function(s.text, [this, macro, weak](Args& a) -> Value {
            auto parent = weak.lock();
            auto scope = std::make_shared<Scope>();
            scope->parent = parent;
            const auto& params = macro->params;
            if (a.positional.size() > params.size()) {
                throw_type_error("TypeError: macro '" + macro->text + "' takes not more than " +
                                 std::to_string(params.size()) + " argument(s)");
            }
            for (const auto& [k, _] : a.keyword) {
                bool known = false;
                for (const auto& p : params) known = known || p.first == k;
                if (!known)
                    throw_type_error("TypeError: macro '" + macro->text +
                                     "' takes no keyword argument '" + k + "'");
            }
            for (size_t i = 0; i < params.size(); ++i) {
                const Value* v = find_arg(a, i, params[i].first.c_str());
                if (v) {
                    scope->set(params[i].first, *v);
                } else if (params[i].second) {
                    scope->set(params[i].first, eval(*params[i].second, scope));
                } else {
                    scope->set(params[i].first, Value::undefined("parameter '" + params[i].first +
                                                                 "' was not provided"));
                }
            }
            if (++depth_ > kMaxDepth) throw_type_error("RecursionError: macro recursion too deep");
            std::string text;
            exec_body(macro->body, scope, &text);
            --depth_;
            return Value::string(text);
        });
    }

    Value eval(const Expr& e, const ScopePtr& scope) {
        try {
            return eval_inner(e, scope);
        } catch (JinjaError& err) {
            if (err.line == 0) {
                err.line = e.line;
                err.column = e.column;
            }
            throw;
        }
    }

    Args eval_args(const Expr& e, size_t first, const ScopePtr& scope) {
        Args args;
        for (size_t i = first; i < e.children.size(); ++i)
            args.positional.push_back(eval(*e.children[i], scope));
        for (const auto& [k, v] : e.kwargs) args.keyword.emplace_back(k, eval(*v, scope));
        return args;
    }

    Value eval_inner(const Expr& e, const ScopePtr& scope) {
        switch (e.kind) {
            case Expr::Kind::kConst:
                return e.value;
            case Expr::Kind::kName: {
                const Value* v = scope->find(e.name);
                return v ? *v : Value::undefined("'" + e.name + "' is undefined");
            }
            case Expr::Kind::kList:
            case Expr::Kind::kTuple: {
                std::vector<Value> items;
                for (const auto& c : e.children) items.push_back(eval(*c, scope));
                return e.kind == Expr::Kind::kList ? Value::list(std::move(items))
                                                   : Value::tuple(std::move(items));
            }
            case Expr::Kind::kDict: {
                auto d = std::make_shared<Dict>();
                for (size_t i = 0; i + 1 < e.children.size(); i += 2) {
                    Value k = eval(*e.children[i], scope);
                    if (!k.is_string()) throw_unsupported("dict literal with a non-string key");
                    d->set(k.as_string(), eval(*e.children[i + 1], scope));
                }
                return Value::dict(std::move(d));
            }
            case Expr::Kind::kGetAttr:
                return get_attr(eval(*e.children[0], scope), e.name);
            case Expr::Kind::kGetItem: {
                Value obj = eval(*e.children[0], scope);
                const Expr& key = *e.children[1];
                if (key.kind == Expr::Kind::kSlice) {
                    auto part = [&](size_t i) {
                        return key.children[i] ? eval(*key.children[i], scope) : Value::none();
                    };
                    return get_slice(obj, part(0), part(1), part(2));
                }
                return get_item(obj, eval(key, scope));
            }
            case Expr::Kind::kSlice:
                throw_unsupported("slice outside a subscript");
            case Expr::Kind::kCall: {
                Value fn = eval(*e.children[0], scope);
                Args args = eval_args(e, 1, scope);
                if (fn.is_undefined()) fail_undefined(fn);
                if (!fn.is_function())
                    throw_type_error("TypeError: '" + type_name(fn) + "' object is not callable");
                if (++depth_ > kMaxDepth) throw_type_error("RecursionError: calls nested too deep");
                Value result = fn.call(args);
                --depth_;
                return result;
            }
            case Expr::Kind::kFilter: {
                Value input = e.children[0] ? eval(*e.children[0], scope) : block_input_;
                Args args = eval_args(e, 1, scope);
                return call_filter(e.name, input, args);
            }
            case Expr::Kind::kTest: {
                Value input = eval(*e.children[0], scope);
                Args args = eval_args(e, 1, scope);
                return Value::boolean(call_test(e.name, input, args) != e.negated);
            }
            case Expr::Kind::kNot:
                return Value::boolean(!truthy(eval(*e.children[0], scope)));
            case Expr::Kind::kNeg:
                return unary_op('-', eval(*e.children[0], scope));
            case Expr::Kind::kPos:
                return unary_op('+', eval(*e.children[0], scope));
            case Expr::Kind::kBinary:
                return binary_op(e.name, eval(*e.children[0], scope), eval(*e.children[1], scope));
            case Expr::Kind::kAnd: {
                Value a = eval(*e.children[0], scope);
                return truthy(a) ? eval(*e.children[1], scope) : a;
            }
            case Expr::Kind::kOr: {
                Value a = eval(*e.children[0], scope);
                return truthy(a) ? a : eval(*e.children[1], scope);
            }
            case Expr::Kind::kCompare: {
                Value left = eval(*e.children[0], scope);
                for (size_t i = 0; i < e.ops.size(); ++i) {
                    Value right = eval(*e.children[i + 1], scope);
                    if (!compare_op(e.ops[i], left, right)) return Value::boolean(false);
                    left = std::move(right);
                }
                return Value::boolean(true);
            }
            case Expr::Kind::kCondExpr:
                if (truthy(eval(*e.children[0], scope))) return eval(*e.children[1], scope);
                if (e.children[2]) return eval(*e.children[2], scope);
                return Value::undefined(
                    "the inline if-expression evaluated to false and no else "
                    "section was defined.");
        }
        throw_unsupported("expression");
    }

    Value block_input_;
    int depth_ = 0;
};

}  // namespace

std::string render(const Body& body, const std::vector<std::pair<std::string, Value>>& variables) {
    return Interpreter().run(body, variables);
}

}  // namespace jenny::tokenizer::jinja
