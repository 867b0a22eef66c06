// LoRA adapters in PEFT's layout: reading, writing, checking, merging and the run-time side
// path (lora_adapter.h; docs/formats/lora_adapter.md).
#include "jenny/model/lora_adapter.h"

#include <fmt/format.h>
#include <cctype>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "jenny/checkpoint/safetensors.h"
#include "jenny/kernels/activation.h"
#include "jenny/kernels/matmul.h"
#include "weight_layout.h"

namespace jenny::model {

using base::Status;
using tensor::DType;
using tensor::Tensor;

namespace {

constexpr const char* kNames[kLoraTargets] = {"q_proj",    "k_proj",  "v_proj",   "o_proj",
                                              "gate_proj", "up_proj", "down_proj"};
constexpr const char* kShort[kLoraTargets] = {"q", "k", "v", "o", "gate", "up", "down"};
constexpr const char* kBlock[kLoraTargets] = {"self_attn", "self_attn", "self_attn", "self_attn",
                                              "mlp",       "mlp",       "mlp"};

// "…layers.{i}.{block}.{module}.lora_{A|B}.weight" → (i, target, is_a); nullopt otherwise.
struct ParsedName {
    int layer, target;
    bool a;
};
std::optional<ParsedName> parse_tensor_name(const std::string& name) {
    const size_t at = name.find("layers.");
    if (at == std::string::npos) return std::nullopt;
    size_t p = at + 7;
    size_t q = p;
    while (q < name.size() && std::isdigit(static_cast<unsigned char>(name[q]))) ++q;
    if (q == p || q >= name.size() || name[q] != '.') return std::nullopt;
    const int layer = std::stoi(name.substr(p, q - p));
    const std::string rest = name.substr(q + 1);
    for (int t = 0; t < kLoraTargets; ++t) {
        const std::string stem = std::string(kBlock[t]) + "." + kNames[t] + ".lora_";
        if (rest == stem + "A.weight") return ParsedName{layer, t, true};
        if (rest == stem + "B.weight") return ParsedName{layer, t, false};
    }
    return std::nullopt;
}

}  // namespace

const char* lora_target_name(int target) { return kNames[target]; }

std::optional<int> lora_target_from_name(std::string_view name) {
    for (int t = 0; t < kLoraTargets; ++t)
        if (name == kNames[t] || name == kShort[t]) return t;
    return std::nullopt;
}

std::string lora_tensor_name(int layer, int target, bool a) {
    return fmt::format("base_model.model.model.layers.{}.{}.{}.lora_{}.weight", layer,
                       kBlock[target], kNames[target], a ? "A" : "B");
}

std::pair<int64_t, int64_t> lora_target_shape(const LlamaConfig& c, int target) {
    const int64_t C = c.dim, F = c.hidden_dim, QD = c.q_dim(), KD = c.kv_dim();
    switch (target) {
        case kLoraQ:
            return {QD, C};
        case kLoraK:
        case kLoraV:
            return {KD, C};
        case kLoraO:
            return {C, QD};
        case kLoraGate:
        case kLoraUp:
            return {F, C};
        default:
            return {C, F};
    }
}

tensor::Tensor& lora_target_weight(LlamaLayerWeights& w, int target) {
    Tensor* t[kLoraTargets] = {&w.wq, &w.wk, &w.wv, &w.wo, &w.w_gate, &w.w_up, &w.w_down};
    return *t[target];
}
const tensor::Tensor& lora_target_weight(const LlamaLayerWeights& w, int target) {
    return lora_target_weight(const_cast<LlamaLayerWeights&>(w), target);
}

float LoraAdapterConfig::scale() const {
    if (rank <= 0) return 0.0f;
    return static_cast<float>(use_rslora ? alpha / std::sqrt(static_cast<double>(rank))
                                         : alpha / rank);
}

Status check_lora_adapter(const LoraAdapter& ad, const LlamaConfig& c) {
    if (c.packed_wqkv)
        return Status::unsupported("LoRA on InternLM2's packed wqkv is not supported");
    if (ad.config.rank <= 0)
        return Status::invalid_argument(
            fmt::format("LoRA rank r = {} must be > 0", ad.config.rank));
    if (static_cast<int>(ad.a.size()) > c.n_layers || ad.a.size() != ad.b.size())
        return Status::invalid_argument(fmt::format(
            "the adapter has {} layers but the base model has {} (an adapter for another model?)",
            ad.a.size(), c.n_layers));
    const int64_t r = ad.config.rank;
    for (size_t l = 0; l < ad.a.size(); ++l) {
        for (int t = 0; t < kLoraTargets; ++t) {
            const Tensor &A = ad.a[l][t], &B = ad.b[l][t];
            if (A.defined() != B.defined())
                return Status::invalid_argument(fmt::format("layer {} {}: lora_{} is missing", l,
                                                            kNames[t], A.defined() ? "B" : "A"));
            if (!A.defined()) continue;
            const auto [out, in] = lora_target_shape(c, t);
            if (A.shape().ndim() != 2 || B.shape().ndim() != 2)
                return Status::invalid_argument(
                    fmt::format("layer {} {}: lora_A / lora_B must "
                                "be 2-D",
                                l, kNames[t]));
            if (A.shape()[0] != r || B.shape()[1] != r)
                return Status::invalid_argument(fmt::format(
                    "{}: shape {} / {} does not have the adapter's rank r = {} (rank mismatch)",
                    lora_tensor_name(l, t, true), A.shape().str(), B.shape().str(), r));
            if (A.shape()[1] != in || B.shape()[0] != out)
                return Status::invalid_argument(fmt::format(
                    "{}: lora_A {} and lora_B {} do not fit the base model's {} of shape ({}, {}) "
                    "(an adapter for another model: {})",
                    lora_tensor_name(l, t, true), A.shape().str(), B.shape().str(), kNames[t], out,
                    in, c.summary()));
        }
    }
    return Status();
}

base::Result<LoraAdapter> load_lora_adapter(const std::string& dir, const LlamaConfig& base,
                                            base::Env* env) {
    const std::string cfg_path = dir + "/adapter_config.json";
    const std::string st_path = dir + "/adapter_model.safetensors";
    if (!env->file_exists(cfg_path))
        return Status::not_found(cfg_path +
                                 ": no such file (a LoRA adapter directory holds "
                                 "adapter_config.json and adapter_model.safetensors)");
    if (!env->file_exists(st_path))
        return Status::not_found(st_path +
                                 ": no such file (adapter_model.bin from old PEFT "
                                 "versions is not read; save with safe_serialization=True)");
    JENNY_ASSIGN_OR_RETURN(std::string text, env->read_file(cfg_path));
    LoraAdapter ad;
    try {
        const nlohmann::json js = nlohmann::json::parse(text);
        const std::string type = js.value("peft_type", std::string("LORA"));
        if (type != "LORA")
            return Status::invalid_argument(
                fmt::format("{}: peft_type {} is not LORA", cfg_path, type));
        if (js.value("use_dora", false))
            return Status::unsupported(cfg_path + ": DoRA adapters (use_dora) are not supported");
        for (const char* k : {"rank_pattern", "alpha_pattern"})
            if (js.contains(k) && js[k].is_object() && !js[k].empty())
                return Status::unsupported(
                    fmt::format("{}: per-module {} is not supported (one r and lora_alpha for all)",
                                cfg_path, k));
        if (js.contains("bias") && js["bias"].is_string() && js["bias"] != "none")
            return Status::unsupported(cfg_path + ": bias \"" + js["bias"].get<std::string>() +
                                       "\" is not supported (only \"none\")");
        if (js.value("lora_bias", false))
            return Status::unsupported(cfg_path + ": lora_bias adapters are not supported");
        if (js.value("fan_in_fan_out", false))
            return Status::unsupported(cfg_path +
                                       ": fan_in_fan_out adapters (GPT-2 Conv1D) "
                                       "are not supported");
        if (!js.contains("r"))
            return Status::invalid_argument(cfg_path + ": no \"r\" (the LoRA rank)");
        ad.config.rank = js.at("r").get<int>();
        ad.config.alpha = js.value("lora_alpha", 8.0);
        ad.config.dropout = js.value("lora_dropout", 0.0);
        ad.config.use_rslora = js.value("use_rslora", false);
        if (js.contains("base_model_name_or_path") && js["base_model_name_or_path"].is_string())
            ad.config.base_model = js["base_model_name_or_path"].get<std::string>();
        if (js.contains("target_modules") && js["target_modules"].is_array()) {
            for (const auto& m : js["target_modules"]) {
                const std::string name = m.get<std::string>();
                if (!lora_target_from_name(name))
                    return Status::invalid_argument(fmt::format(
                        "{}: unknown target module \"{}\" (jenny adapts q_proj k_proj v_proj "
                        "o_proj gate_proj up_proj down_proj)",
                        cfg_path, name));
            }
        }
    } catch (const std::exception& e) {
        return Status::invalid_argument(cfg_path + ": " + e.what());
    }
    if (ad.config.rank <= 0)
        return Status::invalid_argument(
            fmt::format("{}: r = {} must be > 0", cfg_path, ad.config.rank));
    JENNY_ASSIGN_OR_RETURN(auto st, checkpoint::SafetensorsFile::open(st_path, env));
    ad.a.resize(base.n_layers);
    ad.b.resize(base.n_layers);
    bool used[kLoraTargets] = {};
    for (const checkpoint::SafetensorsTensorInfo& info : st->tensors()) {
        const auto p = parse_tensor_name(info.name);
        if (!p)
            return Status::invalid_argument(
                fmt::format("{}: tensor {} is not a LoRA A/B of a q/k/v/o/gate/up/down projection "
                            "(modules_to_save, embedding or lm_head adapters are not supported)",
                            st_path, info.name));
        if (p->layer >= base.n_layers)
            return Status::invalid_argument(fmt::format(
                "{}: tensor {} is for layer {} but the base model has {} layers (an adapter for "
                "another model?)",
                st_path, info.name, p->layer, base.n_layers));
        JENNY_ASSIGN_OR_RETURN(Tensor t, st->tensor(info));
        if (t.dtype() != DType::kF32 && t.dtype() != DType::kF16 && t.dtype() != DType::kBF16)
            return Status::invalid_argument(
                fmt::format("{}: tensor {} is not f32/f16/bf16", st_path, info.name));
        (p->a ? ad.a : ad.b)[p->layer][p->target] = t.to_f32();
        used[p->target] = true;
    }
    for (int t = 0; t < kLoraTargets; ++t)
        if (used[t]) ad.config.targets.push_back(t);
    if (ad.config.targets.empty()) return Status::invalid_argument(st_path + ": no LoRA tensors");
    Status s = check_lora_adapter(ad, base);
    if (!s.ok()) return Status(s.code(), dir + ": " + s.message());
    return ad;
}

Status save_lora_adapter(const std::string& dir, const LoraAdapter& ad, base::Env* env) {
    JENNY_RETURN_IF_ERROR(env->create_dirs(dir));
    nlohmann::json targets = nlohmann::json::array();
    for (int t : ad.config.targets) targets.push_back(kNames[t]);
    nlohmann::json js = {{"peft_type", "LORA"},
                         {"task_type", "CAUSAL_LM"},
                         {"r", ad.config.rank},
                         {"lora_alpha", ad.config.alpha},
                         {"lora_dropout", ad.config.dropout},
                         {"target_modules", targets},
                         {"bias", "none"},
                         {"fan_in_fan_out", false},
                         {"use_rslora", ad.config.use_rslora},
                         {"use_dora", false},
                         {"init_lora_weights", true},
                         {"inference_mode", true},
                         {"modules_to_save", nullptr},
                         {"layers_to_transform", nullptr},
                         {"layers_pattern", nullptr},
                         {"rank_pattern", nlohmann::json::object()},
                         {"alpha_pattern", nlohmann::json::object()},
                         {"base_model_name_or_path", ad.config.base_model},
                         {"revision", nullptr}};
    std::vector<checkpoint::NamedTensor> tensors;
    for (size_t l = 0; l < ad.a.size(); ++l)
        for (int t = 0; t < kLoraTargets; ++t) {
            if (!ad.a[l][t].defined()) continue;
            tensors.emplace_back(lora_tensor_name(static_cast<int>(l), t, true), ad.a[l][t]);
            tensors.emplace_back(lora_tensor_name(static_cast<int>(l), t, false), ad.b[l][t]);
        }
    JENNY_RETURN_IF_ERROR(checkpoint::write_safetensors(dir + "/adapter_model.safetensors", tensors,
                                                        {{"format", "pt"}}, env));
    auto f = env->new_writable_file(dir + "/adapter_config.json");
    if (!f.ok()) return f.status();
    JENNY_RETURN_IF_ERROR((*f)->append(js.dump(2) + "\n"));
    JENNY_RETURN_IF_ERROR((*f)->sync());
    return (*f)->close();
}

LoraAdapter lora_for_rope_style(const LoraAdapter& ad, const LlamaConfig& c) {
    LoraAdapter out = ad;
    if (c.rope_style == kernels::RopeStyle::kHalf) return out;
    for (auto& layer : out.b) {
        if (layer[kLoraQ].defined())
            layer[kLoraQ] = permute_rope_rows(layer[kLoraQ], c.n_heads, c.head_dim,
                                              kernels::RopeStyle::kHalf, c.rope_style);
        if (layer[kLoraK].defined())
            layer[kLoraK] = permute_rope_rows(layer[kLoraK], c.n_kv_heads, c.head_dim,
                                              kernels::RopeStyle::kHalf, c.rope_style);
    }
    return out;
}

Status merge_lora(LlamaWeights* w, const LoraAdapter& adapter, const LlamaConfig& c) {
    JENNY_RETURN_IF_ERROR(check_lora_adapter(adapter, c));
    const LoraAdapter ad = lora_for_rope_style(adapter, c);
    const float s = ad.config.scale();
    const int64_t r = ad.config.rank;
    for (size_t l = 0; l < ad.a.size(); ++l) {
        for (int t = 0; t < kLoraTargets; ++t) {
            if (!ad.a[l][t].defined()) continue;
            Tensor& W = lora_target_weight(w->layers[l], t);
            Tensor f = W.to_f32();  // a fresh copy
            const auto [out, in] = lora_target_shape(c, t);
            const float* A = ad.a[l][t].data_as<float>();
            const float* B = ad.b[l][t].data_as<float>();
            float* dst = f.mutable_data_as<float>();
            // W'[o, i] = W[o, i] + s · Σ_k B[o, k] A[k, i], in double per element.
            for (int64_t o = 0; o < out; ++o) {
                for (int64_t i = 0; i < in; ++i) {
                    double acc = 0;
                    for (int64_t k = 0; k < r; ++k) acc += double(B[o * r + k]) * A[k * in + i];
                    dst[o * in + i] = static_cast<float>(dst[o * in + i] + s * acc);
                }
            }
            W = f;
        }
    }
    return Status();
}

void lora_apply(float* y, const float* x, const Tensor& A, const Tensor& B, float scale, int64_t N,
                float* scratch, base::WorkerTeam* team) {
    const int64_t r = A.rows(), out = B.rows();
    float* u = scratch;          // (N, r)
    float* d = scratch + N * r;  // (N, out)
    kernels::matmul_forward(u, x, A, nullptr, N, team);
    for (int64_t i = 0; i < N * r; ++i) u[i] *= scale;
    kernels::matmul_forward(d, u, B, nullptr, N, team);
    kernels::add_forward(y, y, d, N * out);
}

}  // namespace jenny::model
