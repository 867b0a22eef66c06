// What `jenny chat-template render` does, as a library call the thin CLI file uses.
#pragma once

#include <string>
#include <string_view>

#include "jenny/base/env.h"
#include "jenny/base/result.h"

namespace jenny::tokenizer {

struct ChatTemplateRenderConfig {
    std::string model;           // model directory or tokenizer_config.json
    std::string messages = "-";  // JSON file with the messages array (or {"messages": [...],
                                 // "tools": [...]}); "-" reads stdin
    bool add_generation_prompt = false;
    std::string template_name;  // for configs with several named templates
    bool tokenize = false;      // print the ids of the rendered text instead of the text
    template <class V>
    void visit(V& v) {
        v.required("model", model, "model directory or tokenizer_config.json");
        v.field("messages", messages, "messages JSON file, - for stdin");
        v.field("add_generation_prompt", add_generation_prompt, "end with the assistant header");
        v.field("template_name", template_name, "which named template");
        v.field("tokenize", tokenize, "print token ids (special tokens parsed, none added)");
    }
};

// Renders the model's chat template over the messages; with `tokenize`, encodes the result
// with the model directory's tokenizer (parse_special, no BOS added: templates carry their
// own). `stdin_text` is used when messages is "-".
base::Result<std::string> run_chat_template_render(const ChatTemplateRenderConfig& config,
                                                   std::string_view stdin_text,
                                                   base::Env* env = base::Env::Default());

}  // namespace jenny::tokenizer
