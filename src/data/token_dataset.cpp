#include "jenny/data/token_dataset.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "data/token_dataset_format.h"
#include "jenny/base/check.h"

namespace jenny::data {
namespace {

using base::Status;
using json = nlohmann::json;

// Reads one typed field of meta.json, or explains what is wrong with it.
template <class T>
Status meta_field(const json& j, const char* key, const std::string& path, T* out) {
    auto it = j.find(key);
    if (it == j.end()) {
        return Status::corruption(fmt::format("{}: missing field \"{}\"", path, key));
    }
    bool ok = false;
    if constexpr (std::is_same_v<T, std::string>) {
        ok = it->is_string();
    } else if constexpr (std::is_same_v<T, bool>) {
        ok = it->is_boolean();
    } else {
        ok = it->is_number_integer();
    }
    if (!ok) {
        return Status::corruption(
            fmt::format("{}: field \"{}\" has the wrong type ({})", path, key, it->dump()));
    }
    *out = it->get<T>();
    return Status();
}

}  // namespace

TokenDataset::~TokenDataset() = default;

base::Result<std::unique_ptr<TokenDataset>> TokenDataset::open(const std::string& prefix,
                                                               base::Env* env) {
    const std::string meta_path = token_dataset_meta_path(prefix);
    const std::string bin_path = token_dataset_bin_path(prefix);
    const std::string idx_path = token_dataset_idx_path(prefix);
    const std::string mask_path = token_dataset_mask_path(prefix);
    if (!env->file_exists(meta_path)) {
        if (env->file_exists(bin_path) || env->file_exists(idx_path)) {
            return Status::failed_precondition(
                fmt::format("incomplete dataset {}: {} is missing, so the writer never finished; "
                            "tokenize it again",
                            prefix, meta_path));
        }
        return Status::not_found(
            fmt::format("no token dataset at {} ({} does not exist)", prefix, meta_path));
    }
    std::unique_ptr<TokenDataset> ds(new TokenDataset());
    ds->prefix_ = prefix;
    JENNY_ASSIGN_OR_RETURN(std::string meta_text, env->read_file(meta_path));
    json j = json::parse(meta_text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return Status::corruption(fmt::format("{}: not a JSON object", meta_path));
    }
    std::string format_name;
    int64_t version = 0;
    JENNY_RETURN_IF_ERROR(meta_field(j, "format", meta_path, &format_name));
    JENNY_RETURN_IF_ERROR(meta_field(j, "version", meta_path, &version));
    if (format_name != format::kFormatName) {
        return Status::corruption(fmt::format("{}: format is \"{}\", expected \"{}\"", meta_path,
                                              format_name, format::kFormatName));
    }
    if (version != format::kFormatVersion) {
        return Status::unsupported(
            fmt::format("{}: token dataset version {}; this jenny reads version {}", meta_path,
                        version, format::kFormatVersion));
    }
    TokenDatasetMeta& m = ds->meta_;
    JENNY_RETURN_IF_ERROR(meta_field(j, "token_dtype", meta_path, &m.token_dtype));
    JENNY_RETURN_IF_ERROR(meta_field(j, "vocab_size", meta_path, &m.vocab_size));
    JENNY_RETURN_IF_ERROR(meta_field(j, "tokenizer_hash", meta_path, &m.tokenizer_hash));
    JENNY_RETURN_IF_ERROR(meta_field(j, "n_tokens", meta_path, &m.n_tokens));
    JENNY_RETURN_IF_ERROR(meta_field(j, "n_documents", meta_path, &m.n_documents));
    JENNY_RETURN_IF_ERROR(meta_field(j, "has_mask", meta_path, &m.has_mask));
    if (m.vocab_size < 1 || m.vocab_size > (int64_t{1} << 31) || m.n_tokens < 0 ||
        m.n_documents < 0) {
        return Status::corruption(
            fmt::format("{}: impossible counts (vocab_size {}, n_tokens {}, n_documents {})",
                        meta_path, m.vocab_size, m.n_tokens, m.n_documents));
    }
    if (m.token_dtype != token_dtype_for_vocab(m.vocab_size)) {
        return Status::corruption(fmt::format(
            "{}: token_dtype \"{}\" for vocab_size {}; expected "
            "\"{}\"",
            meta_path, m.token_dtype, m.vocab_size, token_dtype_for_vocab(m.vocab_size)));
    }
    if (auto sums = j.find("checksums"); sums != j.end() && sums->is_object()) {
        ds->checksum_bin_ = sums->value("bin", "");
        ds->checksum_idx_ = sums->value("idx", "");
        ds->checksum_mask_ = sums->value("mask", "");
    }
    ds->token_bytes_ = m.token_dtype == "uint16" ? 2 : 4;

    // Each file must have exactly the size meta.json implies.
    auto map = [&](const std::string& path, uint64_t expected,
                   std::unique_ptr<base::MappedFile>* out) -> Status {
        if (!env->file_exists(path)) {
            return Status::corruption(
                fmt::format("incomplete dataset {}: {} is missing though {} lists it", prefix, path,
                            meta_path));
        }
        JENNY_ASSIGN_OR_RETURN(*out, env->map_file(path));
        if ((*out)->size() != expected) {
            return Status::corruption(fmt::format(
                "{}: {} bytes, expected {} for the counts in {} ({}); the file is truncated or "
                "belongs to another dataset",
                path, (*out)->size(), expected, meta_path,
                (*out)->size() < expected ? "truncated" : "too long"));
        }
        return Status();
    };
    const uint64_t n_tokens = static_cast<uint64_t>(m.n_tokens);
    const uint64_t n_docs = static_cast<uint64_t>(m.n_documents);
    JENNY_RETURN_IF_ERROR(
        map(bin_path, n_tokens * static_cast<uint64_t>(ds->token_bytes_), &ds->bin_));
    JENNY_RETURN_IF_ERROR(map(idx_path, format::kIdxHeaderBytes + 8 * (n_docs + 1), &ds->idx_));
    if (m.has_mask) JENNY_RETURN_IF_ERROR(map(mask_path, n_tokens, &ds->mask_));

    const uint8_t* idx = ds->idx_->data();
    if (std::memcmp(idx, format::kIdxMagic, sizeof(format::kIdxMagic)) != 0) {
        return Status::corruption(
            fmt::format("{}: not a jenny token index (bad magic at byte 0)", idx_path));
    }
    if (format::get_u32(idx + 8) != format::kIdxVersion) {
        return Status::corruption(fmt::format("{}: index version {}, expected {}", idx_path,
                                              format::get_u32(idx + 8), format::kIdxVersion));
    }
    ds->tokens_ = ds->bin_->data();
    ds->offsets_ = idx + format::kIdxHeaderBytes;
    uint64_t prev = 0;
    for (uint64_t d = 0; d <= n_docs; ++d) {
        const uint64_t off = format::get_u64(ds->offsets_ + 8 * d);
        if ((d == 0 && off != 0) || off < prev || off > n_tokens ||
            (d == n_docs && off != n_tokens)) {
            return Status::corruption(fmt::format(
                "{}: document offset {} is {} (previous {}, n_tokens {}); offsets must start "
                "at 0, not decrease and end at n_tokens",
                idx_path, d, off, prev, n_tokens));
        }
        prev = off;
    }
    return ds;
}

int32_t TokenDataset::token(int64_t i) const {
    JENNY_CHECK(i >= 0 && i < meta_.n_tokens, "token {} of {}", i, meta_.n_tokens);
    const uint8_t* p = tokens_ + i * token_bytes_;
    if (token_bytes_ == 2) return static_cast<int32_t>(p[0] | (p[1] << 8));
    return static_cast<int32_t>(format::get_u32(p));
}

void TokenDataset::read_tokens(int64_t begin, int64_t n, int32_t* out) const {
    JENNY_CHECK(begin >= 0 && n >= 0 && begin + n <= meta_.n_tokens,
                "read_tokens [{}, {}) of {} tokens", begin, begin + n, meta_.n_tokens);
    const uint8_t* p = tokens_ + begin * token_bytes_;
    if (token_bytes_ == 2) {
        for (int64_t i = 0; i < n; ++i, p += 2) out[i] = static_cast<int32_t>(p[0] | (p[1] << 8));
    } else {
        for (int64_t i = 0; i < n; ++i, p += 4) out[i] = static_cast<int32_t>(format::get_u32(p));
    }
}

void TokenDataset::read_mask(int64_t begin, int64_t n, uint8_t* out) const {
    JENNY_CHECK(meta_.has_mask, "read_mask on dataset {} which has no mask", prefix_);
    JENNY_CHECK(begin >= 0 && n >= 0 && begin + n <= meta_.n_tokens,
                "read_mask [{}, {}) of {} tokens", begin, begin + n, meta_.n_tokens);
    if (n > 0) std::memcpy(out, mask_->data() + begin, static_cast<size_t>(n));
}

int64_t TokenDataset::document_begin(int64_t d) const {
    JENNY_CHECK(d >= 0 && d <= meta_.n_documents, "document_begin({}) of {} documents", d,
                meta_.n_documents);
    return static_cast<int64_t>(format::get_u64(offsets_ + 8 * d));
}

int64_t TokenDataset::document_of(int64_t i) const {
    JENNY_CHECK(i >= 0 && i < meta_.n_tokens, "document_of({}) of {} tokens", i, meta_.n_tokens);
    // The last d with document_begin(d) <= i; offsets are non-decreasing.
    int64_t lo = 0, hi = meta_.n_documents;  // answer in [lo, hi)
    while (hi - lo > 1) {
        const int64_t mid = lo + (hi - lo) / 2;
        if (document_begin(mid) <= i)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

Status TokenDataset::verify() const {
    auto check_sum = [&](const std::string& expected, const base::MappedFile& f,
                         const std::string& path) -> Status {
        if (expected.empty()) return Status();  // an older writer recorded none
        const std::string got =
            format::checksum(std::string_view(reinterpret_cast<const char*>(f.data()), f.size()));
        if (got != expected) {
            return Status::corruption(fmt::format("{}: checksum {} but {} records {}", path, got,
                                                  token_dataset_meta_path(prefix_), expected));
        }
        return Status();
    };
    JENNY_RETURN_IF_ERROR(check_sum(checksum_bin_, *bin_, token_dataset_bin_path(prefix_)));
    JENNY_RETURN_IF_ERROR(check_sum(checksum_idx_, *idx_, token_dataset_idx_path(prefix_)));
    if (mask_) {
        JENNY_RETURN_IF_ERROR(check_sum(checksum_mask_, *mask_, token_dataset_mask_path(prefix_)));
    }
    for (int64_t i = 0; i < meta_.n_tokens; ++i) {
        const int32_t t = token(i);
        if (t < 0 || t >= meta_.vocab_size) {
            return Status::corruption(fmt::format("{}: token {} is {}, outside [0, {})",
                                                  token_dataset_bin_path(prefix_), i, t,
                                                  meta_.vocab_size));
        }
        if (mask_ && mask_->data()[i] > 1) {
            return Status::corruption(fmt::format("{}: byte {} is {}, expected 0 or 1",
                                                  token_dataset_mask_path(prefix_), i,
                                                  mask_->data()[i]));
        }
    }
    return Status();
}

// ---- TokenWindows ----

TokenWindows::TokenWindows(const TokenDataset* ds, int T, int64_t first_window, int64_t n_windows)
    : ds_(ds), T_(T), first_window_(first_window), n_windows_(n_windows) {
    JENNY_CHECK(ds != nullptr && T >= 1, "TokenWindows needs a dataset and T >= 1 (T = {})", T);
    JENNY_CHECK(first_window >= 0 && n_windows >= 0 && first_window + n_windows <= count(*ds, T),
                "windows [{}, {}) outside the {} windows of T = {}", first_window,
                first_window + n_windows, count(*ds, T), T);
}

int64_t TokenWindows::count(const TokenDataset& ds, int T) {
    JENNY_CHECK(T >= 1, "window length T = {}", T);
    return ds.n_tokens() < 1 ? 0 : (ds.n_tokens() - 1) / T;
}

void TokenWindows::read(int64_t w, int32_t* inputs, int32_t* targets,
                        std::vector<int32_t>* doc_starts) const {
    JENNY_CHECK(w >= 0 && w < n_windows_, "window {} of {}", w, n_windows_);
    const int64_t begin = (first_window_ + w) * T_;
    // inputs = tokens [begin, begin+T); targets = tokens [begin+1, begin+T+1).
    ds_->read_tokens(begin, T_, inputs);
    for (int t = 0; t + 1 < T_; ++t) targets[t] = inputs[t + 1];
    targets[T_ - 1] = ds_->token(begin + T_);
    if (ds_->has_mask()) {
        thread_local std::vector<uint8_t> mask;
        mask.resize(static_cast<size_t>(T_));
        ds_->read_mask(begin + 1, T_, mask.data());
        for (int t = 0; t < T_; ++t) {
            if (mask[static_cast<size_t>(t)] == 0) targets[t] = -1;
        }
    }
    if (doc_starts != nullptr) {
        doc_starts->clear();
        // The first document starting at or after `begin`, then every later start < begin+T.
        int64_t lo = 0, hi = ds_->n_documents();  // first d in [0, n_docs] with begin(d) >= begin
        while (lo < hi) {
            const int64_t mid = lo + (hi - lo) / 2;
            if (ds_->document_begin(mid) < begin)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (int64_t d = lo; d < ds_->n_documents(); ++d) {
            const int64_t at = ds_->document_begin(d);
            if (at >= begin + T_) break;
            const int32_t t = static_cast<int32_t>(at - begin);
            // Empty documents share an offset with the next one: report each offset once.
            if (doc_starts->empty() || doc_starts->back() != t) doc_starts->push_back(t);
        }
    }
}

}  // namespace jenny::data
