// The GGUF parser: one pass over the bytes that checks every length, count and id against what
// is left before trusting it, so a parsed GgufFile needs no further bounds checks. Errors
// name the byte offset and what was being read; their text is built only on failure.
#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <numeric>

#include "jenny/checkpoint/gguf.h"

namespace jenny::checkpoint {

static_assert(std::endian::native == std::endian::little,
              "the GGUF reader maps little-endian files directly");

using base::Result;
using base::Status;

namespace {

// Smallest encoded sizes, used to refuse counts the remaining bytes cannot hold before
// anything is allocated for them.
constexpr uint64_t kMinKvBytes = 8 + 4 + 1;  // key length, type, a uint8
constexpr uint64_t kMinTensorInfoBytes =
    8 + 4 + 8 + 4 + 8;                      // name length, n_dims, ne0, type, offset
constexpr uint64_t kMinArrayBytes = 4 + 8;  // element type, count

bool is_valid_type(uint32_t t) { return t <= static_cast<uint32_t>(GgufType::kFloat64); }

uint64_t min_value_bytes(GgufType t) {
    if (t == GgufType::kString) return 8;
    if (t == GgufType::kArray) return kMinArrayBytes;
    return gguf_type_size(t);
}

// A key or name from the file, made safe to print: non-printable bytes as \xNN, long ones cut.
std::string printable(std::string_view s) {
    constexpr size_t kMax = 80;
    std::string out;
    for (size_t i = 0; i < s.size() && i < kMax; ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
            out += static_cast<char>(c);
        } else {
            out += fmt::format("\\x{:02x}", c);
        }
    }
    if (s.size() > kMax) out += fmt::format("... ({} bytes)", s.size());
    return out;
}

}  // namespace

class GgufParser {
public:
    GgufParser(std::span<const uint8_t> bytes, GgufFile* file)
        : p_(bytes.data()), size_(bytes.size()), file_(file) {}

    Status run() {
        JENNY_RETURN_IF_ERROR(parse_header());
        JENNY_RETURN_IF_ERROR(parse_metadata());
        JENNY_RETURN_IF_ERROR(read_alignment());
        JENNY_RETURN_IF_ERROR(parse_tensor_infos());
        return place_tensors();
    }

private:
    // ---- reading primitives ----
    uint64_t left() const { return size_ - pos_; }

    template <typename T>
    T take() {  // callers have checked left() >= sizeof(T)
        T v;
        std::memcpy(&v, p_ + pos_, sizeof(T));
        pos_ += sizeof(T);
        return v;
    }

    template <typename... Args>
    Status corrupt(fmt::format_string<Args...> f, Args&&... args) const {
        return Status::corruption(
            fmt::format("{}: {}", file_->name_, fmt::format(f, std::forward<Args>(args)...)));
    }

    // Fails unless n more bytes are present; `what` describes them ("the type of key 'k'").
    template <typename What>
    Status need(uint64_t n, What&& what) const {
        if (left() >= n) [[likely]] {
            return Status();
        }
        return corrupt("truncated at byte {} reading {} ({} bytes needed, {} left)", pos_, what(),
                       n, left());
    }

    template <typename What>
    Status read_u32(uint32_t* out, What&& what) {
        JENNY_RETURN_IF_ERROR(need(4, what));
        *out = take<uint32_t>();
        return Status();
    }

    template <typename What>
    Status read_u64(uint64_t* out, What&& what) {
        JENNY_RETURN_IF_ERROR(need(8, what));
        *out = take<uint64_t>();
        return Status();
    }

    template <typename What>
    Status read_string(std::string_view* out, What&& what) {
        JENNY_RETURN_IF_ERROR(need(8, [&] { return fmt::format("the length of {}", what()); }));
        uint64_t len = take<uint64_t>();
        if (len > left()) {
            return corrupt("{} at byte {} has length {}, past the end of the file ({} bytes left)",
                           what(), pos_ - 8, len, left());
        }
        *out = std::string_view(reinterpret_cast<const char*>(p_ + pos_), len);
        pos_ += len;
        return Status();
    }

    // ---- the file, in order ----
    Status parse_header() {
        if (size_ < 4) {
            return Status::invalid_argument(fmt::format(
                "{}: not a GGUF file ({} bytes, too short for the magic)", file_->name_, size_));
        }
        uint32_t magic = take<uint32_t>();
        if (magic != kGgufMagic) {
            std::string shown;
            for (int i = 0; i < 4; ++i) {
                auto c = static_cast<unsigned char>(p_[i]);
                shown += (c >= 0x20 && c < 0x7f) ? fmt::format("{:c}", c) : fmt::format(".");
            }
            return Status::invalid_argument(
                fmt::format("{}: not a GGUF file (magic {:02x} {:02x} {:02x} {:02x} '{}', "
                            "expected 'GGUF')",
                            file_->name_, p_[0], p_[1], p_[2], p_[3], shown));
        }
        uint32_t version = 0;
        JENNY_RETURN_IF_ERROR(read_u32(&version, [] { return std::string("the version"); }));
        if (version != 2 && version != 3) {
            if (version != 0 && (version & 0xffff) == 0) {
                return Status::unsupported(
                    fmt::format("{}: big-endian GGUF (version field {:#x}) is not supported",
                                file_->name_, version));
            }
            return Status::unsupported(fmt::format(
                "{}: GGUF version {} is not supported (jenny reads versions 2 and 3){}",
                file_->name_, version,
                version == 1 ? ": convert the model again with a current llama.cpp" : ""));
        }
        file_->version_ = version;
        JENNY_RETURN_IF_ERROR(
            read_u64(&n_tensors_, [] { return std::string("the tensor count"); }));
        JENNY_RETURN_IF_ERROR(read_u64(&n_kv_, [] { return std::string("the metadata count"); }));
        if (n_kv_ > left() / kMinKvBytes) {
            return corrupt(
                "metadata count {} (at byte 16) cannot fit in the {} bytes after the "
                "header",
                n_kv_, left());
        }
        return Status();
    }

    Status parse_metadata() {
        auto& metadata = file_->metadata_;
        metadata.reserve(n_kv_);
        file_->key_index_.reserve(n_kv_);
        for (uint64_t i = 0; i < n_kv_; ++i) {
            GgufKv kv;
            kv.offset = pos_;
            JENNY_RETURN_IF_ERROR(read_string(
                &kv.key, [&] { return fmt::format("the key of metadata entry {}", i); }));
            where_ = fmt::format("key '{}'", printable(kv.key));
            uint32_t type = 0;
            JENNY_RETURN_IF_ERROR(
                read_u32(&type, [&] { return fmt::format("the value type of {}", where_); }));
            JENNY_RETURN_IF_ERROR(parse_value(type, 0, &kv.value));
            auto [it, inserted] = file_->key_index_.emplace(kv.key, metadata.size());
            if (!inserted) {
                return corrupt("duplicate key '{}' at byte {} (first at byte {})",
                               printable(kv.key), kv.offset, metadata[it->second].offset);
            }
            metadata.push_back(std::move(kv));
        }
        return Status();
    }

    // Parses a value of type id `type` at pos_ into *out; `depth` counts enclosing arrays.
    Status parse_value(uint32_t type_id, int depth, GgufValue* out) {
        if (!is_valid_type(type_id)) {
            return corrupt("invalid value type id {} before byte {} in {}", type_id, pos_, where_);
        }
        auto type = static_cast<GgufType>(type_id);
        out->type_ = type;
        switch (type) {
            case GgufType::kString: {
                std::string_view s;
                JENNY_RETURN_IF_ERROR(
                    read_string(&s, [&] { return fmt::format("the string value of {}", where_); }));
                out->data_ = reinterpret_cast<const uint8_t*>(s.data());
                out->size_ = s.size();
                return Status();
            }
            case GgufType::kArray:
                return parse_array(depth + 1, out);
            default:
                return parse_scalar(type, out);
        }
    }

    Status parse_scalar(GgufType type, GgufValue* out) {
        size_t n = gguf_type_size(type);
        JENNY_RETURN_IF_ERROR(need(
            n, [&] { return fmt::format("the {} value of {}", gguf_type_name(type), where_); }));
        if (type == GgufType::kBool && p_[pos_] > 1) {
            return corrupt("bool value {} at byte {} in {} (must be 0 or 1)", p_[pos_], pos_,
                           where_);
        }
        *out = GgufValue::decode_scalar(type, p_ + pos_);
        pos_ += n;
        return Status();
    }

    Status parse_array(int depth, GgufValue* out) {
        uint64_t start = pos_;
        if (depth > kGgufMaxArrayDepth) {
            return corrupt("arrays nested deeper than {} at byte {} in {}", kGgufMaxArrayDepth,
                           start, where_);
        }
        uint32_t elem_id = 0;
        JENNY_RETURN_IF_ERROR(
            read_u32(&elem_id, [&] { return fmt::format("the element type of {}", where_); }));
        if (!is_valid_type(elem_id)) {
            return corrupt("invalid array element type id {} at byte {} in {}", elem_id, start,
                           where_);
        }
        auto elem = static_cast<GgufType>(elem_id);
        uint64_t count = 0;
        JENNY_RETURN_IF_ERROR(
            read_u64(&count, [&] { return fmt::format("the array length of {}", where_); }));
        if (count > left() / min_value_bytes(elem)) {
            return corrupt("array of {} {} at byte {} in {} cannot fit in the {} bytes left", count,
                           gguf_type_name(elem), start, where_, left());
        }
        out->elem_type_ = elem;
        out->count_ = count;
        if (elem == GgufType::kString) return parse_string_elements(count, out);
        if (elem == GgufType::kArray) {
            out->arrays_.resize(count);
            for (uint64_t i = 0; i < count; ++i) {
                JENNY_RETURN_IF_ERROR(parse_value(elem_id, depth, &out->arrays_[i]));
            }
            return Status();
        }
        // Fixed-size elements: the payload is used in place.
        uint64_t bytes = count * gguf_type_size(elem);  // count * size <= left(), no overflow
        out->data_ = p_ + pos_;
        out->size_ = bytes;
        if (elem == GgufType::kBool) {
            for (uint64_t i = 0; i < count; ++i) {
                if (p_[pos_ + i] > 1) {
                    return corrupt("bool element {} = {} at byte {} in {} (must be 0 or 1)", i,
                                   p_[pos_ + i], pos_ + i, where_);
                }
            }
        }
        pos_ += bytes;
        return Status();
    }

    // The hot loop of a vocabulary: one bounds check per string, no allocation per string.
    Status parse_string_elements(uint64_t count, GgufValue* out) {
        auto& strings = out->strings_;
        strings.reserve(count);
        for (uint64_t i = 0; i < count; ++i) {
            if (left() < 8) [[unlikely]] {
                return corrupt(
                    "truncated at byte {} reading the length of string {} of {} "
                    "(8 bytes needed, {} left)",
                    pos_, i, where_, left());
            }
            uint64_t len = take<uint64_t>();
            if (len > left()) [[unlikely]] {
                return corrupt(
                    "string {} of {} at byte {} has length {}, past the end of the "
                    "file ({} bytes left)",
                    i, where_, pos_ - 8, len, left());
            }
            strings.emplace_back(reinterpret_cast<const char*>(p_ + pos_), len);
            pos_ += len;
        }
        return Status();
    }

    Status read_alignment() {
        const GgufValue* v = file_->find("general.alignment");
        if (v == nullptr) return Status();
        std::optional<uint64_t> a = v->as_u64();
        if (!a) {
            return corrupt("general.alignment must be an unsigned integer, got {}", v->type_name());
        }
        if (*a == 0 || *a > UINT32_MAX || !std::has_single_bit(*a)) {
            return corrupt("general.alignment {} is not a power of two below 2^32", *a);
        }
        file_->alignment_ = static_cast<uint32_t>(*a);
        return Status();
    }

    Status parse_tensor_infos() {
        if (n_tensors_ > left() / kMinTensorInfoBytes) {
            return corrupt(
                "tensor count {} (at byte 8) cannot fit in the {} bytes after the "
                "metadata",
                n_tensors_, left());
        }
        auto& tensors = file_->tensors_;
        tensors.reserve(n_tensors_);
        file_->tensor_index_.reserve(n_tensors_);
        for (uint64_t i = 0; i < n_tensors_; ++i) {
            GgufTensorInfo t;
            t.info_offset = pos_;
            JENNY_RETURN_IF_ERROR(
                read_string(&t.name, [&] { return fmt::format("the name of tensor {}", i); }));
            where_ = fmt::format("tensor '{}'", printable(t.name));
            uint64_t dims_at = pos_;
            JENNY_RETURN_IF_ERROR(
                read_u32(&t.n_dims, [&] { return fmt::format("n_dims of {}", where_); }));
            if (t.n_dims == 0 || t.n_dims > kGgufMaxDims) {
                return corrupt("{}: n_dims {} at byte {} (must be 1..{})", where_, t.n_dims,
                               dims_at, kGgufMaxDims);
            }
            uint64_t n_elements = 1;
            for (uint32_t d = 0; d < t.n_dims; ++d) {
                JENNY_RETURN_IF_ERROR(
                    read_u64(&t.ne[d], [&] { return fmt::format("ne[{}] of {}", d, where_); }));
                if (t.ne[d] == 0 || t.ne[d] > static_cast<uint64_t>(INT64_MAX)) {
                    return corrupt("{}: ne[{}] = {} at byte {} (must be 1..2^63-1)", where_, d,
                                   static_cast<int64_t>(t.ne[d]), pos_ - 8);
                }
                if (n_elements > static_cast<uint64_t>(INT64_MAX) / t.ne[d]) {
                    return corrupt("{}: element count overflows int64 at ne[{}] = {}", where_, d,
                                   t.ne[d]);
                }
                n_elements *= t.ne[d];
            }
            t.n_elements = n_elements;
            uint32_t type_id = 0;
            uint64_t type_at = pos_;
            JENNY_RETURN_IF_ERROR(
                read_u32(&type_id, [&] { return fmt::format("the type of {}", where_); }));
            const GgmlTypeInfo* info = ggml_type_info(type_id);
            if (info == nullptr) {
                return Status::unsupported(fmt::format("{}: {} at byte {}: {}", file_->name_,
                                                       where_, type_at,
                                                       ggml_unknown_type_message(type_id)));
            }
            t.type = info->type;
            if (t.ne[0] % info->block_size != 0) {
                return corrupt(
                    "{}: row length ne[0] = {} is not a multiple of the {} block size {}", where_,
                    t.ne[0], info->name, info->block_size);
            }
            Result<uint64_t> n_bytes = ggml_bytes(t.type, n_elements);
            if (!n_bytes.ok()) return corrupt("{}: {}", where_, n_bytes.status().message());
            t.n_bytes = *n_bytes;
            JENNY_RETURN_IF_ERROR(
                read_u64(&t.offset, [&] { return fmt::format("the data offset of {}", where_); }));
            auto [it, inserted] = file_->tensor_index_.emplace(t.name, tensors.size());
            if (!inserted) {
                return corrupt("duplicate tensor name '{}' at byte {} (first at byte {})",
                               printable(t.name), t.info_offset, tensors[it->second].info_offset);
            }
            tensors.push_back(t);
        }
        return Status();
    }

    Status place_tensors() {
        uint64_t align = file_->alignment_;
        uint64_t data_offset = (pos_ + align - 1) / align * align;  // pos_ < 2^63, align <= 2^32
        file_->data_offset_ = data_offset;
        auto& tensors = file_->tensors_;
        for (GgufTensorInfo& t : tensors) {
            if (t.offset % align != 0) {
                return corrupt("tensor '{}': data offset {} is not a multiple of the alignment {}",
                               printable(t.name), t.offset, align);
            }
            uint64_t room = data_offset <= size_ ? size_ - data_offset : 0;
            if (t.offset > room || t.n_bytes > room - t.offset) {
                return corrupt(
                    "tensor '{}': {} bytes of data at offset {} of the data section "
                    "(which starts at byte {}) lie past the end of the file ({} bytes): "
                    "the file is truncated or the offset is wrong",
                    printable(t.name), t.n_bytes, t.offset, data_offset, size_);
            }
            t.data = p_ + data_offset + t.offset;
        }
        // No two tensors may share bytes.
        std::vector<uint32_t> order(tensors.size());
        std::iota(order.begin(), order.end(), 0u);
        std::sort(order.begin(), order.end(),
                  [&](uint32_t a, uint32_t b) { return tensors[a].offset < tensors[b].offset; });
        for (size_t i = 1; i < order.size(); ++i) {
            const GgufTensorInfo& prev = tensors[order[i - 1]];
            const GgufTensorInfo& cur = tensors[order[i]];
            if (prev.offset + prev.n_bytes > cur.offset) {
                return corrupt(
                    "tensors '{}' (data offset {}, {} bytes) and '{}' (data offset {}) "
                    "overlap",
                    printable(prev.name), prev.offset, prev.n_bytes, printable(cur.name),
                    cur.offset);
            }
        }
        return Status();
    }

    const uint8_t* p_;
    uint64_t size_;
    uint64_t pos_ = 0;
    GgufFile* file_;
    uint64_t n_tensors_ = 0;
    uint64_t n_kv_ = 0;
    std::string where_;  // the entry being read, for messages: "key 'general.name'"
};

Result<std::unique_ptr<GgufFile>> GgufFile::parse(std::span<const uint8_t> bytes,
                                                  std::string name) {
    std::unique_ptr<GgufFile> file(new GgufFile());
    file->name_ = std::move(name);
    file->bytes_ = bytes;
    GgufParser parser(bytes, file.get());
    JENNY_RETURN_IF_ERROR(parser.run());
    return file;
}

Result<std::unique_ptr<GgufFile>> GgufFile::open(const std::string& path, base::Env* env) {
    JENNY_ASSIGN_OR_RETURN(std::unique_ptr<base::MappedFile> mapping, env->map_file(path));
    std::span<const uint8_t> bytes(mapping->data(), mapping->size());
    JENNY_ASSIGN_OR_RETURN(std::unique_ptr<GgufFile> file, parse(bytes, path));
    file->mapping_ = std::move(mapping);
    return file;
}

}  // namespace jenny::checkpoint
