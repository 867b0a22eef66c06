#include "jenny/model/inspect_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>

#include "jenny/checkpoint/gguf.h"
#include "jenny/checkpoint/hf_dir.h"
#include "jenny/checkpoint/llama2c.h"
#include "jenny/model/kv_cache.h"
#include "jenny/model/model_loader.h"

namespace jenny::model {

using base::Status;

namespace {

Status read_gguf(const std::string& path, base::Env* env, InspectReport* r) {
    JENNY_ASSIGN_OR_RETURN(auto f, checkpoint::GgufFile::open(path, env));
    r->format = "gguf";
    r->format_detail =
        fmt::format("GGUF v{}, {} metadata keys, {} tensors, alignment {}", f->version(),
                    f->metadata().size(), f->tensors().size(), f->alignment());
    r->file_bytes = f->bytes().size();
    for (const checkpoint::GgufTensorInfo& t : f->tensors()) {
        InspectTensor it;
        it.name = std::string(t.name);
        it.dtype = std::string(checkpoint::ggml_type_name(t.type));
        for (int d = static_cast<int>(t.n_dims) - 1; d >= 0; --d) {
            it.shape.push_back(static_cast<int64_t>(t.ne[d]));
        }
        it.n_elements = t.n_elements;
        it.bytes = t.n_bytes;
        r->tensors.push_back(std::move(it));
    }
    return Status();
}

Status read_hf(const std::string& dir, base::Env* env, InspectReport* r) {
    JENNY_ASSIGN_OR_RETURN(auto hf, checkpoint::HfDirectory::open(dir, env));
    r->format = "hf";
    r->format_detail = fmt::format("Hugging Face directory, safetensors in {} shard{}",
                                   hf->shards().size(), hf->shards().size() == 1 ? "" : "s");
    for (const std::string& name : hf->files()) {
        auto size = env->file_size(hf->file_path(name));
        if (size.ok()) r->file_bytes += *size;
    }
    for (const std::string& name : hf->tensor_names()) {
        const checkpoint::SafetensorsTensorInfo* info = hf->find(name);
        if (info == nullptr) continue;
        InspectTensor it;
        it.name = name;
        it.dtype = std::string(checkpoint::safetensors_dtype_name(info->dtype));
        it.shape = info->shape;
        it.n_elements = info->n_elements;
        it.bytes = info->end - info->begin;
        r->tensors.push_back(std::move(it));
    }
    return Status();
}

Status read_llama2c(const std::string& path, base::Env* env, InspectReport* r) {
    JENNY_ASSIGN_OR_RETURN(auto f, checkpoint::Llama2cFile::open(path, env));
    r->format = "llama2c";
    const auto& c = f->config();
    r->format_detail = fmt::format("llama2.c checkpoint version {}, f32, {} classifier", c.version,
                                   c.shared_classifier ? "shared" : "separate");
    JENNY_ASSIGN_OR_RETURN(r->file_bytes, env->file_size(path));
    for (const auto& [name, t] : f->named_tensors()) {
        InspectTensor it;
        it.name = name;
        it.dtype = "F32";
        for (int d = 0; d < t.shape().ndim(); ++d) it.shape.push_back(t.shape()[d]);
        it.n_elements = static_cast<uint64_t>(t.numel());
        it.bytes = t.nbytes();
        r->tensors.push_back(std::move(it));
    }
    return Status();
}

std::string shape_str(const std::vector<int64_t>& shape) {
    std::string s = "(";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + ")";
}

std::string human_bytes(uint64_t b) {
    if (b >= (1ull << 30)) return fmt::format("{:.2f} GiB", b / double(1ull << 30));
    if (b >= (1ull << 20)) return fmt::format("{:.2f} MiB", b / double(1ull << 20));
    if (b >= (1ull << 10)) return fmt::format("{:.2f} KiB", b / double(1ull << 10));
    return fmt::format("{} B", b);
}

std::string human_count(uint64_t n) {
    if (n >= 1000000000ull) return fmt::format("{:.2f}B", n / 1e9);
    if (n >= 1000000ull) return fmt::format("{:.2f}M", n / 1e6);
    if (n >= 1000ull) return fmt::format("{:.1f}K", n / 1e3);
    return std::to_string(n);
}

}  // namespace

base::Result<InspectReport> inspect_model(const std::string& path, base::Env* env) {
    InspectReport r;
    r.path = path;
    if (env->list_dir(path).ok()) {
        JENNY_RETURN_IF_ERROR(read_hf(path, env, &r));
    } else {
        if (!env->file_exists(path)) {
            return Status::not_found(fmt::format("{}: no such model file or directory", path));
        }
        JENNY_ASSIGN_OR_RETURN(auto mapped, env->map_file(path));
        const bool gguf = mapped->size() >= 4 && std::memcmp(mapped->data(), "GGUF", 4) == 0;
        mapped.reset();
        if (gguf) {
            JENNY_RETURN_IF_ERROR(read_gguf(path, env, &r));
        } else if (path.size() >= 4 && path.compare(path.size() - 4, 4, ".bin") == 0) {
            JENNY_RETURN_IF_ERROR(read_llama2c(path, env, &r));
        } else {
            return Status::invalid_argument(fmt::format(
                "{}: not a model jenny reads (a Hugging Face directory with config.json, a "
                ".gguf file, or a llama2.c .bin)",
                path));
        }
    }
    std::map<std::string, uint64_t> by;
    for (const InspectTensor& t : r.tensors) {
        by[t.dtype] += t.bytes;
        r.n_params += t.n_elements;
    }
    r.bytes_by_dtype.assign(by.begin(), by.end());

    LoadOptions lo;
    lo.n_threads = 1;
    base::Result<LoadedModel> loaded = load_model(path, lo, env);
    if (!loaded.ok()) {
        r.load_error = loaded.status().to_string();
        return r;
    }
    const LoadedModel& m = *loaded;
    const LlamaConfig& c = m.model->config();
    r.architecture = c.arch;
    r.config_summary = c.summary();
    r.vocab_size = c.vocab_size;
    r.n_layers = c.n_layers;
    r.dim = c.dim;
    r.hidden_dim = c.hidden_dim;
    r.n_heads = c.n_heads;
    r.n_kv_heads = c.n_kv_heads;
    r.head_dim = c.head_dim;
    r.max_seq_len = c.max_seq_len;
    r.rope_theta = c.rope_theta;
    r.tie_embeddings = c.tie_embeddings;
    if (m.tokenizer) {
        r.tokenizer_type = m.tokenizer->type_name();
        r.tokenizer_vocab = m.tokenizer->vocab_size();
    }
    r.bos_id = m.bos_id;
    r.eos_ids = m.eos_ids;
    r.add_bos = m.add_bos;
    r.has_chat_template = m.chat_template.has_value();
    for (tensor::DType dt : {tensor::DType::kF16, tensor::DType::kF32, tensor::DType::kQ8_0}) {
        if (!tensor::row_fits(dt, c.head_dim)) continue;
        KvCacheConfig kc = m.model->kv_config(dt, 1);
        r.kv_bytes_per_token.emplace_back(std::string(tensor::dtype_name(dt)),
                                          KvCache::bytes_per_token(kc));
    }
    return r;
}

std::string format_inspect_text(const InspectReport& r, bool tensors) {
    std::string s;
    s += fmt::format("model:        {}\n", r.path);
    s += fmt::format("format:       {} ({})\n", r.format, r.format_detail);
    s += fmt::format("file size:    {} ({} bytes)\n", human_bytes(r.file_bytes), r.file_bytes);
    if (r.load_error.empty()) {
        s += fmt::format("architecture: {}\n", r.architecture);
        s += fmt::format("config:       {}\n", r.config_summary);
        s += fmt::format("tokenizer:    {}, {} tokens", r.tokenizer_type, r.tokenizer_vocab);
        if (r.bos_id) s += fmt::format(", bos {}{}", *r.bos_id, r.add_bos ? " (added)" : "");
        for (size_t i = 0; i < r.eos_ids.size(); ++i) {
            s += fmt::format("{}{}", i == 0 ? ", eos " : " ", r.eos_ids[i]);
        }
        s += "\n";
        s += fmt::format("chat template: {}\n", r.has_chat_template ? "yes" : "no");
    } else {
        s += fmt::format("load error:   {}\n", r.load_error);
    }
    s += fmt::format("parameters:   {} ({})\n", r.n_params, human_count(r.n_params));
    s += "bytes per dtype:\n";
    for (const auto& [dt, b] : r.bytes_by_dtype) {
        s += fmt::format("  {:<6} {:>14} ({})\n", dt, b, human_bytes(b));
    }
    if (!r.kv_bytes_per_token.empty()) {
        s += "KV cache bytes per token:";
        for (const auto& [dt, b] : r.kv_bytes_per_token) s += fmt::format(" {} {}", dt, b);
        s += "\n";
    }
    if (tensors) {
        size_t w = 4;
        for (const InspectTensor& t : r.tensors) w = std::max(w, t.name.size());
        s += fmt::format("tensors ({}):\n", r.tensors.size());
        s += fmt::format("  {:<{}}  {:<6}  {:<20}  {:>12}\n", "name", w, "dtype", "shape", "bytes");
        for (const InspectTensor& t : r.tensors) {
            s += fmt::format("  {:<{}}  {:<6}  {:<20}  {:>12}\n", t.name, w, t.dtype,
                             shape_str(t.shape), t.bytes);
        }
    }
    return s;
}

std::string format_inspect_json(const InspectReport& r, bool tensors) {
    nlohmann::ordered_json j;
    j["path"] = r.path;
    j["format"] = r.format;
    j["format_detail"] = r.format_detail;
    j["file_bytes"] = r.file_bytes;
    if (r.load_error.empty()) {
        j["architecture"] = r.architecture;
        j["config"] = {{"summary", r.config_summary},
                       {"vocab_size", r.vocab_size},
                       {"n_layers", r.n_layers},
                       {"dim", r.dim},
                       {"hidden_dim", r.hidden_dim},
                       {"n_heads", r.n_heads},
                       {"n_kv_heads", r.n_kv_heads},
                       {"head_dim", r.head_dim},
                       {"max_seq_len", r.max_seq_len},
                       {"rope_theta", r.rope_theta},
                       {"tie_embeddings", r.tie_embeddings}};
        j["tokenizer"] = {{"type", r.tokenizer_type},
                          {"vocab_size", r.tokenizer_vocab},
                          {"bos_id", r.bos_id ? nlohmann::ordered_json(*r.bos_id) : nullptr},
                          {"eos_ids", r.eos_ids},
                          {"add_bos", r.add_bos}};
        j["chat_template"] = r.has_chat_template;
    } else {
        j["load_error"] = r.load_error;
    }
    j["n_params"] = r.n_params;
    nlohmann::ordered_json by = nlohmann::ordered_json::object();
    for (const auto& [dt, b] : r.bytes_by_dtype) by[dt] = b;
    j["bytes_by_dtype"] = by;
    nlohmann::ordered_json kv = nlohmann::ordered_json::object();
    for (const auto& [dt, b] : r.kv_bytes_per_token) kv[dt] = b;
    j["kv_bytes_per_token"] = kv;
    if (tensors) {
        nlohmann::ordered_json ts = nlohmann::ordered_json::array();
        for (const InspectTensor& t : r.tensors) {
            ts.push_back({{"name", t.name},
                          {"dtype", t.dtype},
                          {"shape", t.shape},
                          {"n_elements", t.n_elements},
                          {"bytes", t.bytes}});
        }
        j["tensors"] = ts;
    }
    return j.dump(1) + "\n";
}

base::Status run_inspect(const InspectConfig& config, std::FILE* out, base::Env* env) {
    JENNY_ASSIGN_OR_RETURN(InspectReport r, inspect_model(config.model, env));
    const std::string text = config.json ? format_inspect_json(r, config.tensors)
                                         : format_inspect_text(r, config.tensors);
    std::fwrite(text.data(), 1, text.size(), out);
    std::fflush(out);
    if (!r.load_error.empty()) {
        return Status::invalid_argument(fmt::format(
            "{}: the file parses but does not load as a model: {}", config.model, r.load_error));
    }
    return Status();
}

}  // namespace jenny::model
