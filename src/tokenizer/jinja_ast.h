// The syntax tree of a parsed chat template: expressions (Expr) and statements (Stmt), with
// the 1-based line and column where each starts, for error messages.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tokenizer/jinja_value.h"

namespace jenny::tokenizer::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
    enum class Kind {
        kConst,     // value
        kName,      // name
        kList,      // children: items
        kTuple,     // children: items
        kDict,      // children: key0, value0, key1, value1, ...
        kGetAttr,   // children[0].name
        kGetItem,   // children[0][children[1]]
        kSlice,     // children: start, stop, step (null when omitted); only inside kGetItem
        kCall,      // children[0](children[1:], kwargs)
        kFilter,    // children[0] | name(children[1:], kwargs); children[0] null: block input
        kTest,      // children[0] is name(children[1:], kwargs)
        kNot,       // not children[0]
        kNeg,       // -children[0]
        kPos,       // +children[0]
        kBinary,    // children[0] op children[1]; op in + - * / // % ** ~
        kAnd,       // children[0] and children[1]
        kOr,        // children[0] or children[1]
        kCompare,   // children[0] ops[0] children[1] ops[1] children[2] ...
        kCondExpr,  // children[1] if children[0] else children[2] (null: undefined)
    };

    Kind kind;
    int line = 0;
    int column = 0;
    Value value;                    // kConst
    std::string name;               // kName, kGetAttr, kFilter, kTest; operator of kBinary
    std::vector<ExprPtr> children;  // see Kind; entries may be null where noted
    std::vector<std::pair<std::string, ExprPtr>> kwargs;  // kCall, kFilter, kTest
    std::vector<std::string> ops;                         // kCompare: == != < <= > >= in notin
    bool negated = false;                                 // kTest: `is not`
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct Stmt {
    enum class Kind {
        kText,         // text
        kOutput,       // {{ expr }}
        kIf,           // branches (condition, body); else_body
        kFor,          // for target in expr [if filter]: body; else_body
        kSet,          // set target = expr
        kSetBlock,     // set target [| filter] %}body{% endset
        kMacro,        // macro name(params): body
        kFilterBlock,  // filter <filter> %}body{% endfilter
        kWith,         // with assignments: body
        kBreak,
        kContinue,
        kBodyOnly,  // {% generation %}body{% endgeneration %}: renders body in place
    };

    Kind kind;
    int line = 0;
    int column = 0;
    std::string text;  // kText; macro name
    ExprPtr expr;      // kOutput, kFor iterable, kSet value
    ExprPtr target;    // kFor, kSet, kSetBlock: kName, kTuple of kName, or kGetAttr(ns) for set
    ExprPtr filter;    // kFor loop filter; kSetBlock/kFilterBlock: kFilter chain on block input
    std::vector<std::pair<ExprPtr, Body>> branches;       // kIf
    Body body;                                            // kFor, kSetBlock, kMacro, ...
    Body else_body;                                       // kIf, kFor
    std::vector<std::pair<std::string, ExprPtr>> params;  // kMacro (default may be null), kWith
};

}  // namespace jenny::tokenizer::jinja
