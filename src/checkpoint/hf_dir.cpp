// A Hugging Face model directory: which files are there, and the weights behind them. The
// single-file and sharded layouts end in the same index: tensor name -> (shard, info).
#include "jenny/checkpoint/hf_dir.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

namespace jenny::checkpoint {

using base::Result;
using base::Status;

namespace {

constexpr std::string_view kSingle = "model.safetensors";
constexpr std::string_view kIndex = "model.safetensors.index.json";
constexpr std::string_view kTokenizerFiles[] = {"tokenizer.json",  "tokenizer_config.json",
                                                "tokenizer.model", "special_tokens_map.json",
                                                "vocab.json",      "merges.txt"};

// A shard file name from the index must name a file in this directory, nothing else.
bool is_plain_file_name(std::string_view s) {
    return !s.empty() && s != "." && s != ".." && s.find('/') == std::string_view::npos &&
           s.find('\\') == std::string_view::npos && s.find('\0') == std::string_view::npos;
}

std::string short_json(const nlohmann::json& j) {
    std::string s = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return s.size() > 60 ? s.substr(0, 60) + "..." : s;
}

}  // namespace

Result<std::unique_ptr<HfDirectory>> HfDirectory::open(const std::string& dir, base::Env* env) {
    std::unique_ptr<HfDirectory> hf(new HfDirectory());
    hf->dir_ = dir;
    while (hf->dir_.size() > 1 && hf->dir_.back() == '/') hf->dir_.pop_back();
    if (!env->file_exists(hf->dir_)) {
        return Status::not_found(fmt::format("{}: no such directory", hf->dir_));
    }
    Result<std::vector<std::string>> files = env->list_dir(hf->dir_);
    if (!files.ok()) {
        return files.status().with_context(
            fmt::format("{}: not a readable model directory", hf->dir_));
    }
    hf->files_ = std::move(*files);
    if (!hf->has_file("config.json")) {
        return Status::not_found(fmt::format(
            "{}: no config.json, so not a Hugging Face model directory (it holds {} entries)",
            hf->dir_, hf->files_.size()));
    }
    JENNY_ASSIGN_OR_RETURN(hf->config_json_, env->read_file(hf->file_path("config.json")));
    if (hf->has_file("generation_config.json")) {
        JENNY_ASSIGN_OR_RETURN(hf->generation_config_json_,
                               env->read_file(hf->file_path("generation_config.json")));
    }
    JENNY_RETURN_IF_ERROR(hf->load_weights(env));
    std::sort(hf->tensor_names_.begin(), hf->tensor_names_.end());
    return hf;
}

bool HfDirectory::has_file(std::string_view name) const {
    return std::binary_search(files_.begin(), files_.end(), name, std::less<>());
}

std::string HfDirectory::file_path(std::string_view name) const {
    return fmt::format("{}/{}", dir_, name);
}

std::vector<std::string> HfDirectory::tokenizer_files() const {
    std::vector<std::string> out;
    for (std::string_view f : kTokenizerFiles) {
        if (has_file(f)) out.emplace_back(f);
    }
    return out;
}

bool HfDirectory::has_tokenizer() const {
    return has_file("tokenizer.json") || has_file("tokenizer.model");
}

Status HfDirectory::load_weights(base::Env* env) {
    // Hugging Face transformers prefers the single file when both layouts are present.
    if (has_file(kSingle)) {
        JENNY_ASSIGN_OR_RETURN(auto shard, SafetensorsFile::open(file_path(kSingle), env));
        return add_shard(std::move(shard));
    }
    if (has_file(kIndex)) return load_index(env);
    if (has_file("pytorch_model.bin") || has_file("pytorch_model.bin.index.json")) {
        return Status::unsupported(fmt::format(
            "{}: the weights are PyTorch pickles (pytorch_model.bin), which jenny does not read "
            "(unpickling runs arbitrary code): convert them to safetensors, e.g. python -c "
            "\"from transformers import AutoModelForCausalLM as M; "
            "M.from_pretrained('{}').save_pretrained('{}-safetensors', "
            "safe_serialization=True)\"",
            dir_, dir_, dir_));
    }
    std::vector<std::string> others;
    for (const std::string& f : files_) {
        if (f.ends_with(".safetensors") || f.ends_with(".gguf") || f.ends_with(".bin") ||
            f.ends_with(".pth")) {
            others.push_back(f);
        }
    }
    return Status::not_found(fmt::format(
        "{}: no weights: neither {} nor {} is present{}", dir_, kSingle, kIndex,
        others.empty() ? std::string()
                       : fmt::format(" (found {}; adapter_model.safetensors is a LoRA adapter, "
                                     "not a model)",
                                     fmt::join(others, ", "))));
}

Status HfDirectory::load_index(base::Env* env) {
    const std::string index_path = file_path(kIndex);
    JENNY_ASSIGN_OR_RETURN(std::string text, env->read_file(index_path));
    nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
        return Status::corruption(fmt::format("{}: not valid JSON", index_path));
    }
    if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object()) {
        return Status::corruption(
            fmt::format("{}: expected an object with a \"weight_map\" object", index_path));
    }
    // shard file -> the tensors the index puts there
    std::map<std::string, std::vector<std::string>> by_shard;
    for (auto& [name, file] : j["weight_map"].items()) {
        if (!file.is_string() || !is_plain_file_name(file.get_ref<const std::string&>())) {
            return Status::corruption(
                fmt::format("{}: weight_map[\"{}\"] is {}, expected the file name of a shard in {}",
                            index_path, name, short_json(file), dir_));
        }
        by_shard[file.get<std::string>()].push_back(name);
    }
    if (by_shard.empty()) {
        return Status::corruption(fmt::format("{}: weight_map is empty", index_path));
    }
    for (const auto& [file, names] : by_shard) {
        if (!has_file(file)) {
            return Status::not_found(fmt::format(
                "{}: shard {} is missing ({} names it for {} tensors, e.g. '{}'): the download "
                "is incomplete",
                dir_, file, kIndex, names.size(), names.front()));
        }
        JENNY_ASSIGN_OR_RETURN(auto shard, SafetensorsFile::open(file_path(file), env));
        for (const std::string& name : names) {
            if (shard->find(name) == nullptr) {
                return Status::corruption(
                    fmt::format("{}: weight_map puts tensor '{}' in {}, which has no such "
                                "tensor ({} tensors there)",
                                index_path, name, file, shard->tensors().size()));
            }
        }
        JENNY_RETURN_IF_ERROR(add_shard(std::move(shard)));
    }
    return Status();
}

Status HfDirectory::add_shard(std::unique_ptr<SafetensorsFile> shard) {
    const SafetensorsFile* s = shard.get();
    shards_.push_back(std::move(shard));
    for (const SafetensorsTensorInfo& t : s->tensors()) {
        auto [it, inserted] = index_.emplace(t.name, Where{s, &t});
        if (!inserted) {
            return Status::corruption(fmt::format("{}: tensor '{}' is in two shards, {} and {}",
                                                  dir_, t.name, it->second.shard->name(),
                                                  s->name()));
        }
        tensor_names_.push_back(t.name);
    }
    return Status();
}

const SafetensorsTensorInfo* HfDirectory::find(std::string_view name) const {
    auto it = index_.find(name);
    return it == index_.end() ? nullptr : it->second.info;
}

const SafetensorsFile* HfDirectory::shard_of(std::string_view name) const {
    auto it = index_.find(name);
    return it == index_.end() ? nullptr : it->second.shard;
}

Result<tensor::Tensor> HfDirectory::tensor(std::string_view name) const {
    auto it = index_.find(name);
    if (it == index_.end()) {
        return Status::not_found(fmt::format("{}: no tensor '{}' in the weights", dir_, name));
    }
    return it->second.shard->tensor(*it->second.info);
}

}  // namespace jenny::checkpoint
