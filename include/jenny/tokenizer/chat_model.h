// The chat side of a model path: its tokenizer, its chat template and its context length, found
// the way `jenny generate --chat` and `jenny chat-template render` find them. Used by callers
// that render conversations without loading weights (SFT data, src/data/sft_dataset.h).
//
//   JENNY_ASSIGN_OR_RETURN(ChatModel m, load_chat_model("models/qwen2.5-0.5b-instruct"));
//   JENNY_ASSIGN_OR_RETURN(std::string text, m.chat_template.render(messages, options));
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "jenny/base/env.h"
#include "jenny/base/result.h"
#include "jenny/tokenizer/chat_template.h"
#include "jenny/tokenizer/tokenizer.h"

namespace jenny::tokenizer {

struct ChatModel {
    std::unique_ptr<Tokenizer> tokenizer;
    ChatTemplate chat_template;
    // The model's context window when the files say: config.json max_position_embeddings,
    // else tokenizer_config.json model_max_length (when below 10^7: transformers writes 1e30
    // for "no limit"), or a GGUF's <general.architecture>.context_length.
    std::optional<int64_t> context_length;
};

// Loads from `path`:
// - a Hugging Face model directory, or its tokenizer_config.json / tokenizer.json: the
//   tokenizer of the directory and ChatTemplate::from_tokenizer_config (chat_template.jinja
//   first, then tokenizer_config.json's chat_template, `template_name` picking a named one);
// - a .gguf file: its vocabulary and tokenizer.chat_template, with bos_token / eos_token set
//   from the vocabulary's special tokens (as llama.cpp does).
// Errors: the tokenizer's and the template's load errors; kNotFound "... has no chat
// template" (saying which file was looked in) when the model has none.
base::Result<ChatModel> load_chat_model(const std::string& path,
                                        base::Env* env = base::Env::Default(),
                                        const std::string& template_name = "");

}  // namespace jenny::tokenizer
