// GGUF v3 writing: metadata entries are encoded as they are added; tensor offsets are assigned
// at write time (the alignment may change until then).
#include "jenny/checkpoint/gguf_writer.h"

#include <fmt/format.h>

#include <cstring>

#include "checkpoint/atomic_file.h"

namespace jenny::checkpoint {

using base::Result;
using base::Status;

namespace {

template <typename T>
void put(std::string* out, T v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    out->append(b, sizeof(T));
}

void put_string(std::string* out, std::string_view s) {
    put<uint64_t>(out, s.size());
    out->append(s);
}

uint64_t align_up(uint64_t n, uint64_t a) { return (n + a - 1) / a * a; }

// The encoding of a value (no type id) read from a GgufFile.
void encode_value(std::string* out, const GgufValue& v) {
    if (!v.is_array()) {
        auto raw = v.raw_bytes();
        if (v.type() == GgufType::kString) put<uint64_t>(out, raw.size());
        out->append(reinterpret_cast<const char*>(raw.data()), raw.size());
        return;
    }
    put<uint32_t>(out, static_cast<uint32_t>(v.array_type()));
    put<uint64_t>(out, v.array_size());
    if (v.array_type() == GgufType::kString) {
        for (std::string_view s : v.strings()) put_string(out, s);
    } else if (v.array_type() == GgufType::kArray) {
        for (const GgufValue& inner : v.arrays()) encode_value(out, inner);
    } else {
        auto raw = v.raw_bytes();
        out->append(reinterpret_cast<const char*>(raw.data()), raw.size());
    }
}

}  // namespace

void GgufWriter::fail(Status s) {
    if (status_.ok()) status_ = std::move(s);
}

std::string* GgufWriter::begin_kv(std::string_view key, GgufType type) {
    if (!keys_.emplace(key).second) {
        fail(Status::invalid_argument(fmt::format("GGUF: metadata key '{}' added twice", key)));
        return nullptr;
    }
    if (key == "general.alignment" && type != GgufType::kUint32) {
        fail(Status::invalid_argument("GGUF: general.alignment must be a uint32"));
        return nullptr;
    }
    Kv& kv = kvs_.emplace_back();
    put_string(&kv.encoded, key);
    put<uint32_t>(&kv.encoded, static_cast<uint32_t>(type));
    return &kv.encoded;
}

template <typename T>
void GgufWriter::add_scalar(std::string_view key, GgufType type, T v) {
    if (std::string* out = begin_kv(key, type)) put<T>(out, v);
}

template <typename T>
void GgufWriter::add_array(std::string_view key, GgufType elem, std::span<const T> v) {
    std::string* out = begin_kv(key, GgufType::kArray);
    if (out == nullptr) return;
    put<uint32_t>(out, static_cast<uint32_t>(elem));
    put<uint64_t>(out, v.size());
    for (const T& x : v) {
        if constexpr (std::is_same_v<T, bool>) {
            put<uint8_t>(out, x ? 1 : 0);
        } else if constexpr (std::is_same_v<T, std::string> ||
                             std::is_same_v<T, std::string_view>) {
            put_string(out, x);
        } else {
            put<T>(out, x);
        }
    }
}

void GgufWriter::add_u8(std::string_view k, uint8_t v) { add_scalar(k, GgufType::kUint8, v); }
void GgufWriter::add_i8(std::string_view k, int8_t v) { add_scalar(k, GgufType::kInt8, v); }
void GgufWriter::add_u16(std::string_view k, uint16_t v) { add_scalar(k, GgufType::kUint16, v); }
void GgufWriter::add_i16(std::string_view k, int16_t v) { add_scalar(k, GgufType::kInt16, v); }
void GgufWriter::add_u32(std::string_view k, uint32_t v) {
    if (k == "general.alignment") {
        set_alignment(v);
        return;
    }
    add_scalar(k, GgufType::kUint32, v);
}
void GgufWriter::add_i32(std::string_view k, int32_t v) { add_scalar(k, GgufType::kInt32, v); }
void GgufWriter::add_u64(std::string_view k, uint64_t v) { add_scalar(k, GgufType::kUint64, v); }
void GgufWriter::add_i64(std::string_view k, int64_t v) { add_scalar(k, GgufType::kInt64, v); }
void GgufWriter::add_f32(std::string_view k, float v) { add_scalar(k, GgufType::kFloat32, v); }
void GgufWriter::add_f64(std::string_view k, double v) { add_scalar(k, GgufType::kFloat64, v); }
void GgufWriter::add_bool(std::string_view k, bool v) {
    add_scalar<uint8_t>(k, GgufType::kBool, v ? 1 : 0);
}
void GgufWriter::add_string(std::string_view k, std::string_view v) {
    if (std::string* out = begin_kv(k, GgufType::kString)) put_string(out, v);
}

void GgufWriter::add_u8_array(std::string_view k, std::span<const uint8_t> v) {
    add_array(k, GgufType::kUint8, v);
}
void GgufWriter::add_i8_array(std::string_view k, std::span<const int8_t> v) {
    add_array(k, GgufType::kInt8, v);
}
void GgufWriter::add_u16_array(std::string_view k, std::span<const uint16_t> v) {
    add_array(k, GgufType::kUint16, v);
}
void GgufWriter::add_i16_array(std::string_view k, std::span<const int16_t> v) {
    add_array(k, GgufType::kInt16, v);
}
void GgufWriter::add_u32_array(std::string_view k, std::span<const uint32_t> v) {
    add_array(k, GgufType::kUint32, v);
}
void GgufWriter::add_i32_array(std::string_view k, std::span<const int32_t> v) {
    add_array(k, GgufType::kInt32, v);
}
void GgufWriter::add_u64_array(std::string_view k, std::span<const uint64_t> v) {
    add_array(k, GgufType::kUint64, v);
}
void GgufWriter::add_i64_array(std::string_view k, std::span<const int64_t> v) {
    add_array(k, GgufType::kInt64, v);
}
void GgufWriter::add_f32_array(std::string_view k, std::span<const float> v) {
    add_array(k, GgufType::kFloat32, v);
}
void GgufWriter::add_f64_array(std::string_view k, std::span<const double> v) {
    add_array(k, GgufType::kFloat64, v);
}
void GgufWriter::add_bool_array(std::string_view k, std::span<const bool> v) {
    add_array(k, GgufType::kBool, v);
}
void GgufWriter::add_string_array(std::string_view k, std::span<const std::string> v) {
    add_array(k, GgufType::kString, v);
}
void GgufWriter::add_string_array(std::string_view k, std::span<const std::string_view> v) {
    add_array(k, GgufType::kString, v);
}

void GgufWriter::add_value(std::string_view key, const GgufValue& v) {
    if (key == "general.alignment") {
        auto a = v.as_u64();
        if (v.type() != GgufType::kUint32 || !a) {
            fail(
                Status::invalid_argument(fmt::format("GGUF: general.alignment must be a uint32, "
                                                     "got {}",
                                                     v.type_name())));
            return;
        }
        set_alignment(static_cast<uint32_t>(*a));
        return;
    }
    if (std::string* out = begin_kv(key, v.type())) encode_value(out, v);
}

void GgufWriter::set_alignment(uint32_t alignment) {
    if (alignment < 8 || (alignment & (alignment - 1)) != 0) {
        fail(Status::invalid_argument(
            fmt::format("GGUF: alignment {} is not a power of two >= 8", alignment)));
        return;
    }
    if (std::string* out = begin_kv("general.alignment", GgufType::kUint32)) {
        put<uint32_t>(out, alignment);
        alignment_ = alignment;
    }
}

void GgufWriter::add_tensor(std::string_view name, const tensor::Tensor& t) {
    if (!t.defined()) {
        fail(Status::invalid_argument(fmt::format("GGUF: tensor '{}' is undefined", name)));
        return;
    }
    const tensor::Shape& s = t.shape();
    std::vector<uint64_t> ne;
    for (int i = s.ndim() - 1; i >= 0; --i) ne.push_back(static_cast<uint64_t>(s[i]));
    if (ne.empty()) ne.push_back(1);  // a scalar
    auto type = static_cast<GgmlType>(tensor::dtype_info(t.dtype()).ggml_id);
    size_t before = tensors_.size();
    add_tensor_bytes(name, type, ne,
                     {static_cast<const uint8_t*>(t.data()), static_cast<size_t>(t.nbytes())});
    if (tensors_.size() > before) tensors_.back().keep = t;
}

void GgufWriter::add_tensor_bytes(std::string_view name, GgmlType type,
                                  std::span<const uint64_t> ne, std::span<const uint8_t> bytes) {
    if (name.size() > kMaxTensorName) {
        fail(Status::invalid_argument(
            fmt::format("GGUF: tensor name '{}' is {} bytes; llama.cpp loads names of at most {}",
                        name, name.size(), kMaxTensorName)));
        return;
    }
    if (ne.empty() || ne.size() > kGgufMaxDims) {
        fail(Status::invalid_argument(fmt::format(
            "GGUF: tensor '{}' has {} dimensions; GGUF holds 1 to 4", name, ne.size())));
        return;
    }
    uint64_t n = 1;
    for (uint64_t d : ne) {
        if (d == 0 || __builtin_mul_overflow(n, d, &n)) {
            fail(Status::invalid_argument(fmt::format(
                "GGUF: tensor '{}' has a zero or overflowing dimension; GGUF tensors have at "
                "least one element",
                name)));
            return;
        }
    }
    const GgmlTypeInfo* info = ggml_type_info(static_cast<uint32_t>(type));
    if (info == nullptr) {
        fail(Status::invalid_argument(
            fmt::format("GGUF: tensor '{}': {}", name,
                        ggml_unknown_type_message(static_cast<uint32_t>(type)))));
        return;
    }
    if (ne[0] % info->block_size != 0) {
        fail(Status::invalid_argument(
            fmt::format("GGUF: tensor '{}': ne[0] = {} is not a multiple of the {} block size {}",
                        name, ne[0], info->name, info->block_size)));
        return;
    }
    Result<uint64_t> want = ggml_bytes(type, n);
    if (!want.ok() || *want != bytes.size()) {
        fail(Status::invalid_argument(
            fmt::format("GGUF: tensor '{}' ({} with {} elements) needs {} bytes, got {}", name,
                        info->name, n, want.ok() ? *want : 0, bytes.size())));
        return;
    }
    if (!tensor_names_.emplace(name).second) {
        fail(Status::invalid_argument(fmt::format("GGUF: tensor '{}' added twice", name)));
        return;
    }
    TensorEntry& e = tensors_.emplace_back();
    e.name = std::string(name);
    e.type = type;
    e.ne.assign(ne.begin(), ne.end());
    e.bytes = bytes;
}

std::string GgufWriter::head() const {
    std::string out;
    put<uint32_t>(&out, kGgufMagic);
    put<uint32_t>(&out, 3);
    put<uint64_t>(&out, tensors_.size());
    put<uint64_t>(&out, kvs_.size());
    for (const Kv& kv : kvs_) out += kv.encoded;
    uint64_t offset = 0;
    for (const TensorEntry& t : tensors_) {
        put_string(&out, t.name);
        put<uint32_t>(&out, static_cast<uint32_t>(t.ne.size()));
        for (uint64_t d : t.ne) put<uint64_t>(&out, d);
        put<uint32_t>(&out, static_cast<uint32_t>(t.type));
        put<uint64_t>(&out, offset);
        offset = align_up(offset + t.bytes.size(), alignment_);
    }
    out.resize(align_up(out.size(), alignment_), '\0');
    return out;
}

Result<std::string> GgufWriter::serialize() const {
    JENNY_RETURN_IF_ERROR(status_);
    std::string out = head();
    for (const TensorEntry& t : tensors_) {
        out.append(reinterpret_cast<const char*>(t.bytes.data()), t.bytes.size());
        out.resize(align_up(out.size(), alignment_), '\0');
    }
    return out;
}

Status GgufWriter::write(const std::string& path, base::Env* env) const {
    if (!status_.ok()) return status_.with_context(path);
    JENNY_ASSIGN_OR_RETURN(auto file, AtomicFile::create(path, env));
    JENNY_RETURN_IF_ERROR(file->append(head()));
    for (const TensorEntry& t : tensors_) {
        JENNY_RETURN_IF_ERROR(file->append(
            std::string_view(reinterpret_cast<const char*>(t.bytes.data()), t.bytes.size())));
        JENNY_RETURN_IF_ERROR(
            file->append_zeros(align_up(file->size(), alignment_) - file->size()));
    }
    return file->commit();
}

}  // namespace jenny::checkpoint
