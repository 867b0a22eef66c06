// SafetensorsFile: a read-only view of a .safetensors file (Hugging Face's tensor format: an
// 8-byte little-endian header length N, N bytes of JSON, then the tensor data), and
// write_safetensors, which writes one. The format as jenny reads and writes it is in
// docs/formats/safetensors.md.
//
//   JENNY_ASSIGN_OR_RETURN(auto st, SafetensorsFile::open(dir + "/model.safetensors"));
//   JENNY_ASSIGN_OR_RETURN(tensor::Tensor w, st->tensor("model.embed_tokens.weight"));
//
// open() memory-maps the file and validates all of it up front, as the reference
// implementation (the `safetensors` Rust crate) does: the header length, the JSON, every
// dtype, shape and data_offsets pair, and that the tensors tile the data section exactly
// (contiguous, no overlap, no gap, nothing after the last one). Malformed input is a Status
// naming the file, the byte offset or tensor, and what is wrong — never a crash. Nothing is
// copied: tensor() returns views into the mapping, which they keep alive (the mapping is their
// owner), so tensors may outlive the SafetensorsFile.
//
// A SafetensorsFile is immutable after open()/parse(): all const methods are thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "jenny/base/env.h"
#include "jenny/base/result.h"
#include "jenny/tensor/tensor.h"

namespace jenny::checkpoint {

// Element types of the format, in the reference implementation's order (the writer lays
// tensors out by this order, largest first, as it does).
enum class SafetensorsDType : uint8_t {
    kBool,
    kF4,
    kF6_E2M3,
    kF6_E3M2,
    kU8,
    kI8,
    kF8_E5M2,
    kF8_E4M3,
    kF8_E8M0,
    kI16,
    kU16,
    kF16,
    kBF16,
    kI32,
    kU32,
    kF32,
    kC64,
    kF64,
    kI64,
    kU64,
};

// "F32", "BF16", "BOOL", ... as spelled in the header.
std::string_view safetensors_dtype_name(SafetensorsDType dtype);
// The dtype spelled `name` (case-sensitive, as the format is); nullopt when unknown.
std::optional<SafetensorsDType> safetensors_dtype_from_name(std::string_view name);
// Bits per element: 1-byte types 8, F32 32, ..., F4 4, F6_* 6.
int safetensors_dtype_bits(SafetensorsDType dtype);
// The jenny dtype a safetensors dtype is viewed as: F32, F16, BF16 and I32; nullopt for the
// others (their bytes are still readable through SafetensorsTensorInfo::bytes()).
std::optional<tensor::DType> safetensors_to_dtype(SafetensorsDType dtype);
// The header spelling of a jenny dtype that safetensors can hold (f32, f16, bf16, i32).
std::optional<SafetensorsDType> safetensors_from_dtype(tensor::DType dtype);

struct SafetensorsTensorInfo {
    std::string name;
    SafetensorsDType dtype = SafetensorsDType::kF32;
    std::vector<int64_t> shape;  // PyTorch order (last dim contiguous); empty for a scalar
    uint64_t begin = 0;          // data_offsets, relative to the start of the data section
    uint64_t end = 0;
    uint64_t n_elements = 0;        // product of shape (1 for a scalar, 0 when a dim is 0)
    const uint8_t* data = nullptr;  // file bytes + data_offset + begin; end - begin long

    std::span<const uint8_t> bytes() const { return {data, end - begin}; }
    std::string shape_str() const;  // "[2, 3]"
};

class SafetensorsFile {
public:
    // Header lengths above this are refused (the reference implementation's limit).
    static constexpr uint64_t kMaxHeaderBytes = 100'000'000;

    // Memory-maps `path` through `env` and parses it; the file keeps the mapping (shared with
    // the tensors it hands out). Errors: those of Env::map_file; kInvalidArgument for a file
    // that is recognisably something else (GGUF, a PyTorch zip); kUnsupported for a dtype
    // this build does not know; kCorruption for anything malformed. Messages start with `path`.
    static base::Result<std::unique_ptr<SafetensorsFile>> open(
        const std::string& path, base::Env* env = base::Env::Default());
    // Parses bytes already in memory; they must outlive the file and every tensor taken from
    // it (nothing is copied). `name` prefixes every error message. Errors as open().
    static base::Result<std::unique_ptr<SafetensorsFile>> parse(std::span<const uint8_t> bytes,
                                                                std::string name);

    const std::string& name() const { return name_; }
    uint64_t header_size() const { return header_size_; }         // N, the JSON's bytes
    uint64_t data_offset() const { return 8 + header_size_; }     // start of the data section
    std::span<const uint8_t> bytes() const { return bytes_; }     // the whole file
    const std::map<std::string, std::string>& metadata() const {  // "__metadata__"
        return metadata_;
    }

    // Every tensor, in data order (by begin offset; zero-sized ones by name among equals).
    std::span<const SafetensorsTensorInfo> tensors() const { return tensors_; }
    const SafetensorsTensorInfo* find(std::string_view name) const;  // nullptr when absent

    // The named tensor as a tensor::Tensor (dtype F32/F16/BF16/I32, at most 4 dims) viewing
    // the file's bytes, which it keeps alive. Bytes that are not aligned to the element size
    // (possible in files from other writers) are copied into an aligned owned tensor.
    // Errors: kNotFound "<name>: no tensor 'x'"; kUnsupported naming the tensor and its dtype
    // (I64, U8, BOOL, F64, ...) or its rank (> 4).
    base::Result<tensor::Tensor> tensor(std::string_view name) const;
    base::Result<tensor::Tensor> tensor(const SafetensorsTensorInfo& info) const;

private:
    friend class SafetensorsParser;
    SafetensorsFile() = default;

    std::string name_;
    std::shared_ptr<const base::MappedFile> mapping_;  // null for parse()
    std::span<const uint8_t> bytes_;
    uint64_t header_size_ = 0;
    std::map<std::string, std::string> metadata_;
    std::vector<SafetensorsTensorInfo> tensors_;
    std::unordered_map<std::string_view, size_t> index_;  // name -> tensors_ index
};

// One tensor to write: its name and the tensor (f32, f16, bf16 or i32).
using NamedTensor = std::pair<std::string, tensor::Tensor>;

// The bytes of a safetensors file holding `tensors` and `metadata`, laid out as the reference
// implementation lays them out (so the Python package writes the same bytes for the same input
// when metadata has at most one key): tensors sorted by dtype (largest element first) then
// name, the JSON header compact and padded with spaces so the data starts at a multiple of 8,
// "__metadata__" first (omitted when empty), its keys sorted. Errors (kInvalidArgument): a
// dtype safetensors cannot hold (quantised tensors: convert them first), an undefined tensor,
// a duplicate name, the name "__metadata__", a name or metadata string that is not UTF-8.
base::Result<std::string> serialize_safetensors(
    std::span<const NamedTensor> tensors, const std::map<std::string, std::string>& metadata = {});

// Writes what serialize_safetensors describes to `path`, streaming the tensors (nothing is
// copied into a buffer) into a temporary file that is renamed over `path` once complete, so
// a crash leaves the old file or the new one. Errors: those of serialize_safetensors, and of
// the Env (the message names `path`; the previous file is intact).
base::Status write_safetensors(const std::string& path, std::span<const NamedTensor> tensors,
                               const std::map<std::string, std::string>& metadata = {},
                               base::Env* env = base::Env::Default());

// The same bytes streamed into an open file (e.g. one a CheckpointStore is writing); the
// caller syncs and closes it. Errors: those of serialize_safetensors and of the file.
base::Status write_safetensors_to(base::WritableFile& file, std::span<const NamedTensor> tensors,
                                  const std::map<std::string, std::string>& metadata = {});

}  // namespace jenny::checkpoint
