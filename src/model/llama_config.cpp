#include "jenny/model/llama_config.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace jenny::model {

using base::Status;
using json = nlohmann::json;

Status LlamaConfig::validate() const {
    auto bad = [](const std::string& what) {
        return Status::invalid_argument("model config: " + what);
    };
    if (vocab_size <= 0) return bad(fmt::format("vocab_size {} must be positive", vocab_size));
    if (dim <= 0) return bad(fmt::format("dim {} must be positive", dim));
    if (hidden_dim <= 0) return bad(fmt::format("hidden_dim {} must be positive", hidden_dim));
    if (n_layers <= 0) return bad(fmt::format("n_layers {} must be positive", n_layers));
    if (n_heads <= 0 || n_kv_heads <= 0) {
        return bad(fmt::format("heads {} / kv heads {} must be positive", n_heads, n_kv_heads));
    }
    if (n_heads % n_kv_heads != 0) {
        return bad(
            fmt::format("n_heads {} is not a multiple of n_kv_heads {}", n_heads, n_kv_heads));
    }
    if (head_dim <= 0 || head_dim % 2 != 0) {
        return bad(fmt::format("head_dim {} must be positive and even", head_dim));
    }
    if (!(rms_eps > 0)) return bad(fmt::format("rms_eps {} must be positive", rms_eps));
    if (!(rope_theta > 0)) return bad(fmt::format("rope_theta {} must be positive", rope_theta));
    if (max_seq_len <= 0) return bad(fmt::format("max_seq_len {} must be positive", max_seq_len));
    if (sliding_window < 0) return bad("sliding_window must be >= 0");
    if (arch != "llama" && arch != "mistral" && arch != "qwen2" && arch != "internlm2") {
        return Status::unsupported(fmt::format(
            "model architecture '{}' is not supported (llama, mistral, qwen2, internlm2 are)",
            arch));
    }
    return Status();
}

std::string LlamaConfig::summary() const {
    std::string s = fmt::format("{}: L={} C={} F={} H={} Hkv={} D={} V={} ctx={} theta={:g}", arch,
                                n_layers, dim, hidden_dim, n_heads, n_kv_heads, head_dim,
                                vocab_size, max_seq_len, rope_theta);
    using K = kernels::RopeScaling::Kind;
    if (rope_scaling.kind == K::kLinear)
        s += fmt::format(" rope=linear x{:g}", rope_scaling.factor);
    if (rope_scaling.kind == K::kLlama3)
        s += fmt::format(" rope=llama3 x{:g}", rope_scaling.factor);
    s += rope_style == kernels::RopeStyle::kHalf ? " rope_pairs=half" : " rope_pairs=interleaved";
    if (tie_embeddings) s += " tied";
    if (qkv_bias) s += " qkv_bias";
    if (packed_wqkv) s += " packed_wqkv";
    if (sliding_window) s += fmt::format(" window={}", sliding_window);
    s += fmt::format(" eps={:g}", rms_eps);
    return s;
}

namespace {

template <typename T>
base::Result<T> get(const json& j, const char* key, std::string_view origin) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
        return Status::invalid_argument(fmt::format("{}: missing key '{}'", origin, key));
    }
    try {
        return it->get<T>();
    } catch (const json::exception&) {
        return Status::invalid_argument(
            fmt::format("{}: key '{}' has the wrong type ({})", origin, key, it->type_name()));
    }
}

template <typename T>
base::Result<T> get_or(const json& j, const char* key, T fallback, std::string_view origin) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return fallback;
    return get<T>(j, key, origin);
}

Status parse_rope(const json& rp, LlamaConfig* c, std::string_view origin) {
    std::string type = rp.value("rope_type", rp.value("type", std::string("default")));
    using K = kernels::RopeScaling::Kind;
    if (rp.contains("rope_theta")) {
        JENNY_ASSIGN_OR_RETURN(c->rope_theta, get<double>(rp, "rope_theta", origin));
    }
    if (type == "default") {
        c->rope_scaling.kind = K::kNone;
    } else if (type == "linear") {
        c->rope_scaling.kind = K::kLinear;
        JENNY_ASSIGN_OR_RETURN(c->rope_scaling.factor, get<float>(rp, "factor", origin));
    } else if (type == "llama3") {
        c->rope_scaling.kind = K::kLlama3;
        JENNY_ASSIGN_OR_RETURN(c->rope_scaling.factor, get<float>(rp, "factor", origin));
        JENNY_ASSIGN_OR_RETURN(c->rope_scaling.low_freq_factor,
                               get<float>(rp, "low_freq_factor", origin));
        JENNY_ASSIGN_OR_RETURN(c->rope_scaling.high_freq_factor,
                               get<float>(rp, "high_freq_factor", origin));
        JENNY_ASSIGN_OR_RETURN(c->rope_scaling.original_max_position,
                               get<int>(rp, "original_max_position_embeddings", origin));
    } else if (type == "dynamic") {
        // Dynamic NTK (InternLM2) changes nothing below max_position_embeddings, which is as
        // far as jenny runs the model.
        c->rope_scaling.kind = K::kNone;
    } else {
        return Status::unsupported(
            fmt::format("{}: rope scaling type '{}' is not supported (default, linear, llama3 are)",
                        origin, type));
    }
    return Status();
}

}  // namespace

base::Result<LlamaConfig> config_from_hf_json(std::string_view text, std::string_view origin) {
    json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
        return Status::invalid_argument(fmt::format("{}: not a JSON object", origin));
    }
    LlamaConfig c;
    std::string arch_name;
    if (j.contains("architectures") && j["architectures"].is_array() &&
        !j["architectures"].empty() && j["architectures"][0].is_string()) {
        arch_name = j["architectures"][0].get<std::string>();
    }
    const std::string model_type = j.value("model_type", std::string());
    if (arch_name == "LlamaForCausalLM" || model_type == "llama") {
        c.arch = "llama";
    } else if (arch_name == "MistralForCausalLM" || model_type == "mistral") {
        c.arch = "mistral";
    } else if (arch_name == "Qwen2ForCausalLM" || model_type == "qwen2") {
        c.arch = "qwen2";
        c.qkv_bias = true;
    } else if (arch_name == "InternLM2ForCausalLM" || model_type == "internlm2") {
        c.arch = "internlm2";
        c.packed_wqkv = true;
    } else {
        return Status::unsupported(fmt::format(
            "{}: architecture '{}' (model_type '{}') is not supported; jenny runs "
            "LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM and InternLM2ForCausalLM",
            origin, arch_name, model_type));
    }
    c.rope_style = kernels::RopeStyle::kHalf;
    JENNY_ASSIGN_OR_RETURN(c.vocab_size, get<int>(j, "vocab_size", origin));
    JENNY_ASSIGN_OR_RETURN(c.dim, get<int>(j, "hidden_size", origin));
    JENNY_ASSIGN_OR_RETURN(c.hidden_dim, get<int>(j, "intermediate_size", origin));
    JENNY_ASSIGN_OR_RETURN(c.n_layers, get<int>(j, "num_hidden_layers", origin));
    JENNY_ASSIGN_OR_RETURN(c.n_heads, get<int>(j, "num_attention_heads", origin));
    JENNY_ASSIGN_OR_RETURN(c.n_kv_heads, get_or<int>(j, "num_key_value_heads", c.n_heads, origin));
    if (c.n_heads <= 0) return Status::invalid_argument(fmt::format("{}: bad heads", origin));
    JENNY_ASSIGN_OR_RETURN(c.head_dim, get_or<int>(j, "head_dim", c.dim / c.n_heads, origin));
    JENNY_ASSIGN_OR_RETURN(c.rms_eps, get_or<float>(j, "rms_norm_eps", 1e-6f, origin));
    JENNY_ASSIGN_OR_RETURN(c.rope_theta, get_or<double>(j, "rope_theta", 10000.0, origin));
    JENNY_ASSIGN_OR_RETURN(c.max_seq_len, get_or<int>(j, "max_position_embeddings", 2048, origin));
    JENNY_ASSIGN_OR_RETURN(c.tie_embeddings, get_or<bool>(j, "tie_word_embeddings", false, origin));
    const std::string act = j.value("hidden_act", std::string("silu"));
    if (act != "silu") {
        return Status::unsupported(
            fmt::format("{}: hidden_act '{}' is not supported (silu is)", origin, act));
    }
    for (const char* key : {"attention_bias", "mlp_bias"}) {
        if (c.arch != "qwen2" && j.value(key, false)) {
            return Status::unsupported(fmt::format("{}: {} = true is not supported", origin, key));
        }
    }
    if (c.arch == "internlm2" && j.value("bias", false)) {
        return Status::unsupported(
            fmt::format("{}: InternLM2 with bias = true is not supported", origin));
    }
    bool use_window = c.arch == "mistral" || j.value("use_sliding_window", false);
    if (use_window && j.contains("sliding_window") && !j["sliding_window"].is_null()) {
        JENNY_ASSIGN_OR_RETURN(c.sliding_window, get<int>(j, "sliding_window", origin));
        if (c.sliding_window >= c.max_seq_len) c.sliding_window = 0;  // never reached
    }
    for (const char* key : {"rope_parameters", "rope_scaling"}) {
        auto it = j.find(key);
        if (it != j.end() && it->is_object()) {
            JENNY_RETURN_IF_ERROR(parse_rope(*it, &c, origin));
            break;
        }
    }
    JENNY_RETURN_IF_ERROR(c.validate());
    return c;
}

std::string config_to_hf_json(const LlamaConfig& c, int32_t bos_id, int32_t eos_id) {
    json j = json::object();
    if (c.arch == "qwen2") {
        j["architectures"] = {"Qwen2ForCausalLM"};
        j["model_type"] = "qwen2";
    } else if (c.arch == "mistral") {
        j["architectures"] = {"MistralForCausalLM"};
        j["model_type"] = "mistral";
    } else if (c.arch == "internlm2") {
        j["architectures"] = {"InternLM2ForCausalLM"};
        j["model_type"] = "internlm2";
        j["bias"] = false;
    } else {
        j["architectures"] = {"LlamaForCausalLM"};
        j["model_type"] = "llama";
        j["attention_bias"] = false;
        j["mlp_bias"] = false;
    }
    j["vocab_size"] = c.vocab_size;
    j["hidden_size"] = c.dim;
    j["intermediate_size"] = c.hidden_dim;
    j["num_hidden_layers"] = c.n_layers;
    j["num_attention_heads"] = c.n_heads;
    j["num_key_value_heads"] = c.n_kv_heads;
    j["head_dim"] = c.head_dim;
    j["hidden_act"] = "silu";
    j["rms_norm_eps"] = c.rms_eps;
    j["rope_theta"] = c.rope_theta;
    j["max_position_embeddings"] = c.max_seq_len;
    j["tie_word_embeddings"] = c.tie_embeddings;
    j["torch_dtype"] = "float32";
    if (bos_id >= 0) j["bos_token_id"] = bos_id;
    if (eos_id >= 0) j["eos_token_id"] = eos_id;
    using K = kernels::RopeScaling::Kind;
    if (c.rope_scaling.kind == K::kLinear) {
        j["rope_scaling"] = {{"rope_type", "linear"}, {"factor", c.rope_scaling.factor}};
    } else if (c.rope_scaling.kind == K::kLlama3) {
        j["rope_scaling"] = {
            {"rope_type", "llama3"},
            {"factor", c.rope_scaling.factor},
            {"low_freq_factor", c.rope_scaling.low_freq_factor},
            {"high_freq_factor", c.rope_scaling.high_freq_factor},
            {"original_max_position_embeddings", c.rope_scaling.original_max_position}};
    } else {
        j["rope_scaling"] = nullptr;
    }
    if (c.arch == "mistral" || c.arch == "qwen2") {
        j["sliding_window"] = c.sliding_window > 0 ? json(c.sliding_window) : json(nullptr);
        if (c.arch == "qwen2") j["use_sliding_window"] = c.sliding_window > 0;
    }
    return j.dump(2) + "\n";
}

}  // namespace jenny::model
