// Llama2cFile: a read-only view of a llama2.c checkpoint (Karpathy's `.bin`: a header of int32s,
// then float32 weights), legacy version 0 and version 1 ("ak42"). The format as jenny reads it
// is in docs/formats/llama2c.md.
//
//   JENNY_ASSIGN_OR_RETURN(auto m, Llama2cFile::open("stories260K.bin"));
//   const Llama2cConfig& c = m->config();              // dim 64, n_layers 5, ...
//   const tensor::Tensor& wq = m->layers()[2].wq;      // (dim, dim) f32, a view into the file
//
// open() memory-maps the file and validates the header (every field positive, dim divisible by
// n_heads, n_kv_heads dividing n_heads, an even head size) and the exact file size the header
// implies; errors name the file, the header field and its byte offset, or the expected and
// actual sizes and the tensor the file ends in. Nothing is copied: the tensors are f32 views
// of the mapping, which they keep alive, so they may outlive the Llama2cFile.
//
// Immutable after open()/parse(): all const methods are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "jenny/base/env.h"
#include "jenny/base/result.h"
#include "jenny/tensor/tensor.h"

namespace jenny::checkpoint {

constexpr uint32_t kLlama2cMagic = 0x616b3432;  // "ak42" as a little-endian uint32 (version 1+)
constexpr size_t kLlama2cV0HeaderBytes = 28;    // 7 x int32
constexpr size_t kLlama2cV1HeaderBytes = 256;   // magic, version, 7 x int32, shared flag, zeros

struct Llama2cConfig {
    int version = 0;  // 0: legacy (no magic), 1: "ak42" fp32
    int32_t dim = 0;
    int32_t hidden_dim = 0;
    int32_t n_layers = 0;
    int32_t n_heads = 0;
    int32_t n_kv_heads = 0;
    int32_t vocab_size = 0;  // always positive here (v0 stores it negated when unshared)
    int32_t seq_len = 0;
    bool shared_classifier = true;  // the output layer reuses the token embeddings

    int32_t head_size() const { return dim / n_heads; }
    int32_t kv_dim() const { return head_size() * n_kv_heads; }
};

// One transformer block's weights (D = dim, K = kv_dim, F = hidden_dim), all f32.
struct Llama2cLayer {
    tensor::Tensor rms_att;  // (D)
    tensor::Tensor wq;       // (D, D)
    tensor::Tensor wk;       // (K, D)
    tensor::Tensor wv;       // (K, D)
    tensor::Tensor wo;       // (D, D)
    tensor::Tensor rms_ffn;  // (D)
    tensor::Tensor w1;       // (F, D) gate
    tensor::Tensor w2;       // (D, F) down
    tensor::Tensor w3;       // (F, D) up
};

class Llama2cFile {
public:
    // Memory-maps `path` through `env` and parses it. Errors: those of Env::map_file;
    // kUnsupported for llama2.c versions other than 0 and 1 (2 is int8-quantised);
    // kCorruption for a bad header value or a file whose size is not what the header implies.
    // Messages start with `path`.
    static base::Result<std::unique_ptr<Llama2cFile>> open(const std::string& path,
                                                           base::Env* env = base::Env::Default());
    // Parses bytes already in memory; they must outlive the file and its tensors (nothing is
    // copied). `name` prefixes every error message. Errors as open().
    static base::Result<std::unique_ptr<Llama2cFile>> parse(std::span<const uint8_t> bytes,
                                                            std::string name);

    const std::string& name() const { return name_; }
    const Llama2cConfig& config() const { return config_; }
    uint64_t header_bytes() const { return header_bytes_; }  // 28 (v0) or 256 (v1)

    const tensor::Tensor& tok_embeddings() const { return tok_embeddings_; }  // (V, D)
    std::span<const Llama2cLayer> layers() const { return layers_; }          // n_layers
    const tensor::Tensor& rms_final() const { return rms_final_; }            // (D)
    // The RoPE tables version 0 files carry (seq_len, head_size / 2); undefined for version 1.
    // llama2.c's run.c ignores them and computes RoPE itself.
    const tensor::Tensor& freq_cis_real() const { return freq_cis_real_; }
    const tensor::Tensor& freq_cis_imag() const { return freq_cis_imag_; }
    // The classifier (V, D): the token embeddings' bytes when shared_classifier.
    const tensor::Tensor& wcls() const { return wcls_; }

    // Every weight under llama2.c's PyTorch names (model.py), in file order:
    // "tok_embeddings.weight", "layers.0.attention_norm.weight", "layers.0.attention.wq.weight",
    // ..., "layers.0.ffn_norm.weight", "layers.0.feed_forward.w1.weight", ..., "norm.weight",
    // and "output.weight" only when the classifier is not shared. The RoPE tables are left out.
    std::vector<std::pair<std::string, tensor::Tensor>> named_tensors() const;

private:
    friend class Llama2cParser;
    Llama2cFile() = default;

    std::string name_;
    std::shared_ptr<const base::MappedFile> mapping_;  // null for parse()
    std::span<const uint8_t> bytes_;
    Llama2cConfig config_;
    uint64_t header_bytes_ = 0;
    tensor::Tensor tok_embeddings_;
    std::vector<Llama2cLayer> layers_;
    tensor::Tensor rms_final_;
    tensor::Tensor freq_cis_real_;
    tensor::Tensor freq_cis_imag_;
    tensor::Tensor wcls_;
};

}  // namespace jenny::checkpoint
