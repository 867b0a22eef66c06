// GGUF models as llama.cpp writes them: metadata "<arch>.*", tensors "blk.N.attn_q.weight" ...
#include <fmt/format.h>

#include "jenny/checkpoint/gguf.h"
#include "loaders.h"

namespace jenny::model {

using base::Status;
using checkpoint::GgufFile;
using tensor::Tensor;

namespace {

base::Result<Tensor> gguf_tensor(const GgufFile& f, const std::string& name,
                                 const std::shared_ptr<const void>& owner, bool required) {
    const checkpoint::GgufTensorInfo* info = f.find_tensor(name);
    if (info == nullptr) {
        if (!required) return Tensor();
        return Status::invalid_argument(fmt::format("{}: missing tensor '{}'", f.name(), name));
    }
    auto dtype = tensor::dtype_from_ggml(static_cast<uint32_t>(info->type));
    if (!dtype) {
        return Status::unsupported(fmt::format(
            "{}: tensor '{}' has ggml type {} which jenny does not compute with (f32, f16, bf16, "
            "q8_0, q4_0, q4_1, q5_0, q5_1, q4_K, q5_K, q6_K are supported); requantize it, e.g. "
            "jenny quantize IN OUT --type q8_0",
            f.name(), name, static_cast<uint32_t>(info->type)));
    }
    tensor::Shape shape;
    if (info->n_dims == 1) {
        shape = {static_cast<int64_t>(info->ne[0])};
    } else if (info->n_dims == 2) {
        shape = {static_cast<int64_t>(info->ne[1]), static_cast<int64_t>(info->ne[0])};
    } else {
        return Status::invalid_argument(fmt::format(
            "{}: tensor '{}' has {} dimensions, expected 1 or 2", f.name(), name, info->n_dims));
    }
    return Tensor::view(*dtype, shape, info->data, owner);
}

}  // namespace

base::Result<LoadedModel> load_gguf_model(const std::string& path, const LoadOptions& options,
                                          base::Env* env) {
    JENNY_ASSIGN_OR_RETURN(std::unique_ptr<GgufFile> file, GgufFile::open(path, env));
    std::shared_ptr<const GgufFile> f(std::move(file));
    JENNY_ASSIGN_OR_RETURN(std::string_view arch, f->get_string("general.architecture"));
    LlamaConfig c;
    c.arch = std::string(arch);
    if (arch == "llama" || arch == "mistral" || arch == "internlm2") {
        c.rope_style = kernels::RopeStyle::kInterleaved;  // the converter permuted q and k
    } else if (arch == "qwen2") {
        c.rope_style = kernels::RopeStyle::kHalf;
        c.qkv_bias = true;
    } else {
        return Status::unsupported(fmt::format(
            "{}: GGUF architecture '{}' is not supported (llama, mistral, qwen2, internlm2 are)",
            path, arch));
    }
    const std::string p = c.arch + ".";
    auto u32 = [&](const char* key) { return f->get_u32(p + key); };
    JENNY_ASSIGN_OR_RETURN(uint32_t dim, u32("embedding_length"));
    JENNY_ASSIGN_OR_RETURN(uint32_t hidden, u32("feed_forward_length"));
    JENNY_ASSIGN_OR_RETURN(uint32_t layers, u32("block_count"));
    JENNY_ASSIGN_OR_RETURN(uint32_t heads, u32("attention.head_count"));
    c.dim = static_cast<int>(dim);
    c.hidden_dim = static_cast<int>(hidden);
    c.n_layers = static_cast<int>(layers);
    c.n_heads = static_cast<int>(heads);
    c.n_kv_heads = f->has(p + "attention.head_count_kv")
                       ? static_cast<int>(*u32("attention.head_count_kv"))
                       : c.n_heads;
    if (c.n_heads == 0) return Status::invalid_argument(path + ": attention.head_count is 0");
    c.head_dim = f->has(p + "attention.key_length") ? static_cast<int>(*u32("attention.key_length"))
                                                    : c.dim / c.n_heads;
    if (f->has(p + "attention.layer_norm_rms_epsilon")) {
        JENNY_ASSIGN_OR_RETURN(c.rms_eps, f->get_f32(p + "attention.layer_norm_rms_epsilon"));
    }
    if (f->has(p + "rope.freq_base")) {
        JENNY_ASSIGN_OR_RETURN(float base, f->get_f32(p + "rope.freq_base"));
        c.rope_theta = base;
    }
    if (f->has(p + "context_length")) c.max_seq_len = static_cast<int>(*u32("context_length"));
    if (f->has(p + "rope.scaling.type")) {
        JENNY_ASSIGN_OR_RETURN(std::string_view type, f->get_string(p + "rope.scaling.type"));
        if (type == "linear") {
            c.rope_scaling.kind = kernels::RopeScaling::Kind::kLinear;
            JENNY_ASSIGN_OR_RETURN(c.rope_scaling.factor, f->get_f32(p + "rope.scaling.factor"));
        } else if (type != "none") {
            return Status::unsupported(fmt::format(
                "{}: rope scaling '{}' is not supported (none, linear are; llama3 comes as the "
                "rope_freqs tensor)",
                path, type));
        }
    }
    if (f->has(p + "attention.sliding_window")) {
        c.sliding_window = static_cast<int>(*u32("attention.sliding_window"));
        if (c.sliding_window >= c.max_seq_len) c.sliding_window = 0;
    }

    std::shared_ptr<const void> owner = f;
    LlamaWeights w;
    w.owners.push_back(owner);
    auto need = [&](const std::string& name) { return gguf_tensor(*f, name, owner, true); };
    auto maybe = [&](const std::string& name) { return gguf_tensor(*f, name, owner, false); };
    JENNY_ASSIGN_OR_RETURN(w.tok_embeddings, need("token_embd.weight"));
    c.vocab_size = static_cast<int>(w.tok_embeddings.rows());
    JENNY_ASSIGN_OR_RETURN(w.norm, need("output_norm.weight"));
    JENNY_ASSIGN_OR_RETURN(w.output, maybe("output.weight"));
    if (!w.output.defined()) {
        w.output = w.tok_embeddings;
        c.tie_embeddings = true;
    }
    JENNY_ASSIGN_OR_RETURN(w.rope_freqs, maybe("rope_freqs.weight"));
    w.layers.resize(c.n_layers);
    for (int i = 0; i < c.n_layers; ++i) {
        auto& l = w.layers[i];
        const std::string b = fmt::format("blk.{}.", i);
        JENNY_ASSIGN_OR_RETURN(l.attn_norm, need(b + "attn_norm.weight"));
        JENNY_ASSIGN_OR_RETURN(l.wq, need(b + "attn_q.weight"));
        JENNY_ASSIGN_OR_RETURN(l.wk, need(b + "attn_k.weight"));
        JENNY_ASSIGN_OR_RETURN(l.wv, need(b + "attn_v.weight"));
        JENNY_ASSIGN_OR_RETURN(l.wo, need(b + "attn_output.weight"));
        if (c.qkv_bias) {
            JENNY_ASSIGN_OR_RETURN(l.bq, need(b + "attn_q.bias"));
            JENNY_ASSIGN_OR_RETURN(l.bk, need(b + "attn_k.bias"));
            JENNY_ASSIGN_OR_RETURN(l.bv, need(b + "attn_v.bias"));
        }
        JENNY_ASSIGN_OR_RETURN(l.ffn_norm, need(b + "ffn_norm.weight"));
        JENNY_ASSIGN_OR_RETURN(l.w_gate, need(b + "ffn_gate.weight"));
        JENNY_ASSIGN_OR_RETURN(l.w_up, need(b + "ffn_up.weight"));
        JENNY_ASSIGN_OR_RETURN(l.w_down, need(b + "ffn_down.weight"));
    }

    LoadedModel m;
    m.path = path;
    m.format = "gguf";
    auto model = LlamaModel::create(c, std::move(w), options.n_threads);
    if (!model.ok()) return model.status().with_context(path);
    m.model = std::move(model).value();
    const std::string tok_path = options.tokenizer_path.empty() ? path : options.tokenizer_path;
    if (options.load_tokenizer) {
        JENNY_ASSIGN_OR_RETURN(m.tokenizer, tokenizer::Tokenizer::load(tok_path, env));
    }
    if (f->has("tokenizer.chat_template")) {
        JENNY_ASSIGN_OR_RETURN(std::string_view tmpl, f->get_string("tokenizer.chat_template"));
        m.chat_template = std::string(tmpl);
    }
    return m;
}

}  // namespace jenny::model
