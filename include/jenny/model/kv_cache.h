// KvCache: the paged key/value cache of a LLaMA-family model (vLLM's PagedAttention layout).
// Every block is allocated up front: per layer one 64-byte aligned pool of n_blocks key blocks
// and one of value blocks. A block holds block_size positions laid out (block_size, Hkv, D),
// each row D elements of `dtype` (f32, f16 or q8_0) — the layout kernels::KvBlocks reads.
//
// Sequences are int ids chosen by the caller. A sequence owns a block table (its blocks in
// position order: position p lives in table[p / block_size], slot p % block_size) and a length
// (positions reserved, whether or not computed yet). Blocks are reference-counted so that
// sequences can share a prefix:
//   - fork(src, dst): dst starts as a copy of src that shares all of src's blocks;
//   - share_prefix(src, dst, n): an empty dst reuses src's first n full blocks;
//   - append() on a sequence whose last block is shared and partly filled copies that block
//     first (copy-on-write), so writes never reach another sequence's positions.
// Writing (k_slot, v_slot, store) to a position that lives in a shared block is a programmer
// error (JENNY_CHECK): write positions after append() and before fork().
//
//   JENNY_ASSIGN_OR_RETURN(auto kv, KvCache::create(cfg));
//   JENNY_RETURN_IF_ERROR(kv->add_sequence(7));
//   JENNY_RETURN_IF_ERROR(kv->append(7, n_prompt));      // kResourceExhausted when full
//   for (layer ...) for (pos ...) kv->store(layer, 7, pos, k_row, v_row);
//   kernels::KvBlocks view = kv->blocks(layer, 7, 0, pos + 1);
//   kv->free_sequence(7);
//
// Errors are values for what a request can cause (unknown or duplicate sequence ids, a full
// cache, an out-of-range length); slot and view accessors JENNY_CHECK their arguments.
// Not thread-safe: the scheduler owns the cache and serialises every call. Views and slot
// pointers stay valid until the next append/fork/truncate/free of that sequence.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "jenny/base/result.h"
#include "jenny/base/status.h"
#include "jenny/kernels/attention.h"
#include "jenny/tensor/arena.h"
#include "jenny/tensor/dtype.h"

namespace jenny::model {

struct KvCacheConfig {
    int n_layers = 0;                           // L
    int n_kv_heads = 0;                         // Hkv
    int head_dim = 0;                           // D; a multiple of 32 for q8_0
    tensor::DType dtype = tensor::DType::kF16;  // kF32, kF16 or kQ8_0
    int block_size = 16;                        // positions per block
    int64_t n_blocks = 0;                       // blocks in the pool (shared by all layers)
};

class KvCache {
public:
    // Validates the config and allocates every block (zeroed). Errors: kInvalidArgument for
    // non-positive sizes, an unsupported dtype, q8_0 with D % 32 != 0, more than 2^31-1 blocks;
    // kResourceExhausted when the pools cannot be allocated.
    static base::Result<std::unique_ptr<KvCache>> create(const KvCacheConfig& config);

    // Bytes one position takes over all layers, keys and values: 2 * L * Hkv * row_bytes(D).
    // Requires a valid config (the checks of create).
    static size_t bytes_per_token(const KvCacheConfig& config);
    // Bytes one block takes over all layers, keys and values.
    static size_t bytes_per_block(const KvCacheConfig& config);
    // How many blocks of this geometry fit in `budget` bytes (config.n_blocks is ignored).
    static int64_t blocks_for_budget(const KvCacheConfig& config, size_t budget);

    KvCache(const KvCache&) = delete;
    KvCache& operator=(const KvCache&) = delete;

    const KvCacheConfig& config() const { return config_; }
    int block_size() const { return config_.block_size; }
    // Bytes of all pools (n_blocks * bytes_per_block).
    size_t bytes_total() const;
    // Bytes of one block of one layer's key (or value) pool: block_size * Hkv * row_bytes(D).
    size_t block_bytes() const { return block_bytes_; }

    // Adds an empty sequence. kAlreadyExists when `seq` is in use.
    base::Status add_sequence(int seq);
    bool has_sequence(int seq) const;
    // Positions reserved by `seq` (JENNY_CHECK that it exists).
    int length(int seq) const;
    // The sequence's block table, in position order (JENNY_CHECK that it exists).
    std::span<const int32_t> block_table(int seq) const;
    // Removes the sequence and releases its references on its blocks; no-op when unknown.
    void free_sequence(int seq);
    // Number of sequences.
    size_t n_sequences() const { return seqs_.size(); }

    // dst becomes a sequence with src's length sharing all of src's blocks (no copy).
    // Errors: kNotFound for src, kAlreadyExists for dst (nothing changes).
    base::Status fork(int src, int dst);
    // dst (which must exist and be empty) reuses src's first n_full_blocks blocks, which must
    // be full (n_full_blocks * block_size <= length(src)); dst's length becomes
    // n_full_blocks * block_size. For a prompt prefix computed once and reused by requests
    // that were not forked. Errors: kNotFound, kInvalidArgument (nothing changes).
    base::Status share_prefix(int src, int dst, int n_full_blocks);
    // Keeps the first n positions (0 <= n <= length) and releases whole blocks beyond them.
    // Errors: kNotFound, kInvalidArgument for n out of range (nothing changes).
    base::Status truncate(int seq, int n);
    // Reserves n >= 0 more positions at the end of `seq`: allocates the blocks they need and,
    // when the last block is shared and partly filled, first copies it (copy-on-write).
    // Errors: kNotFound; kInvalidArgument for n < 0 or a length beyond 2^31-1;
    // kResourceExhausted "KV cache full: need X blocks, Y free" — in every error case
    // nothing changes.
    base::Status append(int seq, int n);
    // Blocks append(seq, n) would take from the free list (new blocks plus a copy-on-write
    // copy); what a scheduler compares with free_blocks() before admitting work.
    // JENNY_CHECK that seq exists and n >= 0.
    int64_t blocks_needed(int seq, int n) const;
    // Blocks needed to hold n positions in a fresh sequence.
    int64_t blocks_for_positions(int64_t n) const;

    // Writable rows for position pos (< length) of `layer`: Hkv rows of D elements of dtype,
    // contiguous (Hkv * row_bytes(dtype, D) bytes). The block must not be shared.
    uint8_t* k_slot(int layer, int seq, int pos);
    uint8_t* v_slot(int layer, int seq, int pos);
    // Stores one position's keys and values given as f32 rows (Hkv * D floats each),
    // converting to the cache dtype (tensor::quantize_row). Same preconditions as k_slot.
    void store(int layer, int seq, int pos, const float* k, const float* v);
    // A view of positions [begin, end) of `seq` in `layer` for kernels::attention_forward
    // (0 <= begin < end <= length, JENNY_CHECK). Points into the cache: valid until the next
    // append/fork/truncate/free of that sequence.
    kernels::KvBlocks blocks(int layer, int seq, int begin, int end) const;

    int64_t n_blocks() const { return config_.n_blocks; }
    int64_t free_blocks() const { return static_cast<int64_t>(free_list_.size()); }
    int64_t used_blocks() const { return config_.n_blocks - free_blocks(); }
    // References held on block b (0 when free); for tests and metrics.
    int ref_count(int32_t block) const;

private:
    struct Sequence {
        std::vector<int32_t> blocks;  // block table, position order
        int length = 0;
    };

    explicit KvCache(const KvCacheConfig& config);
    Sequence* find(int seq);
    const Sequence* find(int seq) const;
    const Sequence& get(int seq) const;
    int32_t take_block();
    void release_block(int32_t block);
    void copy_block(int32_t dst, int32_t src, int n_positions);
    uint8_t* slot(const std::vector<std::unique_ptr<uint8_t[], tensor::AlignedFree>>& pools,
                  int layer, int seq, int pos);

    KvCacheConfig config_;
    size_t row_bytes_ = 0;    // Hkv * row_bytes(dtype, D): one position of one layer
    size_t block_bytes_ = 0;  // block_size * row_bytes_
    std::vector<std::unique_ptr<uint8_t[], tensor::AlignedFree>> k_pools_;  // (L)
    std::vector<std::unique_ptr<uint8_t[], tensor::AlignedFree>> v_pools_;  // (L)
    std::vector<int32_t> ref_counts_;                                       // (n_blocks)
    std::vector<int32_t> free_list_;  // stack; lowest ids handed out first
    std::unordered_map<int, Sequence> seqs_;
};

}  // namespace jenny::model
