// HfDirectory: a Hugging Face model directory as jenny reads it — config.json (raw text; the
// model layer parses it), generation_config.json when present, which tokenizer files are
// there, and the weights: model.safetensors, or the shards listed by
// model.safetensors.index.json, all memory-mapped. The layout is in docs/formats/safetensors.md.
//
//   JENNY_ASSIGN_OR_RETURN(auto hf, HfDirectory::open("models/SmolLM2-135M"));
//   JENNY_ASSIGN_OR_RETURN(tensor::Tensor w, hf->tensor("model.layers.0.self_attn.q_proj.weight"));
//
// open() validates everything up front: every shard the index names is opened (each once) and
// parsed, every tensor the index names must be in its shard, and no tensor may be in two
// shards. Tensors are views into the mappings (see SafetensorsFile::tensor) and keep them
// alive. Immutable after open(): all const methods are thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "jenny/base/env.h"
#include "jenny/base/result.h"
#include "jenny/checkpoint/safetensors.h"
#include "jenny/tensor/tensor.h"

namespace jenny::checkpoint {

class HfDirectory {
public:
    // Errors: kNotFound for a missing directory, a missing config.json, no weights, or a shard
    // the index names that is absent; kUnsupported for a directory holding only PyTorch pickle
    // weights (pytorch_model.bin), with the command that converts them; kCorruption for a
    // malformed index or an index that does not match its shards; those of
    // SafetensorsFile::open for a bad shard. Messages name the directory and the file.
    static base::Result<std::unique_ptr<HfDirectory>> open(const std::string& dir,
                                                           base::Env* env = base::Env::Default());

    const std::string& path() const { return dir_; }
    const std::string& config_json() const { return config_json_; }
    const std::optional<std::string>& generation_config_json() const {
        return generation_config_json_;
    }
    // The directory's entries (names, sorted), and lookups in them.
    std::span<const std::string> files() const { return files_; }
    bool has_file(std::string_view name) const;
    std::string file_path(std::string_view name) const;  // "<dir>/<name>"
    // Which of the tokenizer files (tokenizer.json, tokenizer_config.json, tokenizer.model,
    // special_tokens_map.json, vocab.json, merges.txt) are present, in that order.
    std::vector<std::string> tokenizer_files() const;
    // tokenizer.json or tokenizer.model is present.
    bool has_tokenizer() const;

    // The weights: every tensor of every shard, names sorted.
    std::span<const std::string> tensor_names() const { return tensor_names_; }
    size_t num_tensors() const { return tensor_names_.size(); }
    // The shards in the order opened (model.safetensors alone, or the index's files sorted).
    std::span<const std::unique_ptr<SafetensorsFile>> shards() const { return shards_; }
    // nullptr when absent.
    const SafetensorsTensorInfo* find(std::string_view name) const;
    // The shard holding `name`; nullptr when absent.
    const SafetensorsFile* shard_of(std::string_view name) const;
    // A view of the named tensor. Errors: kNotFound "<dir>: no tensor 'x' in the weights";
    // those of SafetensorsFile::tensor (an unsupported dtype or rank).
    base::Result<tensor::Tensor> tensor(std::string_view name) const;

private:
    HfDirectory() = default;
    base::Status load_weights(base::Env* env);
    base::Status load_index(base::Env* env);
    base::Status add_shard(std::unique_ptr<SafetensorsFile> shard);

    struct Where {
        const SafetensorsFile* shard;
        const SafetensorsTensorInfo* info;
    };

    std::string dir_;
    std::string config_json_;
    std::optional<std::string> generation_config_json_;
    std::vector<std::string> files_;
    std::vector<std::unique_ptr<SafetensorsFile>> shards_;
    std::vector<std::string> tensor_names_;
    std::unordered_map<std::string_view, Where> index_;
};

}  // namespace jenny::checkpoint
