#include "jenny/tokenizer/chat_template_command.h"

#include "jenny/tokenizer/chat_template.h"
#include "jenny/tokenizer/tokenizer.h"

namespace jenny::tokenizer {

base::Result<std::string> run_chat_template_render(const ChatTemplateRenderConfig& config,
                                                   std::string_view stdin_text, base::Env* env) {
    using json = nlohmann::ordered_json;
    std::string text;
    if (config.messages == "-") {
        text = std::string(stdin_text);
    } else {
        JENNY_ASSIGN_OR_RETURN(text, env->read_file(config.messages));
    }
    const std::string where = config.messages == "-" ? "stdin" : config.messages;
    json input = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (input.is_discarded()) {
        return base::Status::invalid_argument(fmt::format(
            "{}: not valid JSON; expected [{{\"role\": ..., \"content\": ...}}, ...]", where));
    }
    ChatRenderOptions options;
    options.add_generation_prompt = config.add_generation_prompt;
    json messages = input;
    if (input.is_object()) {
        if (!input.contains("messages")) {
            return base::Status::invalid_argument(
                fmt::format("{}: the object has no \"messages\"", where));
        }
        messages = input["messages"];
        if (input.contains("tools")) options.tools = input["tools"];
    }
    JENNY_ASSIGN_OR_RETURN(ChatTemplate tmpl, ChatTemplate::from_tokenizer_config(
                                                  config.model, env, config.template_name));
    JENNY_ASSIGN_OR_RETURN(std::string prompt, tmpl.render(messages, options));
    if (!config.tokenize) return prompt;
    JENNY_ASSIGN_OR_RETURN(std::unique_ptr<Tokenizer> tok, Tokenizer::load(config.model, env));
    EncodeOptions enc;
    enc.add_special = false;
    JENNY_ASSIGN_OR_RETURN(std::vector<TokenId> ids, tok->encode(prompt, enc));
    std::string out;
    for (size_t i = 0; i < ids.size(); ++i) out += (i ? " " : "") + std::to_string(ids[i]);
    return out + "\n";
}

}  // namespace jenny::tokenizer
