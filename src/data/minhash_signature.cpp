// MinHash stage 1: signatures, and the options and paths every stage shares.
#include <fmt/format.h>

#include <algorithm>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "data/minhash_internal.h"
#include "data/word_ngrams.h"
#include "jenny/base/check.h"

namespace jenny::data {
namespace {

using base::Result;
using base::Status;

constexpr uint64_t kMersenne = (uint64_t{1} << 61) - 1;

uint64_t splitmix64(uint64_t* state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// x mod (2^61 - 1) for x < 2^122 + 2^61: two folds and a conditional subtract.
inline uint64_t mod_mersenne(unsigned __int128 x) {
    uint64_t s = (static_cast<uint64_t>(x) & kMersenne) + static_cast<uint64_t>(x >> 61);
    s = (s & kMersenne) + (s >> 61);
    return s >= kMersenne ? s - kMersenne : s;
}

}  // namespace

namespace minhash {

dedup::Params params_of(const MinhashOptions& o) {
    dedup::Params p;
    p.method = dedup::Method::kMinhash;
    p.n_grams = static_cast<uint32_t>(o.n_grams);
    p.num_bands = static_cast<uint32_t>(o.num_bands);
    p.rows_per_band = static_cast<uint32_t>(o.rows_per_band);
    p.seed = o.seed;
    p.norm_flags = o.norm.flags();
    return p;
}

}  // namespace minhash

Status validate_minhash_options(const MinhashOptions& o) {
    if (o.n_grams < 1 || o.n_grams > 64) {
        return Status::invalid_argument(fmt::format("n_grams: {} is not in 1..64", o.n_grams));
    }
    if (o.num_bands < 1 || o.num_bands > 1024) {
        return Status::invalid_argument(
            fmt::format("num_bands: {} is not in 1..1024", o.num_bands));
    }
    if (o.rows_per_band < 1 || o.rows_per_band > 64) {
        return Status::invalid_argument(
            fmt::format("rows_per_band: {} is not in 1..64", o.rows_per_band));
    }
    return Status();
}

std::string minhash_signature_path(const std::string& dir, uint32_t band, uint32_t task) {
    return fmt::format("{}/sigs/bucket_{:03d}/task_{:05d}.bin", dir, band, task);
}
std::string minhash_duplicates_path(const std::string& dir, uint32_t band) {
    return fmt::format("{}/buckets/bucket_{:03d}.dups", dir, band);
}
std::string dedup_removal_path(const std::string& dir, uint32_t task) {
    return fmt::format("{}/remove/task_{:05d}.bin", dir, task);
}

MinhashSigner::MinhashSigner(const MinhashOptions& options) : options_(options) {
    JENNY_CHECK(validate_minhash_options(options).ok(), "invalid MinhashOptions");
    const size_t n = static_cast<size_t>(options.num_bands) * options.rows_per_band;
    uint64_t state = options.seed;
    while (a_.size() < n) {
        uint64_t v = splitmix64(&state) >> 3;
        if (v >= 1 && v < kMersenne) a_.push_back(v);
    }
    while (b_.size() < n) {
        uint64_t v = splitmix64(&state) >> 3;
        if (v < kMersenne) b_.push_back(v);
    }
}

bool MinhashSigner::signature(std::string_view text, std::vector<uint64_t>* signature) {
    word_ngram_hashes(text, options_.norm, options_.n_grams, /*whole_if_short=*/true, &shingles_,
                      &words_);
    if (shingles_.empty()) return false;
    for (uint64_t& x : shingles_) {
        x = (x & kMersenne) + (x >> 61);
        if (x >= kMersenne) x -= kMersenne;
    }
    const size_t n = a_.size();
    signature->resize(n);
    const uint64_t* xs = shingles_.data();
    const size_t count = shingles_.size();
    // Four hash functions per pass over the shingles: four independent min chains share
    // each load (measured 1.55x over one function per pass).
    size_t k = 0;
    for (; k + 4 <= n; k += 4) {
        const unsigned __int128 a0 = a_[k], a1 = a_[k + 1], a2 = a_[k + 2], a3 = a_[k + 3];
        const uint64_t b0 = b_[k], b1 = b_[k + 1], b2 = b_[k + 2], b3 = b_[k + 3];
        uint64_t m0 = kMersenne, m1 = kMersenne, m2 = kMersenne, m3 = kMersenne;
        for (size_t j = 0; j < count; ++j) {
            const uint64_t x = xs[j];
            m0 = std::min(m0, mod_mersenne(a0 * x + b0));
            m1 = std::min(m1, mod_mersenne(a1 * x + b1));
            m2 = std::min(m2, mod_mersenne(a2 * x + b2));
            m3 = std::min(m3, mod_mersenne(a3 * x + b3));
        }
        (*signature)[k] = m0;
        (*signature)[k + 1] = m1;
        (*signature)[k + 2] = m2;
        (*signature)[k + 3] = m3;
    }
    for (; k < n; ++k) {
        const unsigned __int128 a = a_[k];
        const uint64_t b = b_[k];
        uint64_t m = kMersenne;
        for (size_t j = 0; j < count; ++j) m = std::min(m, mod_mersenne(a * xs[j] + b));
        (*signature)[k] = m;
    }
    return true;
}

bool MinhashSigner::band_hashes(std::string_view text, std::vector<uint64_t>* bands) {
    if (!signature(text, &signature_)) return false;
    const size_t rows = static_cast<size_t>(options_.rows_per_band);
    bands->resize(static_cast<size_t>(options_.num_bands));
    for (size_t b = 0; b < bands->size(); ++b) {
        (*bands)[b] =
            XXH3_64bits_withSeed(signature_.data() + b * rows, rows * sizeof(uint64_t), b);
    }
    return true;
}

MinhashSignatureWriter::MinhashSignatureWriter(std::string dir, uint32_t task, uint32_t num_tasks,
                                               const MinhashOptions& options, base::Env* env)
    : dir_(std::move(dir)),
      task_(task),
      num_tasks_(num_tasks),
      options_(options),
      env_(env),
      signer_(options),
      bands_(static_cast<size_t>(options.num_bands)) {}

Result<std::unique_ptr<MinhashSignatureWriter>> MinhashSignatureWriter::create(
    std::string dir, uint32_t task, uint32_t num_tasks, const MinhashOptions& options,
    base::Env* env) {
    JENNY_RETURN_IF_ERROR(validate_minhash_options(options));
    if (task >= num_tasks) {
        return Status::invalid_argument(
            fmt::format("minhash signatures: task {} is not below num_tasks {}", task, num_tasks));
    }
    return std::unique_ptr<MinhashSignatureWriter>(
        new MinhashSignatureWriter(std::move(dir), task, num_tasks, options, env));
}

void MinhashSignatureWriter::add(std::string_view text) {
    JENNY_CHECK(n_docs_ < UINT32_MAX, "more than 2^32-1 documents in one dedup task");
    const auto doc = static_cast<uint32_t>(n_docs_++);
    if (!signer_.band_hashes(text, &scratch_)) return;
    for (size_t b = 0; b < bands_.size(); ++b) bands_[b].emplace_back(scratch_[b], doc);
}

Status MinhashSignatureWriter::finish() {
    dedup::FileHeader header;
    header.kind = dedup::FileKind::kMinhashSignatures;
    header.params = minhash::params_of(options_);
    header.task = task_;
    header.num_tasks = num_tasks_;
    header.record_size = minhash::kSignatureRecordBytes;
    header.n_docs = n_docs_;
    std::string buf;
    for (size_t b = 0; b < bands_.size(); ++b) {
        auto& records = bands_[b];
        std::sort(records.begin(), records.end());
        header.band = static_cast<uint32_t>(b);
        auto w = dedup::FileWriter::create(env_, minhash_signature_path(dir_, header.band, task_),
                                           header);
        if (!w.ok()) return w.status();
        buf.resize(records.size() * minhash::kSignatureRecordBytes);
        auto* p = reinterpret_cast<uint8_t*>(buf.data());
        for (const auto& [hash, doc] : records) {
            dedup::put_u64(p, hash);
            dedup::put_u32(p + 8, doc);
            p += minhash::kSignatureRecordBytes;
        }
        JENNY_RETURN_IF_ERROR((*w)->append(buf.data(), buf.size()));
        JENNY_RETURN_IF_ERROR((*w)->commit());
        std::vector<std::pair<uint64_t, uint32_t>>().swap(records);
    }
    return Status();
}

}  // namespace jenny::data
