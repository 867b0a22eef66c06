#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "data/token_dataset_format.h"
#include "jenny/data/token_dataset.h"

namespace jenny::data {
namespace {

using base::Status;

// Data files are written through buffers this big: few syscalls, bounded memory.
constexpr size_t kFlushBytes = size_t{1} << 20;

// One output file: a buffer, the open file and a running checksum.
struct OutFile {
    std::string path;
    std::unique_ptr<base::WritableFile> file;
    std::string buffer;
    std::unique_ptr<format::Checksum> sum = std::make_unique<format::Checksum>();

    Status flush() {
        if (buffer.empty()) return Status();
        sum->update(buffer);
        JENNY_RETURN_IF_ERROR(file->append(buffer));
        buffer.clear();
        return Status();
    }
    Status close() {
        JENNY_RETURN_IF_ERROR(flush());
        JENNY_RETURN_IF_ERROR(file->sync());
        return file->close();
    }
};

}  // namespace

std::string token_dtype_for_vocab(int64_t vocab_size) {
    return vocab_size < 65536 ? "uint16" : "uint32";
}

std::string token_dataset_bin_path(const std::string& prefix) { return prefix + ".bin"; }
std::string token_dataset_idx_path(const std::string& prefix) { return prefix + ".idx"; }
std::string token_dataset_mask_path(const std::string& prefix) { return prefix + ".mask"; }
std::string token_dataset_meta_path(const std::string& prefix) { return prefix + ".meta.json"; }

Status remove_token_dataset(const std::string& prefix, base::Env* env) {
    for (const std::string& path :
         {token_dataset_meta_path(prefix), token_dataset_bin_path(prefix),
          token_dataset_idx_path(prefix), token_dataset_mask_path(prefix)}) {
        if (env->file_exists(path)) JENNY_RETURN_IF_ERROR(env->remove_file(path));
    }
    return Status();
}

struct TokenDatasetWriter::Impl {
    base::Env* env;
    int64_t vocab_size;
    std::string tokenizer_hash;
    bool with_mask;
    int token_bytes;
    OutFile bin, idx, mask;
};

TokenDatasetWriter::TokenDatasetWriter(std::string prefix, std::unique_ptr<Impl> impl)
    : prefix_(std::move(prefix)), impl_(std::move(impl)) {}

TokenDatasetWriter::~TokenDatasetWriter() = default;

base::Result<std::unique_ptr<TokenDatasetWriter>> TokenDatasetWriter::create(
    const std::string& prefix, int64_t vocab_size, const std::string& tokenizer_hash,
    bool with_mask, base::Env* env) {
    if (prefix.empty()) return Status::invalid_argument("token dataset prefix is empty");
    if (vocab_size < 1 || vocab_size > (int64_t{1} << 31)) {
        return Status::invalid_argument(fmt::format(
            "token dataset {}: vocab_size {} is outside [1, 2^31]", prefix, vocab_size));
    }
    const std::string meta_path = token_dataset_meta_path(prefix);
    if (env->file_exists(meta_path)) {
        return Status::already_exists(fmt::format(
            "token dataset {} already exists ({}); remove its files or choose another output "
            "prefix",
            prefix, meta_path));
    }
    const std::string parent = std::filesystem::path(prefix).parent_path().string();
    if (!parent.empty()) JENNY_RETURN_IF_ERROR(env->create_dirs(parent));

    auto impl = std::make_unique<Impl>();
    impl->env = env;
    impl->vocab_size = vocab_size;
    impl->tokenizer_hash = tokenizer_hash;
    impl->with_mask = with_mask;
    impl->token_bytes = token_dtype_for_vocab(vocab_size) == "uint16" ? 2 : 4;
    auto open = [&](OutFile* f, std::string path) -> Status {
        f->path = std::move(path);
        JENNY_ASSIGN_OR_RETURN(f->file, env->new_writable_file(f->path));
        return Status();
    };
    JENNY_RETURN_IF_ERROR(open(&impl->bin, token_dataset_bin_path(prefix)));
    JENNY_RETURN_IF_ERROR(open(&impl->idx, token_dataset_idx_path(prefix)));
    if (with_mask) {
        JENNY_RETURN_IF_ERROR(open(&impl->mask, token_dataset_mask_path(prefix)));
    } else if (env->file_exists(token_dataset_mask_path(prefix))) {
        // A stale mask from an earlier dataset at this prefix would confuse readers.
        JENNY_RETURN_IF_ERROR(env->remove_file(token_dataset_mask_path(prefix)));
    }
    impl->idx.buffer.append(format::kIdxMagic, sizeof(format::kIdxMagic));
    format::put_u32(&impl->idx.buffer, format::kIdxVersion);
    format::put_u32(&impl->idx.buffer, 0);
    format::put_u64(&impl->idx.buffer, 0);  // document 0 starts at token 0
    return std::unique_ptr<TokenDatasetWriter>(new TokenDatasetWriter(prefix, std::move(impl)));
}

Status TokenDatasetWriter::add_document(std::span<const int32_t> tokens,
                                        std::span<const uint8_t> mask) {
    if (finished_) {
        return Status::failed_precondition(
            fmt::format("token dataset {}: add_document after finish()", prefix_));
    }
    Impl& m = *impl_;
    if (m.with_mask && mask.size() != tokens.size()) {
        return Status::invalid_argument(
            fmt::format("token dataset {}: document {} has {} tokens but {} mask bytes", prefix_,
                        n_documents_, tokens.size(), mask.size()));
    }
    if (!m.with_mask && !mask.empty()) {
        return Status::invalid_argument(fmt::format(
            "token dataset {}: a mask was given but the writer was created without one", prefix_));
    }
    for (size_t i = 0; i < tokens.size(); ++i) {
        if (tokens[i] < 0 || tokens[i] >= m.vocab_size) {
            return Status::invalid_argument(fmt::format(
                "token dataset {}: document {} token {} is {}, outside the vocabulary [0, {})",
                prefix_, n_documents_, i, tokens[i], m.vocab_size));
        }
    }
    for (size_t i = 0; i < mask.size(); ++i) {
        if (mask[i] > 1) {
            return Status::invalid_argument(
                fmt::format("token dataset {}: document {} mask byte {} is {}, expected 0 or 1",
                            prefix_, n_documents_, i, mask[i]));
        }
    }
    std::string& b = m.bin.buffer;
    const size_t at = b.size();
    b.resize(at + tokens.size() * static_cast<size_t>(m.token_bytes));
    char* p = b.data() + at;
    for (int32_t t : tokens) {
        const uint32_t v = static_cast<uint32_t>(t);
        for (int k = 0; k < m.token_bytes; ++k) *p++ = static_cast<char>((v >> (8 * k)) & 0xff);
    }
    if (m.with_mask) m.mask.buffer.append(reinterpret_cast<const char*>(mask.data()), mask.size());
    n_tokens_ += static_cast<int64_t>(tokens.size());
    n_documents_ += 1;
    format::put_u64(&m.idx.buffer, static_cast<uint64_t>(n_tokens_));
    return flush(false);
}

Status TokenDatasetWriter::flush(bool final) {
    Impl& m = *impl_;
    for (OutFile* f : {&m.bin, &m.idx, &m.mask}) {
        if (f->file == nullptr) continue;
        if (final || f->buffer.size() >= kFlushBytes) {
            Status s = f->flush();
            if (!s.ok()) return s.with_context(fmt::format("writing token dataset {}", prefix_));
        }
    }
    return Status();
}

Status TokenDatasetWriter::finish() {
    if (finished_) {
        return Status::failed_precondition(
            fmt::format("token dataset {}: finish() called twice", prefix_));
    }
    finished_ = true;
    Impl& m = *impl_;
    for (OutFile* f : {&m.bin, &m.idx, &m.mask}) {
        if (f->file == nullptr) continue;
        Status s = f->close();
        if (!s.ok()) return s.with_context(fmt::format("writing token dataset {}", prefix_));
    }
    nlohmann::ordered_json meta;
    meta["format"] = format::kFormatName;
    meta["version"] = format::kFormatVersion;
    meta["token_dtype"] = token_dtype_for_vocab(m.vocab_size);
    meta["vocab_size"] = m.vocab_size;
    meta["tokenizer_hash"] = m.tokenizer_hash;
    meta["n_tokens"] = n_tokens_;
    meta["n_documents"] = n_documents_;
    meta["has_mask"] = m.with_mask;
    nlohmann::ordered_json sums;
    sums["bin"] = m.bin.sum->hex();
    sums["idx"] = m.idx.sum->hex();
    if (m.with_mask) sums["mask"] = m.mask.sum->hex();
    meta["checksums"] = sums;
    Status s = m.env->write_file_atomic(token_dataset_meta_path(prefix_), meta.dump(2) + "\n");
    if (!s.ok()) return s.with_context(fmt::format("writing token dataset {}", prefix_));
    return Status();
}

}  // namespace jenny::data
