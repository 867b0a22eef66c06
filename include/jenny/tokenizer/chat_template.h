// ChatTemplate: renders a conversation with a model's Jinja chat template, byte for byte as
// Hugging Face transformers' `tokenizer.apply_chat_template(messages, tokenize=False, ...)`
// does (Jinja 3.1 with trim_blocks, lstrip_blocks, the loopcontrols extension,
// `{% generation %}`, and transformers' tojson, raise_exception and strftime_now).
//
//   JENNY_ASSIGN_OR_RETURN(auto tmpl, ChatTemplate::from_tokenizer_config(model_dir));
//   ChatRenderOptions opts;
//   opts.add_generation_prompt = true;
//   JENNY_ASSIGN_OR_RETURN(std::string prompt, tmpl.render(messages, opts));
//
// JSON is taken as nlohmann::ordered_json because key order is visible to templates
// (`tool | tojson` prints keys in the order the caller gave them, like Python dicts).
//
// The interpreter is a subset of Jinja: what real chat templates use. A template that uses
// something else fails to parse (or, for a method or filter argument only known at run time,
// to render) with an kUnsupported Status naming the construct and its line:column; it never
// renders a silently different prompt.
//
// A ChatTemplate is immutable after construction; render() is const and thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "jenny/base/env.h"
#include "jenny/base/result.h"

namespace jenny::tokenizer {

namespace jinja {
struct Stmt;
}

struct ChatRenderOptions {
    // Passed to the template as `add_generation_prompt`.
    bool add_generation_prompt = false;
    // Tool schemas (a JSON array), passed as `tools`; null: `tools` is none.
    nlohmann::ordered_json tools;
    // RAG documents (a JSON array), passed as `documents`; null: none.
    nlohmann::ordered_json documents;
    // More template variables (a JSON object), e.g. {"enable_thinking": false} or
    // {"bos_token": "<s>"}. They override the special tokens and every variable above, as
    // keyword arguments of apply_chat_template do.
    nlohmann::ordered_json extra = nlohmann::ordered_json::object();
    // The clock of strftime_now(), in seconds since the Unix epoch, formatted in the local
    // time zone; unset: the Env's wall clock.
    std::optional<int64_t> now_unix_seconds;
};

class ChatTemplate {
public:
    // Parses a template source. Errors: kUnsupported "chat template: unsupported construct
    // '<x>' at line L, column C" for valid Jinja this interpreter does not implement,
    // kInvalidArgument "chat template: syntax error: ... at line L, column C" otherwise.
    static base::Result<ChatTemplate> parse(std::string_view source);

    // Loads the chat template of a Hugging Face model: `path` is a tokenizer_config.json or a
    // model directory holding one (a `chat_template.jinja` beside it takes precedence, as
    // in transformers). `chat_template` may be a string or a list of {name, template};
    // `template_name` picks one of a list ("default" when empty). The special tokens
    // (bos_token, eos_token, unk_token, sep_token, pad_token, cls_token, mask_token, as a
    // string or an {"content": ...} object) become template variables.
    // Errors: kNotFound when the file is missing or has no chat template (or no template of
    // that name), kCorruption for malformed JSON, and parse()'s errors.
    static base::Result<ChatTemplate> from_tokenizer_config(const std::string& path,
                                                            base::Env* env = base::Env::Default(),
                                                            const std::string& template_name = "");

    // Renders `messages` (a JSON array of message objects). As transformers does, keys whose
    // value is null are dropped from each message, and a message's reasoning under
    // `reasoning_content`, `thinking` or `reasoning` is visible under `reasoning_content` and
    // `thinking`. Returns the prompt text. Errors: kInvalidArgument whose message is exactly
    // the template's text when the template calls raise_exception(text) (e.g. roles that do
    // not alternate); kInvalidArgument "chat template: <error> at line L, column C" for a
    // runtime error (undefined value used, type error); kUnsupported for constructs only
    // detected at run time; kInvalidArgument when messages is not a non-empty array of
    // objects.
    base::Result<std::string> render(const nlohmann::ordered_json& messages,
                                     const ChatRenderOptions& options) const;

    // The template's source, and the special tokens it will see (a JSON object of strings).
    const std::string& source() const { return *source_; }
    const nlohmann::ordered_json& special_tokens() const { return special_tokens_; }
    void set_special_tokens(nlohmann::ordered_json tokens) { special_tokens_ = std::move(tokens); }

private:
    ChatTemplate() = default;

    std::shared_ptr<const std::string> source_;
    std::shared_ptr<const std::vector<std::unique_ptr<jinja::Stmt>>> body_;
    nlohmann::ordered_json special_tokens_ = nlohmann::ordered_json::object();
};

}  // namespace jenny::tokenizer
