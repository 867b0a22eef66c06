// Hugging Face model directories: config.json + safetensors (one file or sharded), tokenizer
// files, generation_config.json.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "jenny/checkpoint/hf_dir.h"
#include "loaders.h"

namespace jenny::model {

using base::Status;
using tensor::Tensor;

base::Result<LoadedModel> load_hf_model(const std::string& dir, const LoadOptions& options,
                                        base::Env* env) {
    JENNY_ASSIGN_OR_RETURN(auto hf, checkpoint::HfDirectory::open(dir, env));
    JENNY_ASSIGN_OR_RETURN(LlamaConfig c,
                           config_from_hf_json(hf->config_json(), dir + "/config.json"));

    auto need = [&](const std::string& name) -> base::Result<Tensor> { return hf->tensor(name); };
    LlamaWeights w;
    const bool internlm = c.arch == "internlm2";
    const std::string emb = internlm ? "model.tok_embeddings.weight" : "model.embed_tokens.weight";
    JENNY_ASSIGN_OR_RETURN(w.tok_embeddings, need(emb));
    JENNY_ASSIGN_OR_RETURN(w.norm, need("model.norm.weight"));
    const std::string head = internlm ? "output.weight" : "lm_head.weight";
    if (hf->find(head) != nullptr) {
        JENNY_ASSIGN_OR_RETURN(w.output, need(head));
    } else if (c.tie_embeddings) {
        w.output = w.tok_embeddings;
    } else {
        return Status::invalid_argument(
            fmt::format("{}: missing tensor '{}' and tie_word_embeddings is false", dir, head));
    }
    w.layers.resize(c.n_layers);
    for (int i = 0; i < c.n_layers; ++i) {
        auto& l = w.layers[i];
        const std::string p = fmt::format("model.layers.{}.", i);
        if (internlm) {
            JENNY_ASSIGN_OR_RETURN(l.attn_norm, need(p + "attention_norm.weight"));
            JENNY_ASSIGN_OR_RETURN(l.wqkv, need(p + "attention.wqkv.weight"));
            JENNY_ASSIGN_OR_RETURN(l.wo, need(p + "attention.wo.weight"));
            JENNY_ASSIGN_OR_RETURN(l.ffn_norm, need(p + "ffn_norm.weight"));
            JENNY_ASSIGN_OR_RETURN(l.w_gate, need(p + "feed_forward.w1.weight"));
            JENNY_ASSIGN_OR_RETURN(l.w_down, need(p + "feed_forward.w2.weight"));
            JENNY_ASSIGN_OR_RETURN(l.w_up, need(p + "feed_forward.w3.weight"));
            continue;
        }
        JENNY_ASSIGN_OR_RETURN(l.attn_norm, need(p + "input_layernorm.weight"));
        JENNY_ASSIGN_OR_RETURN(l.wq, need(p + "self_attn.q_proj.weight"));
        JENNY_ASSIGN_OR_RETURN(l.wk, need(p + "self_attn.k_proj.weight"));
        JENNY_ASSIGN_OR_RETURN(l.wv, need(p + "self_attn.v_proj.weight"));
        JENNY_ASSIGN_OR_RETURN(l.wo, need(p + "self_attn.o_proj.weight"));
        if (c.qkv_bias) {
            JENNY_ASSIGN_OR_RETURN(l.bq, need(p + "self_attn.q_proj.bias"));
            JENNY_ASSIGN_OR_RETURN(l.bk, need(p + "self_attn.k_proj.bias"));
            JENNY_ASSIGN_OR_RETURN(l.bv, need(p + "self_attn.v_proj.bias"));
        }
        JENNY_ASSIGN_OR_RETURN(l.ffn_norm, need(p + "post_attention_layernorm.weight"));
        JENNY_ASSIGN_OR_RETURN(l.w_gate, need(p + "mlp.gate_proj.weight"));
        JENNY_ASSIGN_OR_RETURN(l.w_up, need(p + "mlp.up_proj.weight"));
        JENNY_ASSIGN_OR_RETURN(l.w_down, need(p + "mlp.down_proj.weight"));
    }

    LoadedModel m;
    m.path = dir;
    m.format = "hf";
    auto model = LlamaModel::create(c, std::move(w), options.n_threads);
    if (!model.ok()) return model.status().with_context(dir);
    m.model = std::move(model).value();
    const std::string tok_path = options.tokenizer_path.empty() ? dir : options.tokenizer_path;
    if (options.load_tokenizer) {
        JENNY_ASSIGN_OR_RETURN(m.tokenizer, tokenizer::Tokenizer::load(tok_path, env));
    }

    // The chat template lives in tokenizer_config.json (or chat_template.jinja since
    // transformers 4.43); eos ids in generation_config.json may be a list.
    if (env->file_exists(dir + "/chat_template.jinja")) {
        JENNY_ASSIGN_OR_RETURN(std::string t, env->read_file(dir + "/chat_template.jinja"));
        m.chat_template = std::move(t);
    } else if (env->file_exists(dir + "/tokenizer_config.json")) {
        JENNY_ASSIGN_OR_RETURN(std::string text, env->read_file(dir + "/tokenizer_config.json"));
        auto j = nlohmann::json::parse(text, nullptr, false);
        if (j.is_object() && j.contains("chat_template") && j["chat_template"].is_string()) {
            m.chat_template = j["chat_template"].get<std::string>();
        }
    }
    if (env->file_exists(dir + "/generation_config.json")) {
        JENNY_ASSIGN_OR_RETURN(std::string text, env->read_file(dir + "/generation_config.json"));
        auto j = nlohmann::json::parse(text, nullptr, false);
        if (j.is_object() && j.contains("eos_token_id")) {
            const auto& e = j["eos_token_id"];
            if (e.is_number_integer()) m.eos_ids.push_back(e.get<int32_t>());
            if (e.is_array()) {
                for (const auto& x : e) {
                    if (x.is_number_integer()) m.eos_ids.push_back(x.get<int32_t>());
                }
            }
        }
    }
    return m;
}

}  // namespace jenny::model
