#include "jenny/model/generate_command.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "jenny/model/generator.h"
#include "jenny/model/lora_command.h"
#include "jenny/tokenizer/chat_template.h"

namespace jenny::model {

using base::Status;

base::Status run_generate(const GenerateConfig& config, std::FILE* out, std::FILE* err,
                          base::Env* env) {
    LoadOptions lo;
    lo.n_threads = config.threads;
    lo.tokenizer_path = config.tokenizer;
    JENNY_ASSIGN_OR_RETURN(LoadedModel m, load_model(config.model, lo, env));
    if (!config.lora.empty()) {
        Status s = attach_lora(m, config.lora, env);
        if (!s.ok()) return Status(s.code(), "--lora " + config.lora + ": " + s.message());
    }
    auto kv_dtype = tensor::dtype_from_name(config.kv_dtype);
    if (!kv_dtype) return Status::invalid_argument("kv_dtype: " + config.kv_dtype);

    std::vector<int32_t> prompt;
    if (config.chat) {
        if (!m.chat_template) {
            return Status::invalid_argument(fmt::format(
                "{} has no chat template; drop --chat and give a raw prompt", config.model));
        }
        JENNY_ASSIGN_OR_RETURN(auto tmpl, tokenizer::ChatTemplate::parse(*m.chat_template));
        nlohmann::ordered_json messages = nlohmann::ordered_json::array();
        if (!config.system.empty()) {
            messages.push_back({{"role", "system"}, {"content", config.system}});
        }
        messages.push_back({{"role", "user"}, {"content", config.prompt}});
        tokenizer::ChatRenderOptions ro;
        ro.add_generation_prompt = true;
        const auto& sp = m.tokenizer->special();
        nlohmann::ordered_json specials = nlohmann::ordered_json::object();
        if (sp.bos) specials["bos_token"] = std::string(m.tokenizer->token_text(*sp.bos));
        if (sp.eos) specials["eos_token"] = std::string(m.tokenizer->token_text(*sp.eos));
        tmpl.set_special_tokens(specials);
        JENNY_ASSIGN_OR_RETURN(std::string text, tmpl.render(messages, ro));
        tokenizer::EncodeOptions eo;
        eo.add_special = false;  // the template wrote its own special tokens
        JENNY_ASSIGN_OR_RETURN(prompt, m.tokenizer->encode(text, eo));
    } else {
        tokenizer::EncodeOptions eo;
        eo.add_special = config.bos;
        JENNY_ASSIGN_OR_RETURN(prompt, m.tokenizer->encode(config.prompt, eo));
        if (prompt.empty() && m.bos_id) prompt.push_back(*m.bos_id);  // generate from BOS
    }

    GenerateOptions go;
    go.sampling = config.sampling;
    go.kv_dtype = *kv_dtype;
    if (!config.chat && !config.prompt.empty()) {
        std::fputs(config.prompt.c_str(), out);
        std::fflush(out);
    }
    JENNY_ASSIGN_OR_RETURN(GenerateResult r, generate(
                                                 m, prompt, go,
                                                 [&](std::string_view t) {
                                                     std::fwrite(t.data(), 1, t.size(), out);
                                                     std::fflush(out);
                                                     return true;
                                                 },
                                                 env));
    std::fputc('\n', out);
    std::fflush(out);
    if (config.stats) {
        const double pp = r.prompt_seconds > 0 ? r.n_prompt / r.prompt_seconds : 0;
        const double tg = r.decode_seconds > 0 ? r.tokens.size() / r.decode_seconds : 0;
        constexpr double kMiB = 1024.0 * 1024.0;
        std::fprintf(
            err,
            "jenny generate: memory: weights %.1f MiB, KV cache %.1f MiB (%s), scratch %.1f MiB\n",
            r.weight_bytes / kMiB, r.kv_bytes / kMiB, config.kv_dtype.c_str(),
            r.scratch_bytes / kMiB);
        std::fprintf(err,
                     "jenny generate: prompt %d tokens in %.3f s (%.1f tok/s), generated %zu "
                     "tokens in %.3f s (%.1f tok/s), finish: %s\n",
                     r.n_prompt, r.prompt_seconds, pp, r.tokens.size(), r.decode_seconds, tg,
                     r.finish_reason.c_str());
    }
    return Status();
}

}  // namespace jenny::model
