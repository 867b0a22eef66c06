#include "jenny/tokenizer/chat_template.h"

#include "tokenizer/jinja_ast.h"
#include "tokenizer/jinja_error.h"
#include "tokenizer/jinja_filters.h"
#include "tokenizer/jinja_interpreter.h"
#include "tokenizer/jinja_lexer.h"
#include "tokenizer/jinja_parser.h"

namespace jenny::tokenizer {
namespace {

using nlohmann::ordered_json;

base::Status to_status(const jinja::JinjaError& e) {
    if (e.raised_by_template) return base::Status::invalid_argument(e.message);
    std::string msg = "chat template: " + e.message;
    if (e.line > 0) {
        msg += " at line " + std::to_string(e.line) + ", column " + std::to_string(e.column);
    }
    return base::Status(e.code, msg);
}

constexpr const char* kSpecialTokenKeys[] = {"bos_token", "eos_token", "unk_token", "sep_token",
                                             "pad_token", "cls_token", "mask_token"};
constexpr const char* kReasoningFields[] = {"reasoning_content", "thinking", "reasoning"};

// transformers' _normalize_chat_messages and _alias_reasoning_fields.
ordered_json normalize_message(const ordered_json& message) {
    ordered_json out = ordered_json::object();
    for (const auto& [k, v] : message.items())
        if (!v.is_null()) out[k] = v;
    const ordered_json* reasoning = nullptr;
    for (const char* field : kReasoningFields) {
        if (out.contains(field)) {
            reasoning = &out[field];
            break;
        }
    }
    if (!reasoning) return out;
    ordered_json r = *reasoning;
    ordered_json aliased = ordered_json::object();
    aliased["thinking"] = r;
    for (const auto& [k, v] : out.items()) aliased[k] = v;
    aliased["thinking"] = r;
    aliased["reasoning_content"] = r;
    return aliased;
}

}  // namespace

base::Result<ChatTemplate> ChatTemplate::parse(std::string_view source) {
    ChatTemplate t;
    try {
        std::vector<jinja::Token> tokens = jinja::tokenize(source);
        t.body_ = std::make_shared<const jinja::Body>(jinja::parse(tokens));
    } catch (const jinja::JinjaError& e) {
        return to_status(e);
    }
    t.source_ = std::make_shared<const std::string>(source);
    return t;
}

base::Result<ChatTemplate> ChatTemplate::from_tokenizer_config(const std::string& path,
                                                               base::Env* env,
                                                               const std::string& template_name) {
    std::string config_path = path;
    std::optional<std::string> jinja_file;
    if (env->list_dir(path).ok()) {
        std::string dir = path.empty() || path.back() == '/' ? path : path + "/";
        config_path = dir + "tokenizer_config.json";
        if (env->file_exists(dir + "chat_template.jinja")) {
            JENNY_ASSIGN_OR_RETURN(auto text, env->read_file(dir + "chat_template.jinja"));
            jinja_file = std::move(text);
        }
    }
    if (!env->file_exists(config_path)) {
        return base::Status::not_found("chat template: no " + config_path +
                                       " (pass a tokenizer_config.json or a model directory)");
    }
    JENNY_ASSIGN_OR_RETURN(std::string text, env->read_file(config_path));
    ordered_json config = ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (config.is_discarded() || !config.is_object())
        return base::Status::corruption(config_path + ": not a JSON object");

    std::string source;
    if (jinja_file) {
        source = *jinja_file;
    } else {
        const std::string want = template_name.empty() ? "default" : template_name;
        auto it = config.find("chat_template");
        if (it == config.end() || it->is_null()) {
            return base::Status::not_found(config_path +
                                           " has no chat_template: this tokenizer is not for chat");
        }
        if (it->is_string()) {
            source = it->get<std::string>();
        } else if (it->is_array()) {
            std::vector<std::string> names;
            for (const auto& entry : *it) {
                if (!entry.is_object() || !entry.contains("name") || !entry.contains("template") ||
                    !entry["name"].is_string() || !entry["template"].is_string())
                    return base::Status::corruption(
                        config_path + ": chat_template entries need name and template");
                names.push_back(entry["name"].get<std::string>());
                if (names.back() == want) source = entry["template"].get<std::string>();
            }
            if (source.empty()) {
                std::string list;
                for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
                return base::Status::not_found(config_path + " has no chat template named '" +
                                               want + "' (it has: " + list + ")");
            }
        } else {
            return base::Status::corruption(config_path +
                                            ": chat_template must be a string or a list");
        }
    }
    auto parsed = parse(source);
    if (!parsed.ok()) return parsed.status().with_context(config_path);
    ChatTemplate t = std::move(parsed).value();
    for (const char* key : kSpecialTokenKeys) {
        auto it = config.find(key);
        if (it == config.end()) continue;
        if (it->is_string()) {
            t.special_tokens_[key] = *it;
        } else if (it->is_object() && it->contains("content") && (*it)["content"].is_string()) {
            t.special_tokens_[key] = (*it)["content"];
        }
    }
    return t;
}

base::Result<std::string> ChatTemplate::render(const ordered_json& messages,
                                               const ChatRenderOptions& options) const {
    if (!messages.is_array() || messages.empty()) {
        return base::Status::invalid_argument(
            "chat template: messages must be a non-empty array of message objects");
    }
    ordered_json chat = ordered_json::array();
    for (const auto& m : messages) {
        if (!m.is_object()) {
            return base::Status::invalid_argument(
                "chat template: chat messages should be objects, got " + m.dump());
        }
        chat.push_back(normalize_message(m));
    }
    if (!options.extra.is_null() && !options.extra.is_object())
        return base::Status::invalid_argument("chat template: extra variables must be an object");
    try {
        int64_t now = options.now_unix_seconds ? *options.now_unix_seconds
                                               : base::Env::Default()->wall_time_seconds();
        std::vector<std::pair<std::string, jinja::Value>> vars = jinja::default_globals(now);
        for (const auto& [k, v] : special_tokens_.items())
            vars.emplace_back(k, jinja::from_json(v));
        vars.emplace_back("messages", jinja::from_json(chat));
        vars.emplace_back("tools", jinja::from_json(options.tools));
        vars.emplace_back("documents", jinja::from_json(options.documents));
        vars.emplace_back("add_generation_prompt",
                          jinja::Value::boolean(options.add_generation_prompt));
        if (options.extra.is_object()) {
            for (const auto& [k, v] : options.extra.items())
                vars.emplace_back(k, jinja::from_json(v));
        }
        return jinja::render(*body_, vars);
    } catch (const jinja::JinjaError& e) {
        return to_status(e);
    }
}

}  // namespace jenny::tokenizer
