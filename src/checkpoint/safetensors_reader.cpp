// The safetensors parser: header length, JSON header, then every tensor entry checked against
// the data section, in the reference implementation's terms (the tensors must tile the data
// section exactly). Errors name the file, the byte offset or tensor and what is wrong.
#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "jenny/checkpoint/safetensors.h"

namespace jenny::checkpoint {

static_assert(std::endian::native == std::endian::little,
              "the safetensors reader maps little-endian files directly");

using base::Result;
using base::Status;
using Json = nlohmann::ordered_json;

namespace {

struct DTypeRow {
    SafetensorsDType dtype;
    std::string_view name;
    int bits;
};

constexpr DTypeRow kDTypes[] = {
    {SafetensorsDType::kBool, "BOOL", 8},       {SafetensorsDType::kF4, "F4", 4},
    {SafetensorsDType::kF6_E2M3, "F6_E2M3", 6}, {SafetensorsDType::kF6_E3M2, "F6_E3M2", 6},
    {SafetensorsDType::kU8, "U8", 8},           {SafetensorsDType::kI8, "I8", 8},
    {SafetensorsDType::kF8_E5M2, "F8_E5M2", 8}, {SafetensorsDType::kF8_E4M3, "F8_E4M3", 8},
    {SafetensorsDType::kF8_E8M0, "F8_E8M0", 8}, {SafetensorsDType::kI16, "I16", 16},
    {SafetensorsDType::kU16, "U16", 16},        {SafetensorsDType::kF16, "F16", 16},
    {SafetensorsDType::kBF16, "BF16", 16},      {SafetensorsDType::kI32, "I32", 32},
    {SafetensorsDType::kU32, "U32", 32},        {SafetensorsDType::kF32, "F32", 32},
    {SafetensorsDType::kC64, "C64", 64},        {SafetensorsDType::kF64, "F64", 64},
    {SafetensorsDType::kI64, "I64", 64},        {SafetensorsDType::kU64, "U64", 64},
};

// A name or string from the file, made safe to print: control bytes as \xNN, long ones cut.
std::string printable(std::string_view s) {
    constexpr size_t kMax = 80;
    std::string out;
    for (size_t i = 0; i < s.size() && i < kMax; ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != 0x7f && c != '\\' && c != '\'') {
            out += static_cast<char>(c);
        } else {
            out += fmt::format("\\x{:02x}", c);
        }
    }
    if (s.size() > kMax) out += fmt::format("... ({} bytes)", s.size());
    return out;
}

std::string_view json_type(const Json& j) { return j.type_name(); }

}  // namespace

std::string_view safetensors_dtype_name(SafetensorsDType dtype) {
    return kDTypes[static_cast<size_t>(dtype)].name;
}

std::optional<SafetensorsDType> safetensors_dtype_from_name(std::string_view name) {
    for (const DTypeRow& r : kDTypes) {
        if (r.name == name) return r.dtype;
    }
    return std::nullopt;
}

int safetensors_dtype_bits(SafetensorsDType dtype) {
    return kDTypes[static_cast<size_t>(dtype)].bits;
}

std::optional<tensor::DType> safetensors_to_dtype(SafetensorsDType dtype) {
    switch (dtype) {
        case SafetensorsDType::kF32:
            return tensor::DType::kF32;
        case SafetensorsDType::kF16:
            return tensor::DType::kF16;
        case SafetensorsDType::kBF16:
            return tensor::DType::kBF16;
        case SafetensorsDType::kI32:
            return tensor::DType::kI32;
        default:
            return std::nullopt;
    }
}

std::optional<SafetensorsDType> safetensors_from_dtype(tensor::DType dtype) {
    switch (dtype) {
        case tensor::DType::kF32:
            return SafetensorsDType::kF32;
        case tensor::DType::kF16:
            return SafetensorsDType::kF16;
        case tensor::DType::kBF16:
            return SafetensorsDType::kBF16;
        case tensor::DType::kI32:
            return SafetensorsDType::kI32;
        default:
            return std::nullopt;
    }
}

std::string SafetensorsTensorInfo::shape_str() const {
    return fmt::format("[{}]", fmt::join(shape, ", "));
}

class SafetensorsParser {
public:
    SafetensorsParser(std::span<const uint8_t> bytes, SafetensorsFile* file)
        : bytes_(bytes), file_(file) {}

    Status run() {
        JENNY_RETURN_IF_ERROR(read_header_length());
        Json header;
        JENNY_RETURN_IF_ERROR(parse_json(&header));
        if (!header.is_object()) {
            return corrupt("the JSON header (byte 8) is {}, expected an object", json_type(header));
        }
        for (auto& [key, value] : header.items()) {
            if (key == "__metadata__") {
                JENNY_RETURN_IF_ERROR(read_metadata(value));
            } else {
                JENNY_RETURN_IF_ERROR(read_entry(key, value));
            }
        }
        return place_tensors();
    }

private:
    template <typename... Args>
    Status corrupt(fmt::format_string<Args...> f, Args&&... args) const {
        return Status::corruption(
            fmt::format("{}: {}", file_->name_, fmt::format(f, std::forward<Args>(args)...)));
    }

    Status read_header_length() {
        const std::string& name = file_->name_;
        if (bytes_.size() >= 4 && std::memcmp(bytes_.data(), "GGUF", 4) == 0) {
            return Status::invalid_argument(
                fmt::format("{}: a GGUF file, not safetensors: open it with GgufFile::open", name));
        }
        if (bytes_.size() >= 4 && std::memcmp(bytes_.data(), "PK\x03\x04", 4) == 0) {
            return Status::invalid_argument(
                fmt::format("{}: a zip archive (a PyTorch .bin/.pt checkpoint?), not "
                            "safetensors: convert it to safetensors first",
                            name));
        }
        if (bytes_.size() < 8) {
            return corrupt("file is {} bytes, too short for the 8-byte header length",
                           bytes_.size());
        }
        uint64_t n = 0;
        std::memcpy(&n, bytes_.data(), 8);
        if (n > SafetensorsFile::kMaxHeaderBytes) {
            return corrupt(
                "header length {} (bytes 0-7) is over the {}-byte limit: not a safetensors "
                "file, or a corrupt one",
                n, SafetensorsFile::kMaxHeaderBytes);
        }
        if (n > bytes_.size() - 8) {
            return corrupt(
                "header length {} (bytes 0-7) runs past the end of the file ({} bytes): the file "
                "is truncated",
                n, bytes_.size());
        }
        if (n < 2) return corrupt("header length {} (bytes 0-7) is too short for '{{}}'", n);
        file_->header_size_ = n;
        data_size_ = bytes_.size() - 8 - n;
        return Status();
    }

    Status parse_json(Json* out) {
        const auto* begin = reinterpret_cast<const char*>(bytes_.data()) + 8;
        const char* end = begin + file_->header_size_;
        // Duplicate keys are refused (a JSON object keeps only one of them); one key set per
        // open object.
        std::vector<std::set<std::string>> open_objects;
        std::string duplicate;
        auto callback = [&](int /*depth*/, Json::parse_event_t event, Json& parsed) {
            if (event == Json::parse_event_t::object_start) {
                open_objects.emplace_back();
            } else if (event == Json::parse_event_t::object_end) {
                if (!open_objects.empty()) open_objects.pop_back();
            } else if (event == Json::parse_event_t::key && !open_objects.empty() &&
                       parsed.is_string()) {
                if (!open_objects.back().insert(parsed.get_ref<const std::string&>()).second &&
                    duplicate.empty()) {
                    duplicate = parsed.get_ref<const std::string&>();
                }
            }
            return true;
        };
        try {
            *out = Json::parse(begin, end, callback, /*allow_exceptions=*/true,
                               /*ignore_comments=*/false);
        } catch (const Json::parse_error& e) {
            std::string what = e.what();
            if (auto p = what.find("] "); p != std::string::npos) what = what.substr(p + 2);
            return corrupt("the JSON header (bytes 8-{}) is not valid JSON at file byte {}: {}",
                           8 + file_->header_size_ - 1, 8 + (e.byte > 0 ? e.byte - 1 : 0), what);
        } catch (const Json::exception& e) {
            return corrupt("the JSON header (bytes 8-{}) cannot be read: {}",
                           8 + file_->header_size_ - 1, e.what());
        }
        if (!duplicate.empty()) {
            return corrupt("the JSON header has the key '{}' twice", printable(duplicate));
        }
        return Status();
    }

    Status read_metadata(const Json& value) {
        if (!value.is_object()) {
            return corrupt("__metadata__ is {}, expected an object of strings", json_type(value));
        }
        for (auto& [k, v] : value.items()) {
            if (!v.is_string()) {
                return corrupt(
                    "__metadata__ key '{}' is {}, expected a string (metadata maps "
                    "strings to strings)",
                    printable(k), json_type(v));
            }
            file_->metadata_.emplace(k, v.get<std::string>());
        }
        return Status();
    }

    Status read_entry(const std::string& name, const Json& value) {
        const std::string shown = printable(name);
        if (!value.is_object()) {
            return corrupt(
                "tensor '{}' is {}, expected an object with dtype, shape and "
                "data_offsets",
                shown, json_type(value));
        }
        SafetensorsTensorInfo info;
        info.name = name;
        auto dtype_it = value.find("dtype");
        if (dtype_it == value.end() || !dtype_it->is_string()) {
            return corrupt("tensor '{}' has no dtype string", shown);
        }
        const auto& dtype_name = dtype_it->get_ref<const std::string&>();
        auto dtype = safetensors_dtype_from_name(dtype_name);
        if (!dtype) {
            return Status::unsupported(fmt::format(
                "{}: tensor '{}' has dtype '{}', which this build does not know (known: BOOL, "
                "U8, I8, I16, U16, I32, U32, I64, U64, F16, BF16, F32, F64, C64, F8_*, F6_*, F4)",
                file_->name_, shown, printable(dtype_name)));
        }
        info.dtype = *dtype;

        auto shape_it = value.find("shape");
        if (shape_it == value.end() || !shape_it->is_array()) {
            return corrupt("tensor '{}' has no shape array", shown);
        }
        uint64_t n = 1;
        for (const Json& d : *shape_it) {
            if (!d.is_number_unsigned()) {
                return corrupt(
                    "tensor '{}': shape {} has an entry that is not a non-negative "
                    "integer",
                    shown, printable(shape_it->dump()));
            }
            auto v = d.get<uint64_t>();
            if (v > static_cast<uint64_t>(INT64_MAX) || __builtin_mul_overflow(n, v, &n)) {
                return corrupt("tensor '{}': shape {} has more elements than fit in 64 bits", shown,
                               printable(shape_it->dump()));
            }
            info.shape.push_back(static_cast<int64_t>(v));
        }
        info.n_elements = n;

        auto off_it = value.find("data_offsets");
        if (off_it == value.end() || !off_it->is_array() || off_it->size() != 2 ||
            !(*off_it)[0].is_number_unsigned() || !(*off_it)[1].is_number_unsigned()) {
            return corrupt(
                "tensor '{}': data_offsets must be [begin, end], two non-negative "
                "integers",
                shown);
        }
        info.begin = (*off_it)[0].get<uint64_t>();
        info.end = (*off_it)[1].get<uint64_t>();
        if (info.end < info.begin) {
            return corrupt("tensor '{}': data_offsets [{}, {}] end before they begin", shown,
                           info.begin, info.end);
        }
        uint64_t bits = 0;
        if (__builtin_mul_overflow(n, static_cast<uint64_t>(safetensors_dtype_bits(info.dtype)),
                                   &bits)) {
            return corrupt("tensor '{}': shape {} has more bytes than fit in 64 bits", shown,
                           info.shape_str());
        }
        if (bits % 8 != 0) {
            return corrupt("tensor '{}': {} elements of {} are not a whole number of bytes", shown,
                           n, dtype_name);
        }
        if (info.end - info.begin != bits / 8) {
            return corrupt("tensor '{}' ({} {}) needs {} bytes but data_offsets [{}, {}] hold {}",
                           shown, dtype_name, info.shape_str(), bits / 8, info.begin, info.end,
                           info.end - info.begin);
        }
        if (info.end > data_size_) {
            return corrupt(
                "tensor '{}': data_offsets [{}, {}] (file bytes {}-{}) run past the "
                "end of the data section ({} bytes): the file is truncated",
                shown, info.begin, info.end, file_->data_offset() + info.begin,
                file_->data_offset() + info.end, data_size_);
        }
        file_->tensors_.push_back(std::move(info));
        return Status();
    }

    Status place_tensors() {
        auto& ts = file_->tensors_;
        std::sort(ts.begin(), ts.end(), [](const auto& a, const auto& b) {
            if (a.begin != b.begin) return a.begin < b.begin;
            if (a.end != b.end) return a.end < b.end;
            return a.name < b.name;
        });
        uint64_t at = 0;
        const SafetensorsTensorInfo* prev = nullptr;
        for (const SafetensorsTensorInfo& t : ts) {
            if (t.begin < at) {
                return corrupt("tensors '{}' [{}, {}) and '{}' [{}, {}) overlap",
                               printable(prev->name), prev->begin, prev->end, printable(t.name),
                               t.begin, t.end);
            }
            if (t.begin > at) {
                return corrupt(
                    "data bytes [{}, {}) (file bytes {}-{}) belong to no tensor: the "
                    "tensors must be contiguous",
                    at, t.begin, file_->data_offset() + at, file_->data_offset() + t.begin - 1);
            }
            at = t.end;
            prev = &t;
        }
        if (at != data_size_) {
            return corrupt(
                "the {} bytes after the last tensor (file bytes {}-{}) belong to no "
                "tensor: the file has trailing bytes or lost a tensor entry",
                data_size_ - at, file_->data_offset() + at, bytes_.size() - 1);
        }
        const uint8_t* data = bytes_.data() + file_->data_offset();
        file_->index_.reserve(ts.size());
        for (size_t i = 0; i < ts.size(); ++i) {
            ts[i].data = data + ts[i].begin;
            file_->index_.emplace(ts[i].name, i);
        }
        return Status();
    }

    std::span<const uint8_t> bytes_;
    SafetensorsFile* file_;
    uint64_t data_size_ = 0;
};

Result<std::unique_ptr<SafetensorsFile>> SafetensorsFile::parse(std::span<const uint8_t> bytes,
                                                                std::string name) {
    std::unique_ptr<SafetensorsFile> file(new SafetensorsFile());
    file->name_ = std::move(name);
    file->bytes_ = bytes;
    SafetensorsParser parser(bytes, file.get());
    JENNY_RETURN_IF_ERROR(parser.run());
    return file;
}

Result<std::unique_ptr<SafetensorsFile>> SafetensorsFile::open(const std::string& path,
                                                               base::Env* env) {
    JENNY_ASSIGN_OR_RETURN(std::unique_ptr<base::MappedFile> mapping, env->map_file(path));
    std::span<const uint8_t> bytes(mapping->data(), mapping->size());
    JENNY_ASSIGN_OR_RETURN(auto file, parse(bytes, path));
    file->mapping_ = std::move(mapping);
    return file;
}

const SafetensorsTensorInfo* SafetensorsFile::find(std::string_view name) const {
    auto it = index_.find(name);
    return it == index_.end() ? nullptr : &tensors_[it->second];
}

Result<tensor::Tensor> SafetensorsFile::tensor(std::string_view name) const {
    const SafetensorsTensorInfo* info = find(name);
    if (info == nullptr) {
        return Status::not_found(fmt::format("{}: no tensor '{}'", name_, printable(name)));
    }
    return tensor(*info);
}

Result<tensor::Tensor> SafetensorsFile::tensor(const SafetensorsTensorInfo& info) const {
    auto dtype = safetensors_to_dtype(info.dtype);
    if (!dtype) {
        return Status::unsupported(
            fmt::format("{}: tensor '{}' has dtype {}, which jenny does not load as a tensor (it "
                        "computes with F32, F16, BF16 and I32); its raw bytes are available "
                        "through find()",
                        name_, printable(info.name), safetensors_dtype_name(info.dtype)));
    }
    if (info.shape.size() > static_cast<size_t>(tensor::kMaxDims)) {
        return Status::unsupported(fmt::format(
            "{}: tensor '{}' has {} dimensions {}; jenny "
            "tensors have at most {}",
            name_, printable(info.name), info.shape.size(), info.shape_str(), tensor::kMaxDims));
    }
    const auto& d = info.shape;
    tensor::Shape shape;
    switch (d.size()) {
        case 0:
            shape = tensor::Shape{};
            break;
        case 1:
            shape = tensor::Shape{d[0]};
            break;
        case 2:
            shape = tensor::Shape{d[0], d[1]};
            break;
        case 3:
            shape = tensor::Shape{d[0], d[1], d[2]};
            break;
        default:
            shape = tensor::Shape{d[0], d[1], d[2], d[3]};
            break;
    }
    const size_t elem = static_cast<size_t>(safetensors_dtype_bits(info.dtype) / 8);
    if (reinterpret_cast<uintptr_t>(info.data) % elem != 0) {
        tensor::Tensor copy = tensor::Tensor::empty(*dtype, shape);
        if (info.end > info.begin) {
            std::memcpy(copy.mutable_data(), info.data, info.end - info.begin);
        }
        return copy;
    }
    std::shared_ptr<const void> owner = mapping_;
    return tensor::Tensor::view(*dtype, shape, info.data, std::move(owner));
}

}  // namespace jenny::checkpoint
