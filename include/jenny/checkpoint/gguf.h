// GgufFile: a read-only view of a GGUF v2/v3 file (llama.cpp's model format): its metadata
// key/values, its tensor infos and a pointer to each tensor's bytes. The format as jenny reads
// it is in docs/formats/gguf.md.
//
//   JENNY_ASSIGN_OR_RETURN(auto gguf, GgufFile::open(path));
//   JENNY_ASSIGN_OR_RETURN(auto tokens, gguf->get_string_array("tokenizer.ggml.tokens"));
//   const GgufTensorInfo* t = gguf->find_tensor("token_embd.weight");
//
// open() memory-maps the file and validates all of it up front: every length, count, type id,
// tensor shape and tensor extent is checked against the bytes actually present, so a parsed
// file can be read without further bounds checks. Malformed input is a Status naming the file,
// the byte offset and what was being read — never a crash or a read past the end. Nothing is
// copied: strings (keys, values, tensor names, vocabularies) are string_views into the
// mapping, so a 150k-token vocabulary costs one vector of views.
//
// Views returned by a GgufFile (string_view, span, GgufValue, GgufTensorInfo::data) live as
// long as the GgufFile (and, for parse(), the bytes it was given). A GgufFile is immutable
// after open()/parse(): all const methods are thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "jenny/base/env.h"
#include "jenny/base/result.h"
#include "jenny/checkpoint/ggml_type.h"

namespace jenny::checkpoint {

// The on-disk type ids of metadata values.
enum class GgufType : uint32_t {
    kUint8 = 0,
    kInt8 = 1,
    kUint16 = 2,
    kInt16 = 3,
    kUint32 = 4,
    kInt32 = 5,
    kFloat32 = 6,
    kBool = 7,
    kString = 8,
    kArray = 9,
    kUint64 = 10,
    kInt64 = 11,
    kFloat64 = 12,
};

// "uint8", "int32", "float32", "bool", "string", "array", ...; "type <id>" for others.
std::string_view gguf_type_name(GgufType type);
// Bytes of one value of a fixed-size type (1..8); 0 for kString and kArray.
size_t gguf_type_size(GgufType type);

constexpr uint32_t kGgufMagic = 0x46554747;  // "GGUF" read as a little-endian uint32
constexpr uint32_t kGgufDefaultAlignment = 32;
constexpr uint32_t kGgufMaxDims = 4;
constexpr int kGgufMaxArrayDepth = 8;  // arrays nested deeper than this are refused

// One metadata value: a scalar, a string or an array (of scalars, strings or arrays). A cheap
// view (scalars decoded, strings and array payloads pointing into the file); arrays of strings
// and of arrays own one vector each.
class GgufValue {
public:
    GgufType type() const { return type_; }
    bool is_array() const { return type_ == GgufType::kArray; }
    // "uint32", "string", "array of string", "array of array of int32" (an empty array of
    // arrays is "array of array").
    std::string type_name() const;

    // ---- scalars (nullopt when the type does not convert without loss) ----
    // Any integer type whose value is >= 0 (not bool, not float).
    std::optional<uint64_t> as_u64() const;
    // Any integer type whose value fits int64.
    std::optional<int64_t> as_i64() const;
    // float32 or float64.
    std::optional<double> as_f64() const;
    std::optional<bool> as_bool() const;
    std::optional<std::string_view> as_string() const;

    // ---- arrays (all empty / kArray-less answers when !is_array()) ----
    GgufType array_type() const { return elem_type_; }  // the elements' type
    uint64_t array_size() const { return count_; }
    // Element i (< array_size()) of an array of fixed-size values or strings, as a scalar
    // value. For an array of arrays use arrays().
    GgufValue element(uint64_t i) const;
    // The elements of an array of strings.
    std::span<const std::string_view> strings() const { return strings_; }
    // The elements of an array of arrays.
    std::span<const GgufValue> arrays() const { return arrays_; }
    // The little-endian payload of an array of fixed-size values (array_size() *
    // gguf_type_size(array_type()) bytes, no alignment guarantee), or of a string.
    std::span<const uint8_t> raw_bytes() const { return {data_, size_}; }

private:
    friend class GgufParser;
    // A scalar of fixed-size `type` from its little-endian bytes at p.
    static GgufValue decode_scalar(GgufType type, const uint8_t* p);

    GgufType type_ = GgufType::kUint8;
    GgufType elem_type_ = GgufType::kUint8;  // kArray only
    union {
        uint64_t u64;
        int64_t i64;
        double f64;
    } scalar_{};                             // integer / float / bool types, widened
    const uint8_t* data_ = nullptr;          // string bytes, or fixed-size array payload
    uint64_t size_ = 0;                      // bytes at data_
    uint64_t count_ = 0;                     // kArray: number of elements
    std::vector<std::string_view> strings_;  // kArray of kString
    std::vector<GgufValue> arrays_;          // kArray of kArray
};

// One metadata entry, in file order.
struct GgufKv {
    std::string_view key;
    GgufValue value;
    uint64_t offset = 0;  // byte offset of the entry (its key length) in the file
};

struct GgufTensorInfo {
    std::string_view name;
    GgmlType type = GgmlType::kF32;
    uint32_t n_dims = 0;                     // 1..4
    std::array<uint64_t, 4> ne{1, 1, 1, 1};  // elements per dim, ne[0] contiguous; unused = 1
    uint64_t offset = 0;                     // as stored: relative to the data section, aligned
    uint64_t n_elements = 0;                 // product of ne, >= 1
    uint64_t n_bytes = 0;                    // per ggml_type_info(type)
    const uint8_t* data = nullptr;           // file bytes + data_offset + offset; n_bytes long
    uint64_t info_offset = 0;                // byte offset of this tensor info in the file

    std::span<const uint8_t> bytes() const { return {data, n_bytes}; }
};

class GgufFile {
public:
    // Memory-maps `path` through `env` and parses it; the file keeps the mapping. Errors:
    // those of Env::map_file, kInvalidArgument for a file that is not GGUF, kUnsupported for
    // GGUF versions other than 2 and 3 or big-endian files, kCorruption for anything malformed.
    // Messages start with `path`.
    static base::Result<std::unique_ptr<GgufFile>> open(const std::string& path,
                                                        base::Env* env = base::Env::Default());
    // Parses bytes already in memory; they must outlive the returned file (nothing is
    // copied). `name` prefixes every error message. Errors as open().
    static base::Result<std::unique_ptr<GgufFile>> parse(std::span<const uint8_t> bytes,
                                                         std::string name);

    const std::string& name() const { return name_; }
    uint32_t version() const { return version_; }
    uint32_t alignment() const { return alignment_; }          // general.alignment, default 32
    uint64_t data_offset() const { return data_offset_; }      // start of the tensor data section
    std::span<const uint8_t> bytes() const { return bytes_; }  // the whole file

    // ---- metadata ----
    std::span<const GgufKv> metadata() const { return metadata_; }  // file order
    const GgufValue* find(std::string_view key) const;              // nullptr when absent
    bool has(std::string_view key) const { return find(key) != nullptr; }

    // Typed getters. Errors: kNotFound "<name>: missing key 'k'"; kInvalidArgument
    // "<name>: key 'k': expected uint32, got string" or "... value -1 does not fit uint32".
    // Integer getters accept any integer type whose value fits; float getters accept
    // float32 and float64.
    base::Result<std::string_view> get_string(std::string_view key) const;
    base::Result<bool> get_bool(std::string_view key) const;
    base::Result<uint32_t> get_u32(std::string_view key) const;
    base::Result<uint64_t> get_u64(std::string_view key) const;
    base::Result<int32_t> get_i32(std::string_view key) const;
    base::Result<int64_t> get_i64(std::string_view key) const;
    base::Result<float> get_f32(std::string_view key) const;
    base::Result<double> get_f64(std::string_view key) const;

    // Typed arrays. Strings are views into the file (no copies). Numeric arrays are copied
    // out (the payload has no alignment guarantee); integer arrays accept any integer element
    // type whose every value fits, float arrays float32 or float64 elements.
    base::Result<std::span<const std::string_view>> get_string_array(std::string_view key) const;
    base::Result<std::vector<int32_t>> get_i32_array(std::string_view key) const;
    base::Result<std::vector<uint32_t>> get_u32_array(std::string_view key) const;
    base::Result<std::vector<int64_t>> get_i64_array(std::string_view key) const;
    base::Result<std::vector<float>> get_f32_array(std::string_view key) const;

    // ---- tensors ----
    std::span<const GgufTensorInfo> tensors() const { return tensors_; }  // file order
    const GgufTensorInfo* find_tensor(std::string_view name) const;       // nullptr when absent

private:
    friend class GgufParser;
    GgufFile() = default;

    base::Status type_error(std::string_view key, std::string_view expected,
                            const GgufValue& got) const;
    base::Result<const GgufValue*> find_or_error(std::string_view key) const;
    template <typename T>
    base::Result<T> get_int(std::string_view key, std::string_view type_name) const;
    template <typename T>
    base::Result<std::vector<T>> get_int_array(std::string_view key,
                                               std::string_view type_name) const;

    std::string name_;
    std::unique_ptr<base::MappedFile> mapping_;  // null for parse()
    std::span<const uint8_t> bytes_;
    uint32_t version_ = 0;
    uint32_t alignment_ = kGgufDefaultAlignment;
    uint64_t data_offset_ = 0;
    std::vector<GgufKv> metadata_;
    std::unordered_map<std::string_view, size_t> key_index_;  // key -> metadata_ index
    std::vector<GgufTensorInfo> tensors_;
    std::unordered_map<std::string_view, size_t> tensor_index_;  // name -> tensors_ index
};

}  // namespace jenny::checkpoint
