// save_hf: a loaded model as a Hugging Face model directory (see model_writer.h).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "jenny/checkpoint/safetensors.h"
#include "jenny/model/model_writer.h"
#include "model/model_writer_vocab.h"
#include "model/weight_layout.h"

namespace jenny::model {

using base::Status;
using kernels::RopeStyle;
using tensor::DType;
using tensor::Tensor;

namespace {

const char* torch_dtype_name(DType d) {
    switch (d) {
        case DType::kF16:
            return "float16";
        case DType::kBF16:
            return "bfloat16";
        default:
            return "float32";
    }
}

Status copy_file(const std::string& from, const std::string& to, base::Env* env) {
    JENNY_ASSIGN_OR_RETURN(std::string bytes, env->read_file(from));
    return env->write_file_atomic(to, bytes);
}

// The files of an HF directory that describe its tokenizer and chat template.
constexpr const char* kTokenizerFiles[] = {"tokenizer.json",    "tokenizer_config.json",
                                           "tokenizer.model",   "special_tokens_map.json",
                                           "vocab.json",        "merges.txt",
                                           "added_tokens.json", "chat_template.jinja",
                                           "tokenizer.gguf",    "tokenizer.bin"};

}  // namespace

Status save_hf(const LoadedModel& m, const std::string& dir, DType dtype, base::Env* env,
               SaveReport* report) {
    if (dtype != DType::kF32 && dtype != DType::kF16 && dtype != DType::kBF16) {
        return Status::invalid_argument(fmt::format(
            "an HF directory holds f32, f16 or bf16 weights, not {}; use --to gguf for {}",
            tensor::dtype_name(dtype), tensor::dtype_name(dtype)));
    }
    SaveReport local;
    SaveReport& rep = report != nullptr ? *report : local;
    const LlamaConfig& c = m.model->config();
    const LlamaWeights& w = m.model->weights();
    LlamaConfig hc = c;
    hc.rope_style = RopeStyle::kHalf;
    if (w.rope_freqs.defined()) {
        Tensor f = w.rope_freqs.to_f32();
        std::vector<float> factors(f.data_as<float>(), f.data_as<float>() + f.numel());
        auto fit = llama3_scaling_from_factors(factors, c.head_dim, c.rope_theta);
        if (!fit || c.rope_scaling.kind != kernels::RopeScaling::Kind::kNone) {
            return Status::unsupported(fmt::format(
                "{}: its rope_freqs.weight is not a llama3 rope scaling config.json can express "
                "(factor, low/high_freq_factor 1-2/2-8, original context 2k-128k)",
                m.path));
        }
        hc.rope_scaling = *fit;
    }
    const bool internlm = c.arch == "internlm2";
    if (internlm) hc.tie_embeddings = false;  // its remote code always has output.weight

    std::vector<checkpoint::NamedTensor> tensors;
    // Everything in one dtype, as transformers saves a model.
    auto add = [&](const std::string& name, const Tensor& t) {
        tensors.emplace_back(name, to_dtype(t, dtype, dtype, name, nullptr));
    };
    const int H = c.n_heads, Hkv = c.n_kv_heads, D = c.head_dim;
    auto q_rows = [&](const Tensor& t) {
        return permute_rope_rows(t, H, D, c.rope_style, hc.rope_style);
    };
    auto k_rows = [&](const Tensor& t) {
        return permute_rope_rows(t, Hkv, D, c.rope_style, hc.rope_style);
    };

    add(internlm ? "model.tok_embeddings.weight" : "model.embed_tokens.weight", w.tok_embeddings);
    for (int i = 0; i < c.n_layers; ++i) {
        const LlamaLayerWeights& l = w.layers[i];
        const std::string p = fmt::format("model.layers.{}.", i);
        if (internlm) {
            Tensor wq = l.wq, wk = l.wk, wv = l.wv;
            if (l.wqkv.defined()) {
                QkvSplit s = split_wqkv(l.wqkv, H, Hkv, D);
                wq = s.wq, wk = s.wk, wv = s.wv;
            }
            Tensor q = to_dtype(q_rows(wq), dtype, dtype, "wq", nullptr);
            Tensor k = to_dtype(k_rows(wk), dtype, dtype, "wk", nullptr);
            Tensor v = to_dtype(wv, dtype, dtype, "wv", nullptr);
            add(p + "attention_norm.weight", l.attn_norm);
            tensors.emplace_back(p + "attention.wqkv.weight", pack_wqkv(q, k, v, H, Hkv, D));
            add(p + "attention.wo.weight", l.wo);
            add(p + "ffn_norm.weight", l.ffn_norm);
            add(p + "feed_forward.w1.weight", l.w_gate);
            add(p + "feed_forward.w2.weight", l.w_down);
            add(p + "feed_forward.w3.weight", l.w_up);
            continue;
        }
        add(p + "input_layernorm.weight", l.attn_norm);
        add(p + "self_attn.q_proj.weight", q_rows(l.wq));
        add(p + "self_attn.k_proj.weight", k_rows(l.wk));
        add(p + "self_attn.v_proj.weight", l.wv);
        add(p + "self_attn.o_proj.weight", l.wo);
        if (l.bq.defined()) {
            add(p + "self_attn.q_proj.bias", q_rows(l.bq));
            add(p + "self_attn.k_proj.bias", k_rows(l.bk));
            add(p + "self_attn.v_proj.bias", l.bv);
        }
        add(p + "post_attention_layernorm.weight", l.ffn_norm);
        add(p + "mlp.gate_proj.weight", l.w_gate);
        add(p + "mlp.up_proj.weight", l.w_up);
        add(p + "mlp.down_proj.weight", l.w_down);
    }
    add("model.norm.weight", w.norm);
    if (!hc.tie_embeddings) add(internlm ? "output.weight" : "lm_head.weight", w.output);

    JENNY_RETURN_IF_ERROR(env->create_dirs(dir));
    const std::string weights_path = dir + "/model.safetensors";
    JENNY_RETURN_IF_ERROR(
        checkpoint::write_safetensors(weights_path, tensors, {{"format", "pt"}}, env));
    rep.n_tensors = static_cast<int64_t>(tensors.size());
    JENNY_ASSIGN_OR_RETURN(rep.bytes, env->file_size(weights_path));
    rep.files.push_back(weights_path);

    // Special ids: the tokenizer's, else what the loader found.
    std::optional<int32_t> bos = m.bos_id, eos;
    if (m.tokenizer) {
        if (!bos) bos = m.tokenizer->special().bos;
        eos = m.tokenizer->special().eos;
    }
    if (!eos && !m.eos_ids.empty()) eos = m.eos_ids.front();
    auto config = nlohmann::json::parse(config_to_hf_json(hc, bos.value_or(-1), eos.value_or(-1)));
    config["torch_dtype"] = torch_dtype_name(dtype);
    auto write_json = [&](const std::string& name, const nlohmann::json& j) -> Status {
        const std::string path = dir + "/" + name;
        JENNY_RETURN_IF_ERROR(env->write_file_atomic(path, j.dump(2) + "\n"));
        rep.files.push_back(path);
        return Status();
    };
    JENNY_RETURN_IF_ERROR(write_json("config.json", config));
    nlohmann::json gen = nlohmann::json::object();
    if (bos) gen["bos_token_id"] = *bos;
    if (m.eos_ids.size() > 1) {
        gen["eos_token_id"] = m.eos_ids;
    } else if (eos) {
        gen["eos_token_id"] = *eos;
    }
    JENNY_RETURN_IF_ERROR(write_json("generation_config.json", gen));

    // The tokenizer, in the form the source had it.
    bool wrote_tokenizer_config = false;
    if (m.format == "hf") {
        for (const char* name : kTokenizerFiles) {
            const std::string from = m.path + "/" + name;
            if (!env->file_exists(from)) continue;
            JENNY_RETURN_IF_ERROR(copy_file(from, dir + "/" + name, env));
            rep.files.push_back(dir + "/" + name);
            if (std::string_view(name) == "tokenizer_config.json") wrote_tokenizer_config = true;
        }
    } else if (m.format == "llama2c") {
        auto tok = find_llama2c_tokenizer(m.path, env);
        if (tok.ok()) {
            JENNY_RETURN_IF_ERROR(copy_file(*tok, dir + "/tokenizer.bin", env));
            rep.files.push_back(dir + "/tokenizer.bin");
            rep.notes.push_back(
                "the tokenizer is llama2.c's tokenizer.bin: jenny reads it, transformers does not");
        } else {
            rep.notes.push_back("no tokenizer written: " + tok.status().message());
        }
    } else if (m.format == "gguf") {
        checkpoint::GgufWriter vocab;
        JENNY_RETURN_IF_ERROR(copy_gguf_tokenizer_keys(m.path, &vocab, env));
        if (vocab.num_kv() > 0) {
            JENNY_RETURN_IF_ERROR(vocab.write(dir + "/tokenizer.gguf", env));
            rep.files.push_back(dir + "/tokenizer.gguf");
            rep.notes.push_back(
                "the tokenizer is a vocabulary-only tokenizer.gguf: jenny reads it, "
                "transformers does not");
        } else {
            rep.notes.push_back("the source GGUF has no tokenizer: none written");
        }
    }
    if (!wrote_tokenizer_config && (m.chat_template || m.tokenizer)) {
        nlohmann::json tc = nlohmann::json::object();
        tc["add_bos_token"] = m.add_bos;
        if (m.tokenizer) {
            const auto& sp = m.tokenizer->special();
            if (sp.bos) tc["bos_token"] = std::string(m.tokenizer->token_text(*sp.bos));
            if (sp.eos) tc["eos_token"] = std::string(m.tokenizer->token_text(*sp.eos));
        }
        if (m.chat_template) tc["chat_template"] = *m.chat_template;
        JENNY_RETURN_IF_ERROR(write_json("tokenizer_config.json", tc));
    }
    return Status();
}

}  // namespace jenny::model
