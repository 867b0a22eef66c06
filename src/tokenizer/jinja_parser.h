// The chat-template parser: Jinja's grammar (statements and expressions, with Jinja's
// operator precedence) over the lexer's tokens.
#pragma once

#include <vector>

#include "tokenizer/jinja_ast.h"
#include "tokenizer/jinja_lexer.h"

namespace jenny::tokenizer::jinja {

// Parses a whole template. Throws JinjaError with the line and column of the offending
// token: kUnsupported naming the construct (`{% include %}`, an unknown filter, `*args`,
// ...) for valid Jinja this interpreter does not implement, kInvalidArgument for syntax
// errors.
Body parse(const std::vector<Token>& tokens);

}  // namespace jenny::tokenizer::jinja
