#include "data/dedup_file.h"

#include <fmt/format.h>

#include <bit>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace jenny::data::dedup {
namespace {

using base::Result;
using base::Status;

static_assert(std::endian::native == std::endian::little, "dedup files are little-endian");

constexpr char kMagic[8] = {'J', 'N', 'Y', 'D', 'E', 'D', 'U', 'P'};
constexpr char kEndMagic[8] = {'J', 'N', 'Y', 'D', 'D', 'E', 'N', 'D'};
constexpr uint32_t kVersion = 1;
constexpr size_t kBufferBytes = 1 << 20;

const char* kind_name(uint32_t kind) {
    switch (kind) {
        case 1:
            return "MinHash signature";
        case 2:
            return "MinHash duplicate-pair";
        case 3:
            return "removal-list";
        case 4:
            return "exact-dedup hash";
        default:
            return "unknown";
    }
}

std::string encode_header(const FileHeader& h) {
    std::string out(kHeaderBytes, '\0');
    auto* p = reinterpret_cast<uint8_t*>(out.data());
    std::memcpy(p, kMagic, 8);
    put_u32(p + 8, kVersion);
    put_u32(p + 12, static_cast<uint32_t>(h.kind));
    put_u32(p + 16, static_cast<uint32_t>(h.params.method));
    put_u32(p + 20, h.params.n_grams);
    put_u32(p + 24, h.params.num_bands);
    put_u32(p + 28, h.params.rows_per_band);
    put_u64(p + 32, h.params.seed);
    put_u32(p + 40, h.params.norm_flags);
    put_u32(p + 44, h.task);
    put_u32(p + 48, h.num_tasks);
    put_u32(p + 52, h.band);
    put_u32(p + 56, h.record_size);
    put_u32(p + 60, 0);
    put_u64(p + 64, h.n_docs);
    return out;
}

FileHeader decode_header(const uint8_t* p) {
    FileHeader h;
    h.kind = static_cast<FileKind>(get_u32(p + 12));
    h.params.method = static_cast<Method>(get_u32(p + 16));
    h.params.n_grams = get_u32(p + 20);
    h.params.num_bands = get_u32(p + 24);
    h.params.rows_per_band = get_u32(p + 28);
    h.params.seed = get_u64(p + 32);
    h.params.norm_flags = get_u32(p + 40);
    h.task = get_u32(p + 44);
    h.num_tasks = get_u32(p + 48);
    h.band = get_u32(p + 52);
    h.record_size = get_u32(p + 56);
    h.n_docs = get_u64(p + 64);
    return h;
}

}  // namespace

std::string Params::describe() const {
    if (method == Method::kExact) return fmt::format("exact norm_flags={:#x}", norm_flags);
    return fmt::format("minhash n_grams={} num_bands={} rows_per_band={} seed={} norm_flags={:#x}",
                       n_grams, num_bands, rows_per_band, seed, norm_flags);
}

FileWriter::FileWriter(base::Env* env, std::string path, std::unique_ptr<base::WritableFile> file,
                       uint32_t record_size)
    : env_(env),
      path_(std::move(path)),
      file_(std::move(file)),
      record_size_(record_size),
      hash_state_(XXH3_createState()) {
    XXH3_64bits_reset(static_cast<XXH3_state_t*>(hash_state_));
    buffer_.reserve(kBufferBytes);
}

FileWriter::~FileWriter() {
    XXH3_freeState(static_cast<XXH3_state_t*>(hash_state_));
    if (!committed_) {
        if (file_) (void)file_->close();
        (void)env_->remove_file(path_ + ".tmp");
    }
}

Result<std::unique_ptr<FileWriter>> FileWriter::create(base::Env* env, std::string path,
                                                       const FileHeader& header) {
    size_t slash = path.rfind('/');
    if (slash != std::string::npos && slash > 0) {
        JENNY_RETURN_IF_ERROR(env->create_dirs(path.substr(0, slash)));
    }
    auto file = env->new_writable_file(path + ".tmp");
    if (!file.ok()) return file.status();
    std::unique_ptr<FileWriter> w(
        new FileWriter(env, std::move(path), std::move(*file), header.record_size));
    w->buffer_ = encode_header(header);
    return w;
}

Status FileWriter::flush() {
    if (buffer_.empty()) return Status();
    Status s = file_->append(buffer_);
    buffer_.clear();
    return s;
}

Status FileWriter::append(const void* data, size_t size) {
    XXH3_64bits_update(static_cast<XXH3_state_t*>(hash_state_), data, size);
    n_records_ += size / record_size_;
    buffer_.append(static_cast<const char*>(data), size);
    if (buffer_.size() >= kBufferBytes) return flush();
    return Status();
}

Status FileWriter::commit() {
    uint8_t footer[kFooterBytes];
    put_u64(footer, n_records_);
    put_u64(footer + 8, XXH3_64bits_digest(static_cast<XXH3_state_t*>(hash_state_)));
    std::memcpy(footer + 16, kEndMagic, 8);
    buffer_.append(reinterpret_cast<const char*>(footer), kFooterBytes);
    JENNY_RETURN_IF_ERROR(flush());
    JENNY_RETURN_IF_ERROR(file_->sync());
    JENNY_RETURN_IF_ERROR(file_->close());
    file_.reset();
    JENNY_RETURN_IF_ERROR(env_->rename_file(path_ + ".tmp", path_));
    committed_ = true;
    return Status();
}

Result<FileView> open_file(base::Env* env, const std::string& path, FileKind kind,
                           const Params& expected, uint32_t record_size, bool verify_checksum) {
    if (!env->file_exists(path)) return Status::not_found(fmt::format("{}: not found", path));
    auto map = env->map_file(path);
    if (!map.ok()) return map.status();
    const uint8_t* p = (*map)->data();
    const size_t size = (*map)->size();
    const std::string rerun = "; delete it and rerun the stage that writes it";
    if (size < kHeaderBytes + kFooterBytes || std::memcmp(p, kMagic, 8) != 0) {
        return Status::corruption(
            fmt::format("{}: not a jenny dedup file ({} bytes, bad header){}", path, size, rerun));
    }
    if (get_u32(p + 8) != kVersion) {
        return Status::unsupported(fmt::format("{}: dedup file version {}, this build reads {}",
                                               path, get_u32(p + 8), kVersion));
    }
    FileView view;
    view.header = decode_header(p);
    if (view.header.kind != kind) {
        return Status::invalid_argument(
            fmt::format("{}: a {} file where a {} file was expected", path,
                        kind_name(static_cast<uint32_t>(view.header.kind)),
                        kind_name(static_cast<uint32_t>(kind))));
    }
    if (!(view.header.params == expected)) {
        return Status::failed_precondition(fmt::format(
            "{}: written with {}, but this stage uses {}; run every stage of a dedup with the "
            "same options, or use a new directory",
            path, view.header.params.describe(), expected.describe()));
    }
    if (view.header.record_size != record_size) {
        return Status::corruption(fmt::format("{}: record size {} (expected {}){}", path,
                                              view.header.record_size, record_size, rerun));
    }
    const uint8_t* footer = p + size - kFooterBytes;
    if (std::memcmp(footer + 16, kEndMagic, 8) != 0) {
        return Status::corruption(
            fmt::format("{}: truncated or incomplete (no end marker){}", path, rerun));
    }
    view.n_records = get_u64(footer);
    const uint64_t payload = size - kHeaderBytes - kFooterBytes;
    if (payload % record_size != 0 || payload / record_size != view.n_records) {
        return Status::corruption(fmt::format("{}: {} bytes of records, the footer says {} x {}{}",
                                              path, payload, view.n_records, record_size, rerun));
    }
    view.records = p + kHeaderBytes;
    if (verify_checksum && XXH3_64bits(view.records, payload) != get_u64(footer + 8)) {
        return Status::corruption(fmt::format("{}: checksum mismatch{}", path, rerun));
    }
    view.map = std::move(*map);
    return view;
}

}  // namespace jenny::data::dedup
