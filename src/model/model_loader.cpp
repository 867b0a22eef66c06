#include "jenny/model/model_loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "loaders.h"

namespace jenny::model {

using base::Status;

namespace {

enum class Format { kGguf, kHf, kLlama2c, kUnknown };

Format detect(const std::string& path, base::Env* env) {
    if (env->list_dir(path).ok()) return Format::kHf;
    auto mapped = env->map_file(path);
    if (!mapped.ok()) return Format::kUnknown;
    const auto& m = *mapped;
    if (m->size() >= 4 && std::memcmp(m->data(), "GGUF", 4) == 0) return Format::kGguf;
    if (path.size() >= 4 && path.compare(path.size() - 4, 4, ".bin") == 0) {
        return Format::kLlama2c;
    }
    return Format::kUnknown;
}

void add_bytes(std::map<std::string, size_t>* by, const tensor::Tensor& t) {
    if (t.defined()) (*by)[std::string(tensor::dtype_name(t.dtype()))] += t.nbytes();
}

}  // namespace

base::Result<LoadedModel> load_model(const std::string& path, const LoadOptions& options,
                                     base::Env* env) {
    base::Result<LoadedModel> loaded = Status::invalid_argument("unreachable");
    switch (detect(path, env)) {
        case Format::kGguf:
            loaded = load_gguf_model(path, options, env);
            break;
        case Format::kHf:
            loaded = load_hf_model(path, options, env);
            break;
        case Format::kLlama2c:
            loaded = load_llama2c_model(path, options, env);
            break;
        case Format::kUnknown:
            if (!env->file_exists(path)) {
                return Status::not_found(fmt::format("{}: no such model file or directory", path));
            }
            return Status::invalid_argument(fmt::format(
                "{}: not a model jenny reads (a Hugging Face directory with config.json, a "
                ".gguf file, or a llama2.c .bin)",
                path));
    }
    if (!loaded.ok()) return loaded.status();
    LoadedModel m = std::move(loaded).value();

    if (options.dequantize) {
        LlamaWeights w = m.model->weights();
        auto widen = [](tensor::Tensor& t) {
            if (t.defined() && t.dtype() != tensor::DType::kF32) t = t.to_f32();
        };
        const bool tied = w.output.data() == w.tok_embeddings.data();
        widen(w.tok_embeddings);
        w.output = tied ? w.tok_embeddings : w.output;
        widen(w.output);
        for (auto& l : w.layers) {
            for (tensor::Tensor* t :
                 {&l.wq, &l.wk, &l.wv, &l.wqkv, &l.wo, &l.w_gate, &l.w_up, &l.w_down}) {
                widen(*t);
            }
        }
        JENNY_ASSIGN_OR_RETURN(
            m.model, LlamaModel::create(m.model->config(), std::move(w), options.n_threads));
    }
    if (m.tokenizer) {
        const auto& sp = m.tokenizer->special();
        for (auto id : {sp.eos, sp.eot}) {
            if (id && std::find(m.eos_ids.begin(), m.eos_ids.end(), *id) == m.eos_ids.end()) {
                m.eos_ids.push_back(*id);
            }
        }
        if (!m.bos_id) m.bos_id = sp.bos;
        m.add_bos = m.add_bos || sp.add_bos;
    }

    std::map<std::string, size_t> by;
    const LlamaWeights& w = m.model->weights();
    add_bytes(&by, w.tok_embeddings);
    add_bytes(&by, w.norm);
    if (w.output.data() != w.tok_embeddings.data()) add_bytes(&by, w.output);
    for (const auto& l : w.layers) {
        for (const tensor::Tensor* t : {&l.attn_norm, &l.wq, &l.wk, &l.wv, &l.wqkv, &l.bq, &l.bk,
                                        &l.bv, &l.wo, &l.ffn_norm, &l.w_gate, &l.w_up, &l.w_down}) {
            add_bytes(&by, *t);
        }
    }
    m.bytes_by_dtype.assign(by.begin(), by.end());
    return m;
}

}  // namespace jenny::model
