// GgufValue conversions and GgufFile's typed getters. Everything here reads a file the parser
// (gguf_reader.cpp) has already validated.
#include <fmt/format.h>

#include <cstring>
#include <limits>

#include "jenny/checkpoint/gguf.h"

namespace jenny::checkpoint {

using base::Result;
using base::Status;

namespace {

bool is_unsigned_int(GgufType t) {
    return t == GgufType::kUint8 || t == GgufType::kUint16 || t == GgufType::kUint32 ||
           t == GgufType::kUint64;
}
bool is_signed_int(GgufType t) {
    return t == GgufType::kInt8 || t == GgufType::kInt16 || t == GgufType::kInt32 ||
           t == GgufType::kInt64;
}
bool is_float(GgufType t) { return t == GgufType::kFloat32 || t == GgufType::kFloat64; }

template <typename T>
T load(const uint8_t* p) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    return v;
}

}  // namespace

std::string_view gguf_type_name(GgufType type) {
    switch (type) {
        case GgufType::kUint8:
            return "uint8";
        case GgufType::kInt8:
            return "int8";
        case GgufType::kUint16:
            return "uint16";
        case GgufType::kInt16:
            return "int16";
        case GgufType::kUint32:
            return "uint32";
        case GgufType::kInt32:
            return "int32";
        case GgufType::kFloat32:
            return "float32";
        case GgufType::kBool:
            return "bool";
        case GgufType::kString:
            return "string";
        case GgufType::kArray:
            return "array";
        case GgufType::kUint64:
            return "uint64";
        case GgufType::kInt64:
            return "int64";
        case GgufType::kFloat64:
            return "float64";
    }
    return "unknown type";
}

size_t gguf_type_size(GgufType type) {
    switch (type) {
        case GgufType::kUint8:
        case GgufType::kInt8:
        case GgufType::kBool:
            return 1;
        case GgufType::kUint16:
        case GgufType::kInt16:
            return 2;
        case GgufType::kUint32:
        case GgufType::kInt32:
        case GgufType::kFloat32:
            return 4;
        case GgufType::kUint64:
        case GgufType::kInt64:
        case GgufType::kFloat64:
            return 8;
        case GgufType::kString:
        case GgufType::kArray:
            return 0;
    }
    return 0;
}

// ---- GgufValue ----

std::string GgufValue::type_name() const {
    if (type_ != GgufType::kArray) return std::string(gguf_type_name(type_));
    if (elem_type_ == GgufType::kArray) {
        return arrays_.empty() ? "array of array" : "array of " + arrays_[0].type_name();
    }
    return fmt::format("array of {}", gguf_type_name(elem_type_));
}

std::optional<uint64_t> GgufValue::as_u64() const {
    if (is_unsigned_int(type_)) return scalar_.u64;
    if (is_signed_int(type_) && scalar_.i64 >= 0) return static_cast<uint64_t>(scalar_.i64);
    return std::nullopt;
}

std::optional<int64_t> GgufValue::as_i64() const {
    if (is_signed_int(type_)) return scalar_.i64;
    if (is_unsigned_int(type_) && scalar_.u64 <= static_cast<uint64_t>(INT64_MAX)) {
        return static_cast<int64_t>(scalar_.u64);
    }
    return std::nullopt;
}

std::optional<double> GgufValue::as_f64() const {
    if (is_float(type_)) return scalar_.f64;
    return std::nullopt;
}

std::optional<bool> GgufValue::as_bool() const {
    if (type_ == GgufType::kBool) return scalar_.u64 != 0;
    return std::nullopt;
}

std::optional<std::string_view> GgufValue::as_string() const {
    if (type_ != GgufType::kString) return std::nullopt;
    return std::string_view(reinterpret_cast<const char*>(data_), size_);
}

GgufValue GgufValue::decode_scalar(GgufType type, const uint8_t* p) {
    GgufValue v;
    v.type_ = type;
    v.data_ = p;
    v.size_ = gguf_type_size(type);
    switch (type) {
        case GgufType::kUint8:
            v.scalar_.u64 = load<uint8_t>(p);
            break;
        case GgufType::kInt8:
            v.scalar_.i64 = load<int8_t>(p);
            break;
        case GgufType::kUint16:
            v.scalar_.u64 = load<uint16_t>(p);
            break;
        case GgufType::kInt16:
            v.scalar_.i64 = load<int16_t>(p);
            break;
        case GgufType::kUint32:
            v.scalar_.u64 = load<uint32_t>(p);
            break;
        case GgufType::kInt32:
            v.scalar_.i64 = load<int32_t>(p);
            break;
        case GgufType::kUint64:
            v.scalar_.u64 = load<uint64_t>(p);
            break;
        case GgufType::kInt64:
            v.scalar_.i64 = load<int64_t>(p);
            break;
        case GgufType::kFloat32:
            v.scalar_.f64 = load<float>(p);
            break;
        case GgufType::kFloat64:
            v.scalar_.f64 = load<double>(p);
            break;
        case GgufType::kBool:
            v.scalar_.u64 = load<uint8_t>(p) != 0;
            break;
        case GgufType::kString:
        case GgufType::kArray:
            JENNY_CHECK(false, "decode_scalar of a {}", gguf_type_name(type));
    }
    return v;
}

GgufValue GgufValue::element(uint64_t i) const {
    JENNY_CHECK(type_ == GgufType::kArray && i < count_ && elem_type_ != GgufType::kArray,
                "GgufValue::element({}) of a {}", i, type_name());
    if (elem_type_ == GgufType::kString) {
        GgufValue v;
        v.type_ = GgufType::kString;
        v.data_ = reinterpret_cast<const uint8_t*>(strings_[i].data());
        v.size_ = strings_[i].size();
        return v;
    }
    return decode_scalar(elem_type_, data_ + i * gguf_type_size(elem_type_));
}

// ---- GgufFile ----

const GgufValue* GgufFile::find(std::string_view key) const {
    auto it = key_index_.find(key);
    return it == key_index_.end() ? nullptr : &metadata_[it->second].value;
}

const GgufTensorInfo* GgufFile::find_tensor(std::string_view name) const {
    auto it = tensor_index_.find(name);
    return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

Status GgufFile::type_error(std::string_view key, std::string_view expected,
                            const GgufValue& got) const {
    return Status::invalid_argument(
        fmt::format("{}: key '{}': expected {}, got {}", name_, key, expected, got.type_name()));
}

Result<const GgufValue*> GgufFile::find_or_error(std::string_view key) const {
    const GgufValue* v = find(key);
    if (v == nullptr) return Status::not_found(fmt::format("{}: missing key '{}'", name_, key));
    return v;
}

Result<std::string_view> GgufFile::get_string(std::string_view key) const {
    JENNY_ASSIGN_OR_RETURN(const GgufValue* v, find_or_error(key));
    std::optional<std::string_view> s = v->as_string();
    if (!s) return type_error(key, "string", *v);
    return *s;
}

Result<bool> GgufFile::get_bool(std::string_view key) const {
    JENNY_ASSIGN_OR_RETURN(const GgufValue* v, find_or_error(key));
    std::optional<bool> b = v->as_bool();
    if (!b) return type_error(key, "bool", *v);
    return *b;
}

namespace {

// The value of an integer GgufValue as T, or nullopt when it is not an integer or does not fit.
template <typename T>
std::optional<T> int_as(const GgufValue& v) {
    if constexpr (std::is_signed_v<T>) {
        std::optional<int64_t> i = v.as_i64();
        if (!i || *i < std::numeric_limits<T>::min() || *i > std::numeric_limits<T>::max()) {
            return std::nullopt;
        }
        return static_cast<T>(*i);
    } else {
        std::optional<uint64_t> u = v.as_u64();
        if (!u || *u > std::numeric_limits<T>::max()) return std::nullopt;
        return static_cast<T>(*u);
    }
}

bool is_int_type(GgufType t) { return is_unsigned_int(t) || is_signed_int(t); }

std::string scalar_text(const GgufValue& v) {
    if (auto i = v.as_i64()) return fmt::format("{}", *i);
    if (auto u = v.as_u64()) return fmt::format("{}", *u);
    return "?";
}

}  // namespace

template <typename T>
Result<T> GgufFile::get_int(std::string_view key, std::string_view type_name) const {
    JENNY_ASSIGN_OR_RETURN(const GgufValue* v, find_or_error(key));
    if (!is_int_type(v->type())) return type_error(key, type_name, *v);
    std::optional<T> x = int_as<T>(*v);
    if (!x) {
        return Status::invalid_argument(fmt::format("{}: key '{}': value {} does not fit {}", name_,
                                                    key, scalar_text(*v), type_name));
    }
    return *x;
}

Result<uint32_t> GgufFile::get_u32(std::string_view key) const {
    return get_int<uint32_t>(key, "uint32");
}
Result<uint64_t> GgufFile::get_u64(std::string_view key) const {
    return get_int<uint64_t>(key, "uint64");
}
Result<int32_t> GgufFile::get_i32(std::string_view key) const {
    return get_int<int32_t>(key, "int32");
}
Result<int64_t> GgufFile::get_i64(std::string_view key) const {
    return get_int<int64_t>(key, "int64");
}

Result<double> GgufFile::get_f64(std::string_view key) const {
    JENNY_ASSIGN_OR_RETURN(const GgufValue* v, find_or_error(key));
    std::optional<double> f = v->as_f64();
    if (!f) return type_error(key, "float64", *v);
    return *f;
}

Result<float> GgufFile::get_f32(std::string_view key) const {
    JENNY_ASSIGN_OR_RETURN(const GgufValue* v, find_or_error(key));
    std::optional<double> f = v->as_f64();
    if (!f) return type_error(key, "float32", *v);
    return static_cast<float>(*f);
}

Result<std::span<const std::string_view>> GgufFile::get_string_array(std::string_view key) const {
    JENNY_ASSIGN_OR_RETURN(const GgufValue* v, find_or_error(key));
    if (!v->is_array() || v->array_type() != GgufType::kString) {
        return type_error(key, "array of string", *v);
    }
    return v->strings();
}

template <typename T>
Result<std::vector<T>> GgufFile::get_int_array(std::string_view key,
                                               std::string_view type_name) const {
    JENNY_ASSIGN_OR_RETURN(const GgufValue* v, find_or_error(key));
    if (!v->is_array() || !is_int_type(v->array_type())) {
        return type_error(key, fmt::format("array of {}", type_name), *v);
    }
    std::vector<T> out(v->array_size());
    if (gguf_type_size(v->array_type()) == sizeof(T) &&
        is_signed_int(v->array_type()) == std::is_signed_v<T>) {
        std::memcpy(out.data(), v->raw_bytes().data(), out.size() * sizeof(T));
        return out;
    }
    for (uint64_t i = 0; i < out.size(); ++i) {
        GgufValue e = v->element(i);
        std::optional<T> x = int_as<T>(e);
        if (!x) {
            return Status::invalid_argument(
                fmt::format("{}: key '{}': element {} = {} does not fit {}", name_, key, i,
                            scalar_text(e), type_name));
        }
        out[i] = *x;
    }
    return out;
}

Result<std::vector<int32_t>> GgufFile::get_i32_array(std::string_view key) const {
    return get_int_array<int32_t>(key, "int32");
}
Result<std::vector<uint32_t>> GgufFile::get_u32_array(std::string_view key) const {
    return get_int_array<uint32_t>(key, "uint32");
}
Result<std::vector<int64_t>> GgufFile::get_i64_array(std::string_view key) const {
    return get_int_array<int64_t>(key, "int64");
}

Result<std::vector<float>> GgufFile::get_f32_array(std::string_view key) const {
    JENNY_ASSIGN_OR_RETURN(const GgufValue* v, find_or_error(key));
    if (!v->is_array() || !is_float(v->array_type())) {
        return type_error(key, "array of float32", *v);
    }
    std::vector<float> out(v->array_size());
    if (v->array_type() == GgufType::kFloat32) {
        std::memcpy(out.data(), v->raw_bytes().data(), out.size() * sizeof(float));
    } else {
        for (uint64_t i = 0; i < out.size(); ++i) {
            out[i] = static_cast<float>(load<double>(v->raw_bytes().data() + i * 8));
        }
    }
    return out;
}

}  // namespace jenny::checkpoint
