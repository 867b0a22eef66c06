// The chat-template evaluator: executes a parsed template the way Jinja does, including its
// scoping rules (a for-loop iteration or a macro call is a scope of its own; `set` inside
// one is not seen outside it, which is why templates use namespace()).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "tokenizer/jinja_ast.h"

namespace jenny::tokenizer::jinja {

// Renders `body` with the given top-level variables (later entries shadow earlier ones, so
// pass globals first). Throws JinjaError carrying the line and column of the failing
// statement or expression.
std::string render(const Body& body, const std::vector<std::pair<std::string, Value>>& variables);

}  // namespace jenny::tokenizer::jinja
