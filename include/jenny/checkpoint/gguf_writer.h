// GgufWriter: builds a GGUF v3 file (llama.cpp's model format) from metadata key/values and
// tensors, and writes it atomically. What GgufFile::open reads (docs/formats/gguf.md), this
// writes; llama.cpp and gguf-py read the result.
//
//   GgufWriter w;
//   w.add_string("general.architecture", "llama");
//   w.add_u32("llama.block_count", 30);
//   w.add_string_array("tokenizer.ggml.tokens", tokens);
//   w.add_tensor("token_embd.weight", embeddings);        // tensor::Tensor (V, C), any dtype
//   JENNY_RETURN_IF_ERROR(w.write(path));
//
// Metadata is written in the order added; tensors in the order added, each at an offset that
// is a multiple of the alignment (general.alignment, 32 unless set_alignment() says otherwise),
// zero-padded. A tensor::Tensor of shape (d0, ..., dn) (PyTorch order, last dim contiguous) is
// written with ne = (dn, ..., d0), GGUF's order (ne[0] contiguous).
//
// Errors of the add_* calls (a duplicate key or tensor name, a bad tensor) are kept: the first
// one is returned by status() and by write()/serialize(), which then write nothing. Tensor
// data is not copied: the writer keeps a handle (tensor::Tensor) or a borrowed span
// (add_tensor_bytes), which must stay valid until write() returns. Not thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "jenny/base/env.h"
#include "jenny/base/result.h"
#include "jenny/checkpoint/ggml_type.h"
#include "jenny/checkpoint/gguf.h"
#include "jenny/tensor/tensor.h"

namespace jenny::checkpoint {

class GgufWriter {
public:
    // Tensor names of 64 bytes or more are refused: llama.cpp cannot load them
    // (GGML_MAX_NAME).
    static constexpr size_t kMaxTensorName = 63;

    GgufWriter() = default;

    // ---- metadata scalars ----
    void add_u8(std::string_view key, uint8_t v);
    void add_i8(std::string_view key, int8_t v);
    void add_u16(std::string_view key, uint16_t v);
    void add_i16(std::string_view key, int16_t v);
    void add_u32(std::string_view key, uint32_t v);
    void add_i32(std::string_view key, int32_t v);
    void add_u64(std::string_view key, uint64_t v);
    void add_i64(std::string_view key, int64_t v);
    void add_f32(std::string_view key, float v);
    void add_f64(std::string_view key, double v);
    void add_bool(std::string_view key, bool v);
    void add_string(std::string_view key, std::string_view v);

    // ---- metadata arrays ----
    void add_u8_array(std::string_view key, std::span<const uint8_t> v);
    void add_i8_array(std::string_view key, std::span<const int8_t> v);
    void add_u16_array(std::string_view key, std::span<const uint16_t> v);
    void add_i16_array(std::string_view key, std::span<const int16_t> v);
    void add_u32_array(std::string_view key, std::span<const uint32_t> v);
    void add_i32_array(std::string_view key, std::span<const int32_t> v);
    void add_u64_array(std::string_view key, std::span<const uint64_t> v);
    void add_i64_array(std::string_view key, std::span<const int64_t> v);
    void add_f32_array(std::string_view key, std::span<const float> v);
    void add_f64_array(std::string_view key, std::span<const double> v);
    void add_bool_array(std::string_view key, std::span<const bool> v);
    void add_string_array(std::string_view key, std::span<const std::string> v);
    void add_string_array(std::string_view key, std::span<const std::string_view> v);

    // Any value read from a GgufFile (arrays of arrays included), re-encoded as it was: copies
    // metadata from one GGUF to another.
    void add_value(std::string_view key, const GgufValue& v);

    // Sets the data alignment (a power of two, at least 8) and writes it as general.alignment
    // (uint32) at this point of the metadata. Without it the alignment is 32 and the key absent.
    void set_alignment(uint32_t alignment);

    // ---- tensors ----
    // A tensor of any dtype jenny has (f32, f16, bf16, i32, q8_0, q4_0, q4_K, ...); its ggml
    // type is dtype_info(dtype).ggml_id. Refused: an undefined tensor, one with no elements,
    // a name of 64 bytes or more, a duplicate name.
    void add_tensor(std::string_view name, const tensor::Tensor& t);
    // Raw bytes of any ggml type (GGUF order ne, ne[0] contiguous, 1..4 dims): for types jenny
    // does not compute with (q2_K, iq4_nl, ...) and for copying tensors out of a GgufFile.
    // `bytes` is borrowed and must be exactly ggml_bytes(type, product of ne) long.
    void add_tensor_bytes(std::string_view name, GgmlType type, std::span<const uint64_t> ne,
                          std::span<const uint8_t> bytes);

    // ---- output ----
    // The first error of an add_* call, or ok.
    const base::Status& status() const { return status_; }
    size_t num_kv() const { return kvs_.size(); }
    size_t num_tensors() const { return tensors_.size(); }
    uint32_t alignment() const { return alignment_; }

    // The whole file in memory (for small files and tests).
    base::Result<std::string> serialize() const;
    // Streams the file into a temporary file beside `path` and renames it over `path`. Errors:
    // status(), and those of the Env (naming `path`; the previous file is intact).
    base::Status write(const std::string& path, base::Env* env = base::Env::Default()) const;

private:
    struct Kv {
        std::string encoded;  // key string, type id, value
    };
    struct TensorEntry {
        std::string name;
        GgmlType type = GgmlType::kF32;
        std::vector<uint64_t> ne;
        std::span<const uint8_t> bytes;
        tensor::Tensor keep;  // keeps add_tensor's bytes alive
    };

    // Starts a key/value: checks the key, writes key and type id into a new entry.
    std::string* begin_kv(std::string_view key, GgufType type);
    template <typename T>
    void add_scalar(std::string_view key, GgufType type, T v);
    template <typename T>
    void add_array(std::string_view key, GgufType elem, std::span<const T> v);
    void fail(base::Status s);
    // Header, metadata, tensor infos and padding up to the data section.
    std::string head() const;

    base::Status status_;
    std::vector<Kv> kvs_;
    std::unordered_set<std::string> keys_;
    std::vector<TensorEntry> tensors_;
    std::unordered_set<std::string> tensor_names_;
    uint32_t alignment_ = kGgufDefaultAlignment;
};

}  // namespace jenny::checkpoint
