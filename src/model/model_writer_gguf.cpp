// save_gguf: a loaded model as a GGUF file llama.cpp loads (see model_writer.h).
#include <fmt/format.h>

#include "jenny/checkpoint/gguf.h"
#include "jenny/checkpoint/gguf_writer.h"
#include "jenny/model/model_writer.h"
#include "model/model_writer_vocab.h"
#include "model/weight_layout.h"

namespace jenny::model {

using base::Status;
using kernels::RopeStyle;
using tensor::DType;
using tensor::Tensor;

namespace {

// llama.cpp's llama_ftype for a file whose 2-D weights are mostly `dtype`.
uint32_t file_type(DType dtype) {
    switch (dtype) {
        case DType::kF16:
            return 1;
        case DType::kQ4_0:
            return 2;
        case DType::kQ8_0:
            return 7;
        case DType::kBF16:
            return 32;
        default:
            return 0;
    }
}

std::string model_name(const LoadedModel& m, base::Env* env) {
    if (m.format == "gguf") {
        auto f = checkpoint::GgufFile::open(m.path, env);
        if (f.ok()) {
            auto name = (*f)->get_string("general.name");
            if (name.ok()) return std::string(*name);
        }
    }
    std::string base = m.path;
    while (base.size() > 1 && base.back() == '/') base.pop_back();
    base = base.substr(base.rfind('/') == std::string::npos ? 0 : base.rfind('/') + 1);
    const size_t dot = base.rfind('.');
    if (dot != std::string::npos && dot > 0) base = base.substr(0, dot);
    return base;
}

}  // namespace

Status save_gguf(const LoadedModel& m, const std::string& path, DType dtype, base::Env* env,
                 SaveReport* report) {
    if (dtype != DType::kF32 && dtype != DType::kF16 && dtype != DType::kBF16 &&
        dtype != DType::kQ8_0 && dtype != DType::kQ4_0) {
        return Status::invalid_argument(
            fmt::format("GGUF weights are written as f32, f16, bf16, q8_0 or q4_0, not {}",
                        tensor::dtype_name(dtype)));
    }
    SaveReport local;
    SaveReport& rep = report != nullptr ? *report : local;
    const LlamaConfig& c = m.model->config();
    const LlamaWeights& w = m.model->weights();
    const std::string arch = c.arch == "qwen2" || c.arch == "internlm2" ? c.arch : "llama";
    // llama.cpp rotates qwen2 in NEOX (rotate_half) order, the others interleaved.
    const RopeStyle style = arch == "qwen2" ? RopeStyle::kHalf : RopeStyle::kInterleaved;

    Tensor rope_freqs = w.rope_freqs;
    if (c.rope_scaling.kind == kernels::RopeScaling::Kind::kLlama3) {
        if (rope_freqs.defined()) {
            return Status::unsupported(
                m.path + ": both a llama3 rope scaling and a rope_freqs tensor; GGUF holds one");
        }
        std::vector<float> f = llama3_rope_factors(c.head_dim, c.rope_theta, c.rope_scaling);
        rope_freqs = Tensor::empty(DType::kF32, {static_cast<int64_t>(f.size())});
        std::copy(f.begin(), f.end(), rope_freqs.mutable_data_as<float>());
    }

    checkpoint::GgufWriter g;
    const std::string p = arch + ".";
    g.add_string("general.architecture", arch);
    g.add_string("general.type", "model");
    g.add_string("general.name", model_name(m, env));
    g.add_u32(p + "context_length", static_cast<uint32_t>(c.max_seq_len));
    g.add_u32(p + "embedding_length", static_cast<uint32_t>(c.dim));
    g.add_u32(p + "feed_forward_length", static_cast<uint32_t>(c.hidden_dim));
    g.add_u32(p + "block_count", static_cast<uint32_t>(c.n_layers));
    g.add_u32(p + "attention.head_count", static_cast<uint32_t>(c.n_heads));
    g.add_u32(p + "attention.head_count_kv", static_cast<uint32_t>(c.n_kv_heads));
    g.add_f32(p + "attention.layer_norm_rms_epsilon", c.rms_eps);
    g.add_f32(p + "rope.freq_base", static_cast<float>(c.rope_theta));
    g.add_u32(p + "rope.dimension_count", static_cast<uint32_t>(c.head_dim));
    g.add_u32(p + "attention.key_length", static_cast<uint32_t>(c.head_dim));
    g.add_u32(p + "attention.value_length", static_cast<uint32_t>(c.head_dim));
    g.add_u32(p + "vocab_size", static_cast<uint32_t>(c.vocab_size));
    if (c.rope_scaling.kind == kernels::RopeScaling::Kind::kLinear) {
        g.add_string(p + "rope.scaling.type", "linear");
        g.add_f32(p + "rope.scaling.factor", c.rope_scaling.factor);
    }
    if (c.sliding_window > 0) {
        g.add_u32(p + "attention.sliding_window", static_cast<uint32_t>(c.sliding_window));
    }
    g.add_u32("general.file_type", file_type(dtype));
    if (tensor::dtype_info(dtype).quantized) g.add_u32("general.quantization_version", 2);
    JENNY_RETURN_IF_ERROR(add_gguf_tokenizer(m, c.vocab_size, &g, env, &rep.notes));

    const DType fallback = DType::kF16;
    auto add_matrix = [&](const std::string& name, const Tensor& t) {
        g.add_tensor(name, to_dtype(t, dtype, fallback, name, &rep.notes));
    };
    auto add_vector = [&](const std::string& name, const Tensor& t) {
        g.add_tensor(name, t.dtype() == DType::kF32 ? t : t.to_f32());
    };
    const int H = c.n_heads, Hkv = c.n_kv_heads, D = c.head_dim;
    add_matrix("token_embd.weight", w.tok_embeddings);
    if (rope_freqs.defined()) add_vector("rope_freqs.weight", rope_freqs);
    for (int i = 0; i < c.n_layers; ++i) {
        const LlamaLayerWeights& l = w.layers[i];
        const std::string b = fmt::format("blk.{}.", i);
        Tensor wq = l.wq, wk = l.wk, wv = l.wv;
        if (l.wqkv.defined()) {
            QkvSplit s = split_wqkv(l.wqkv, H, Hkv, D);
            wq = s.wq, wk = s.wk, wv = s.wv;
        }
        add_vector(b + "attn_norm.weight", l.attn_norm);
        add_matrix(b + "attn_q.weight", permute_rope_rows(wq, H, D, c.rope_style, style));
        add_matrix(b + "attn_k.weight", permute_rope_rows(wk, Hkv, D, c.rope_style, style));
        add_matrix(b + "attn_v.weight", wv);
        if (l.bq.defined()) {
            add_vector(b + "attn_q.bias", permute_rope_rows(l.bq, H, D, c.rope_style, style));
            add_vector(b + "attn_k.bias", permute_rope_rows(l.bk, Hkv, D, c.rope_style, style));
            add_vector(b + "attn_v.bias", l.bv);
        }
        add_matrix(b + "attn_output.weight", l.wo);
        add_vector(b + "ffn_norm.weight", l.ffn_norm);
        add_matrix(b + "ffn_gate.weight", l.w_gate);
        add_matrix(b + "ffn_up.weight", l.w_up);
        add_matrix(b + "ffn_down.weight", l.w_down);
    }
    add_vector("output_norm.weight", w.norm);
    // llama.cpp's internlm2 always loads output.weight.
    if (!c.tie_embeddings || arch == "internlm2") add_matrix("output.weight", w.output);

    JENNY_RETURN_IF_ERROR(g.write(path, env));
    rep.n_tensors = static_cast<int64_t>(g.num_tensors());
    JENNY_ASSIGN_OR_RETURN(rep.bytes, env->file_size(path));
    rep.files.push_back(path);
    return Status();
}

}  // namespace jenny::model
