#include "jenny/model/kv_cache.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "jenny/base/check.h"
#include "jenny/tensor/quant.h"

namespace jenny::model {

using base::Result;
using base::Status;
using tensor::DType;

namespace {

Status validate(const KvCacheConfig& c) {
    if (c.n_layers <= 0 || c.n_kv_heads <= 0 || c.head_dim <= 0 || c.block_size <= 0) {
        return Status::invalid_argument(fmt::format(
            "KV cache: n_layers ({}), n_kv_heads ({}), head_dim ({}) and block_size ({}) must "
            "be positive",
            c.n_layers, c.n_kv_heads, c.head_dim, c.block_size));
    }
    if (c.dtype != DType::kF32 && c.dtype != DType::kF16 && c.dtype != DType::kQ8_0) {
        return Status::invalid_argument(
            fmt::format("KV cache: dtype {} is not supported; use f32, f16 or q8_0",
                        tensor::dtype_name(c.dtype)));
    }
    if (!tensor::row_fits(c.dtype, c.head_dim)) {
        return Status::invalid_argument(fmt::format(
            "KV cache: head_dim {} is not a multiple of {}'s block of {}; use f16", c.head_dim,
            tensor::dtype_name(c.dtype), tensor::dtype_info(c.dtype).block_size));
    }
    return Status();
}

Status unknown(int seq) { return Status::not_found(fmt::format("KV cache: no sequence {}", seq)); }

// One position of one layer's keys (or values).
size_t position_bytes(const KvCacheConfig& c) {
    return static_cast<size_t>(c.n_kv_heads) * tensor::row_bytes(c.dtype, c.head_dim);
}

}  // namespace

size_t KvCache::bytes_per_token(const KvCacheConfig& config) {
    JENNY_CHECK(validate(config).ok(), "{}", validate(config).to_string());
    return 2 * static_cast<size_t>(config.n_layers) * position_bytes(config);
}

size_t KvCache::bytes_per_block(const KvCacheConfig& config) {
    return bytes_per_token(config) * static_cast<size_t>(config.block_size);
}

int64_t KvCache::blocks_for_budget(const KvCacheConfig& config, size_t budget) {
    const size_t n = budget / bytes_per_block(config);
    return static_cast<int64_t>(
        std::min<size_t>(n, static_cast<size_t>(std::numeric_limits<int32_t>::max())));
}

Result<std::unique_ptr<KvCache>> KvCache::create(const KvCacheConfig& config) {
    JENNY_RETURN_IF_ERROR(validate(config));
    if (config.n_blocks <= 0 || config.n_blocks > std::numeric_limits<int32_t>::max()) {
        return Status::invalid_argument(
            fmt::format("KV cache: n_blocks is {}; it must be in [1, 2^31-1]", config.n_blocks));
    }
    const size_t block = static_cast<size_t>(config.block_size) * position_bytes(config);
    if (static_cast<size_t>(config.n_blocks) >
        std::numeric_limits<size_t>::max() / block / 2 / static_cast<size_t>(config.n_layers)) {
        return Status::invalid_argument(
            fmt::format("KV cache: {} blocks of {} bytes overflow the address space; lower "
                        "n_blocks",
                        config.n_blocks, block));
    }
    std::unique_ptr<KvCache> kv(new KvCache(config));
    const size_t pool = block * static_cast<size_t>(config.n_blocks);
    for (int l = 0; l < config.n_layers; ++l) {
        kv->k_pools_.push_back(tensor::aligned_alloc_bytes(pool));
        kv->v_pools_.push_back(tensor::aligned_alloc_bytes(pool));
        if (kv->k_pools_.back() == nullptr || kv->v_pools_.back() == nullptr) {
            return Status::resource_exhausted(fmt::format(
                "KV cache: cannot allocate {} bytes ({} blocks); lower the KV cache size",
                2 * pool * static_cast<size_t>(config.n_layers), config.n_blocks));
        }
    }
    return kv;
}

KvCache::KvCache(const KvCacheConfig& config)
    : config_(config),
      row_bytes_(position_bytes(config)),
      block_bytes_(row_bytes_ * static_cast<size_t>(config.block_size)),
      ref_counts_(static_cast<size_t>(config.n_blocks), 0) {
    k_pools_.reserve(static_cast<size_t>(config.n_layers));
    v_pools_.reserve(static_cast<size_t>(config.n_layers));
    // A stack popped from the back: block 0 is handed out first, which keeps tests readable
    // and early sequences' blocks adjacent in memory.
    free_list_.resize(static_cast<size_t>(config.n_blocks));
    for (size_t i = 0; i < free_list_.size(); ++i) {
        free_list_[i] = static_cast<int32_t>(free_list_.size() - 1 - i);
    }
}

size_t KvCache::bytes_total() const {
    return bytes_per_block(config_) * static_cast<size_t>(config_.n_blocks);
}

KvCache::Sequence* KvCache::find(int seq) {
    auto it = seqs_.find(seq);
    return it == seqs_.end() ? nullptr : &it->second;
}

const KvCache::Sequence* KvCache::find(int seq) const {
    auto it = seqs_.find(seq);
    return it == seqs_.end() ? nullptr : &it->second;
}

const KvCache::Sequence& KvCache::get(int seq) const {
    const Sequence* s = find(seq);
    JENNY_CHECK(s != nullptr, "KV cache: unknown sequence {}", seq);
    return *s;
}

Status KvCache::add_sequence(int seq) {
    if (has_sequence(seq)) {
        return Status::already_exists(fmt::format("KV cache: sequence {} already exists", seq));
    }
    seqs_.emplace(seq, Sequence{});
    return Status();
}

bool KvCache::has_sequence(int seq) const { return seqs_.count(seq) != 0; }

int KvCache::length(int seq) const { return get(seq).length; }

std::span<const int32_t> KvCache::block_table(int seq) const { return get(seq).blocks; }

int KvCache::ref_count(int32_t block) const {
    JENNY_CHECK(block >= 0 && block < config_.n_blocks, "KV cache: block {} out of range", block);
    return ref_counts_[static_cast<size_t>(block)];
}

int32_t KvCache::take_block() {
    JENNY_CHECK(!free_list_.empty(), "KV cache: take_block with no free block");
    const int32_t b = free_list_.back();
    free_list_.pop_back();
    ref_counts_[static_cast<size_t>(b)] = 1;
    return b;
}

void KvCache::release_block(int32_t block) {
    int32_t& rc = ref_counts_[static_cast<size_t>(block)];
    JENNY_CHECK(rc > 0, "KV cache: block {} released more often than taken", block);
    if (--rc == 0) free_list_.push_back(block);
}

void KvCache::copy_block(int32_t dst, int32_t src, int n_positions) {
    const size_t bytes = static_cast<size_t>(n_positions) * row_bytes_;
    const size_t d = static_cast<size_t>(dst) * block_bytes_;
    const size_t s = static_cast<size_t>(src) * block_bytes_;
    for (int l = 0; l < config_.n_layers; ++l) {
        std::memcpy(k_pools_[l].get() + d, k_pools_[l].get() + s, bytes);
        std::memcpy(v_pools_[l].get() + d, v_pools_[l].get() + s, bytes);
    }
}

void KvCache::free_sequence(int seq) {
    auto it = seqs_.find(seq);
    if (it == seqs_.end()) return;
    for (int32_t b : it->second.blocks) release_block(b);
    seqs_.erase(it);
}

Status KvCache::fork(int src, int dst) {
    const Sequence* s = find(src);
    if (s == nullptr) return unknown(src);
    if (has_sequence(dst)) {
        return Status::already_exists(fmt::format(
            "KV cache: cannot fork {} into {}: sequence {} already exists", src, dst, dst));
    }
    Sequence copy = *s;
    for (int32_t b : copy.blocks) ++ref_counts_[static_cast<size_t>(b)];
    seqs_.emplace(dst, std::move(copy));
    return Status();
}

Status KvCache::share_prefix(int src, int dst, int n_full_blocks) {
    const Sequence* s = find(src);
    if (s == nullptr) return unknown(src);
    Sequence* d = find(dst);
    if (d == nullptr) return unknown(dst);
    if (src == dst || d->length != 0) {
        return Status::invalid_argument(fmt::format(
            "KV cache: share_prefix needs an empty destination; sequence {} holds {} positions",
            dst, d->length));
    }
    if (n_full_blocks < 0 || static_cast<int64_t>(n_full_blocks) * config_.block_size > s->length) {
        return Status::invalid_argument(
            fmt::format("KV cache: sequence {} has {} full blocks, {} requested", src,
                        s->length / config_.block_size, n_full_blocks));
    }
    d->blocks.assign(s->blocks.begin(), s->blocks.begin() + n_full_blocks);
    for (int32_t b : d->blocks) ++ref_counts_[static_cast<size_t>(b)];
    d->length = n_full_blocks * config_.block_size;
    return Status();
}

Status KvCache::truncate(int seq, int n) {
    Sequence* s = find(seq);
    if (s == nullptr) return unknown(seq);
    if (n < 0 || n > s->length) {
        return Status::invalid_argument(fmt::format(
            "KV cache: cannot truncate sequence {} of length {} to {}", seq, s->length, n));
    }
    const size_t keep = static_cast<size_t>(blocks_for_positions(n));
    for (size_t i = keep; i < s->blocks.size(); ++i) release_block(s->blocks[i]);
    s->blocks.resize(keep);
    s->length = n;
    return Status();
}

int64_t KvCache::blocks_for_positions(int64_t n) const {
    return (n + config_.block_size - 1) / config_.block_size;
}

int64_t KvCache::blocks_needed(int seq, int n) const {
    JENNY_CHECK(n >= 0, "KV cache: blocks_needed for {} positions", n);
    const Sequence& s = get(seq);
    const int64_t fresh = blocks_for_positions(static_cast<int64_t>(s.length) + n) -
                          static_cast<int64_t>(s.blocks.size());
    const bool cow = n > 0 && s.length % config_.block_size != 0 &&
                     ref_counts_[static_cast<size_t>(s.blocks.back())] > 1;
    return fresh + (cow ? 1 : 0);
}

Status KvCache::append(int seq, int n) {
    Sequence* s = find(seq);
    if (s == nullptr) return unknown(seq);
    if (n < 0 || static_cast<int64_t>(s->length) + n > std::numeric_limits<int32_t>::max()) {
        return Status::invalid_argument(fmt::format(
            "KV cache: cannot append {} positions to sequence {} of length {}", n, seq, s->length));
    }
    const int64_t need = blocks_needed(seq, n);
    if (need > free_blocks()) {
        return Status::resource_exhausted(
            fmt::format("KV cache full: need {} blocks, {} free", need, free_blocks()));
    }
    const int filled = s->length % config_.block_size;
    if (n > 0 && filled != 0) {
        int32_t& last = s->blocks.back();
        if (ref_counts_[static_cast<size_t>(last)] > 1) {
            const int32_t copy = take_block();
            copy_block(copy, last, filled);
            release_block(last);
            last = copy;
        }
    }
    const int64_t total = blocks_for_positions(static_cast<int64_t>(s->length) + n);
    while (static_cast<int64_t>(s->blocks.size()) < total) s->blocks.push_back(take_block());
    s->length += n;
    return Status();
}

uint8_t* KvCache::slot(const std::vector<std::unique_ptr<uint8_t[], tensor::AlignedFree>>& pools,
                       int layer, int seq, int pos) {
    JENNY_CHECK(layer >= 0 && layer < config_.n_layers, "KV cache: layer {} of {}", layer,
                config_.n_layers);
    const Sequence& s = get(seq);
    JENNY_CHECK(pos >= 0 && pos < s.length,
                "KV cache: position {} outside sequence {} of length {}", pos, seq, s.length);
    const int32_t b = s.blocks[static_cast<size_t>(pos / config_.block_size)];
    JENNY_CHECK(ref_counts_[static_cast<size_t>(b)] == 1,
                "KV cache: position {} of sequence {} is in block {} shared by {} sequences; "
                "write before fork()",
                pos, seq, b, ref_counts_[static_cast<size_t>(b)]);
    return pools[static_cast<size_t>(layer)].get() + static_cast<size_t>(b) * block_bytes_ +
           static_cast<size_t>(pos % config_.block_size) * row_bytes_;
}

uint8_t* KvCache::k_slot(int layer, int seq, int pos) { return slot(k_pools_, layer, seq, pos); }

uint8_t* KvCache::v_slot(int layer, int seq, int pos) { return slot(v_pools_, layer, seq, pos); }

void KvCache::store(int layer, int seq, int pos, const float* k, const float* v) {
    const int64_t n = static_cast<int64_t>(config_.n_kv_heads) * config_.head_dim;
    // Rows of one position are contiguous and D is a whole number of dtype blocks, so the Hkv
    // rows convert as one row of Hkv * D elements.
    tensor::quantize_row(config_.dtype, k, k_slot(layer, seq, pos), n);
    tensor::quantize_row(config_.dtype, v, v_slot(layer, seq, pos), n);
}

kernels::KvBlocks KvCache::blocks(int layer, int seq, int begin, int end) const {
    JENNY_CHECK(layer >= 0 && layer < config_.n_layers, "KV cache: layer {} of {}", layer,
                config_.n_layers);
    const Sequence& s = get(seq);
    JENNY_CHECK(begin >= 0 && begin < end && end <= s.length,
                "KV cache: view [{}, {}) of sequence {} of length {}", begin, end, seq, s.length);
    kernels::KvBlocks view;
    view.dtype = config_.dtype;
    view.block_size = config_.block_size;
    view.block_bytes = block_bytes_;
    view.k = k_pools_[static_cast<size_t>(layer)].get();
    view.v = v_pools_[static_cast<size_t>(layer)].get();
    view.blocks = s.blocks.data();
    view.begin = begin;
    view.end = end;
    return view;
}

}  // namespace jenny::model
