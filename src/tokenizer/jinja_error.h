// JinjaError: how the chat-template interpreter reports a failure from deep inside the lexer,
// parser or evaluator. It is thrown and caught only inside src/tokenizer/jinja_*.cpp and
// chat_template.cpp; the public API (chat_template.h) turns it into a base::Status, so no
// exception crosses a public header.
#pragma once

#include <string>

#include "jenny/base/status.h"

namespace jenny::tokenizer::jinja {

struct JinjaError {
    base::StatusCode code = base::StatusCode::kInvalidArgument;
    std::string message;
    int line = 0;    // 1-based; 0 when not known yet
    int column = 0;  // 1-based; 0 when not known
    // raise_exception(msg) from the template: the message is the template's own, verbatim.
    bool raised_by_template = false;
};

// "TypeError"-like failures: the template did something Python would reject.
[[noreturn]] inline void throw_type_error(std::string message) {
    throw JinjaError{base::StatusCode::kInvalidArgument, std::move(message)};
}

// Constructs this interpreter does not implement (the message names the construct).
[[noreturn]] inline void throw_unsupported(const std::string& construct) {
    throw JinjaError{base::StatusCode::kUnsupported, "unsupported construct '" + construct + "'"};
}

}  // namespace jenny::tokenizer::jinja
