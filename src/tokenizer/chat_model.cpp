#include "jenny/tokenizer/chat_model.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "jenny/checkpoint/gguf.h"

namespace jenny::tokenizer {
namespace {

using base::Status;

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string parent_dir(const std::string& path) {
    size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
}

// A positive integer field of a JSON file, if the file exists and has it.
std::optional<int64_t> json_int_field(const std::string& path, const char* key, base::Env* env) {
    if (!env->file_exists(path)) return std::nullopt;
    auto text = env->read_file(path);
    if (!text.ok()) return std::nullopt;
    auto j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return std::nullopt;
    double v = j[key].get<double>();
    if (!(v >= 1 && v < 1e7)) return std::nullopt;
    return static_cast<int64_t>(v);
}

base::Result<ChatModel> load_gguf(const std::string& path, base::Env* env) {
    JENNY_ASSIGN_OR_RETURN(std::unique_ptr<checkpoint::GgufFile> f,
                           checkpoint::GgufFile::open(path, env));
    if (!f->has("tokenizer.chat_template")) {
        return Status::not_found(
            path +
            " has no tokenizer.chat_template: this model is not for chat; give a model "
            "directory whose tokenizer_config.json has a chat_template");
    }
    JENNY_ASSIGN_OR_RETURN(std::string_view source, f->get_string("tokenizer.chat_template"));
    auto parsed = ChatTemplate::parse(source);
    if (!parsed.ok()) return parsed.status().with_context(path);
    JENNY_ASSIGN_OR_RETURN(std::unique_ptr<Tokenizer> tok, Tokenizer::load(path, env));
    nlohmann::ordered_json specials = nlohmann::ordered_json::object();
    const SpecialTokens& sp = tok->special();
    if (sp.bos) specials["bos_token"] = std::string(tok->token_text(*sp.bos));
    if (sp.eos) specials["eos_token"] = std::string(tok->token_text(*sp.eos));
    parsed->set_special_tokens(std::move(specials));
    std::optional<int64_t> context;
    if (auto arch = f->get_string("general.architecture"); arch.ok()) {
        auto n = f->get_u64(fmt::format("{}.context_length", *arch));
        if (n.ok() && *n > 0) context = static_cast<int64_t>(*n);
    }
    return ChatModel{std::move(tok), std::move(parsed).value(), context};
}

}  // namespace

base::Result<ChatModel> load_chat_model(const std::string& path, base::Env* env,
                                        const std::string& template_name) {
    if (!env->file_exists(path)) {
        return Status::not_found(fmt::format(
            "model {}: no such file or directory (give a model directory, tokenizer_config.json "
            "or .gguf)",
            path));
    }
    if (ends_with(path, ".gguf")) return load_gguf(path, env);
    std::string dir = path;
    if (!env->list_dir(path).ok()) {
        if (!ends_with(path, ".json")) {
            return Status::invalid_argument(fmt::format(
                "model {}: expected a model directory, tokenizer_config.json, tokenizer.json or "
                ".gguf",
                path));
        }
        dir = parent_dir(path);
    }
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    JENNY_ASSIGN_OR_RETURN(ChatTemplate tmpl,
                           ChatTemplate::from_tokenizer_config(dir, env, template_name));
    // The directory, not a tokenizer.json alone: its tokenizer_config.json adds the special
    // tokens, and the tokenizer hash then matches what jenny train computes for the model.
    JENNY_ASSIGN_OR_RETURN(std::unique_ptr<Tokenizer> tok, Tokenizer::load(dir, env));
    std::optional<int64_t> context =
        json_int_field(dir + "/config.json", "max_position_embeddings", env);
    if (!context) context = json_int_field(dir + "/tokenizer_config.json", "model_max_length", env);
    return ChatModel{std::move(tok), std::move(tmpl), context};
}

}  // namespace jenny::tokenizer
