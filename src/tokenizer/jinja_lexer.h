// The chat-template lexer: splits a Jinja template into text and tag tokens exactly as
// Jinja 2/3's lexer does with transformers' settings (trim_blocks=True, lstrip_blocks=True,
// keep_trailing_newline=False): whitespace control `{%-`/`-%}`/`{%+`/`+%}`, comments `{# #}`,
// `{% raw %}`, newline normalisation (\r\n and \r become \n) and one trailing newline dropped.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace jenny::tokenizer::jinja {

enum class TokenKind {
    kText,        // literal template text, whitespace control already applied
    kVarBegin,    // {{
    kVarEnd,      // }}
    kBlockBegin,  // {%
    kBlockEnd,    // %}
    kName,
    kString,  // text holds the decoded value (escapes applied)
    kInteger,
    kFloat,
    kOperator,
    kEnd,  // end of the template
};

struct Token {
    TokenKind kind;
    std::string text;
    int line = 1;
    int column = 1;
};

// Tokenizes `source`. Throws JinjaError (with line and column) on a lexical error: an
// unterminated tag, comment or string, an unexpected character or unbalanced brackets.
std::vector<Token> tokenize(std::string_view source);

}  // namespace jenny::tokenizer::jinja
