#include "jenny/model/kv_cache.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <vector>

#include "jenny/base/rng.h"
#include "jenny/tensor/quant.h"

namespace jenny::model {
namespace {

using base::StatusCode;
using tensor::DType;

KvCacheConfig small_config(DType dtype = DType::kF32, int64_t n_blocks = 8) {
    KvCacheConfig c;
    c.n_layers = 2;
    c.n_kv_heads = 2;
    c.head_dim = 32;
    c.dtype = dtype;
    c.block_size = 4;
    c.n_blocks = n_blocks;
    return c;
}

std::unique_ptr<KvCache> make(const KvCacheConfig& c) {
    auto r = KvCache::create(c);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return std::move(r).value();
}

// The f32 rows (Hkv * D) a position holds, read back through the attention view.
std::vector<float> read_row(const KvCache& kv, int layer, int seq, int pos, bool values) {
    const KvCacheConfig& c = kv.config();
    const kernels::KvBlocks view = kv.blocks(layer, seq, 0, kv.length(seq));
    const int64_t n = static_cast<int64_t>(c.n_kv_heads) * c.head_dim;
    const size_t row = tensor::row_bytes(view.dtype, n);
    const uint8_t* pool = values ? view.v : view.k;
    const uint8_t* src =
        pool + static_cast<size_t>(view.blocks[pos / view.block_size]) * view.block_bytes +
        static_cast<size_t>(pos % view.block_size) * row;
    std::vector<float> out(static_cast<size_t>(n));
    tensor::dequantize_row(view.dtype, src, out.data(), n);
    return out;
}

// Rows whose every element encodes (tag, element, k/v), exact in f32 while
// tag * 256 < 2^24 and rows have at most 128 elements.
std::vector<float> tagged_row(const KvCacheConfig& c, int tag, bool values) {
    std::vector<float> row(static_cast<size_t>(c.n_kv_heads * c.head_dim));
    for (size_t j = 0; j < row.size(); ++j) {
        row[j] = static_cast<float>(tag * 256 + static_cast<int>(j) * 2 + (values ? 1 : 0));
    }
    return row;
}

void store_tag(KvCache& kv, int seq, int pos, int tag) {
    for (int l = 0; l < kv.config().n_layers; ++l) {
        kv.store(l, seq, pos, tagged_row(kv.config(), tag * 8 + l, false).data(),
                 tagged_row(kv.config(), tag * 8 + l, true).data());
    }
}

void expect_tag(const KvCache& kv, int seq, int pos, int tag) {
    for (int l = 0; l < kv.config().n_layers; ++l) {
        EXPECT_EQ(read_row(kv, l, seq, pos, false), tagged_row(kv.config(), tag * 8 + l, false))
            << "seq " << seq << " pos " << pos << " layer " << l;
        EXPECT_EQ(read_row(kv, l, seq, pos, true), tagged_row(kv.config(), tag * 8 + l, true))
            << "seq " << seq << " pos " << pos << " layer " << l;
    }
}

TEST(KvCache, CreateRejectsBadConfigs) {
    KvCacheConfig c = small_config();
    c.n_layers = 0;
    EXPECT_EQ(KvCache::create(c).status().code(), StatusCode::kInvalidArgument);
    c = small_config();
    c.block_size = 0;
    EXPECT_EQ(KvCache::create(c).status().code(), StatusCode::kInvalidArgument);
    c = small_config();
    c.n_blocks = 0;
    EXPECT_EQ(KvCache::create(c).status().code(), StatusCode::kInvalidArgument);
    c = small_config(DType::kBF16);
    EXPECT_EQ(KvCache::create(c).status().code(), StatusCode::kInvalidArgument);
    c = small_config(DType::kQ8_0);
    c.head_dim = 48;
    auto r = KvCache::create(c);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("head_dim 48"), std::string::npos) << r.status().message();
    c.head_dim = 64;
    EXPECT_TRUE(KvCache::create(c).ok());
}

TEST(KvCache, SizesAndBudget) {
    KvCacheConfig c = small_config(DType::kF16);
    // 2 (k, v) * 2 layers * 2 heads * 32 * 2 bytes.
    EXPECT_EQ(KvCache::bytes_per_token(c), 512u);
    EXPECT_EQ(KvCache::bytes_per_block(c), 2048u);
    c.dtype = DType::kQ8_0;  // a block of 32 is 34 bytes
    EXPECT_EQ(KvCache::bytes_per_token(c), 2u * 2 * 2 * 34);
    c.dtype = DType::kF32;
    EXPECT_EQ(KvCache::bytes_per_token(c), 1024u);
    EXPECT_EQ(KvCache::blocks_for_budget(c, 4096 * 10 + 5), 10);
    EXPECT_EQ(KvCache::blocks_for_budget(c, 100), 0);
    auto kv = make(c);
    EXPECT_EQ(kv->bytes_total(), 8u * 4096);
    EXPECT_EQ(kv->block_bytes(), 4u * 2 * 32 * 4);
}

TEST(KvCache, BlockAccounting) {
    auto kv = make(small_config());
    EXPECT_EQ(kv->free_blocks(), 8);
    ASSERT_TRUE(kv->add_sequence(3).ok());
    EXPECT_EQ(kv->add_sequence(3).code(), StatusCode::kAlreadyExists);
    EXPECT_EQ(kv->append(9, 1).code(), StatusCode::kNotFound);
    EXPECT_EQ(kv->append(3, -1).code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(kv->has_sequence(3));
    EXPECT_EQ(kv->length(3), 0);
    EXPECT_EQ(kv->blocks_needed(3, 5), 2);
    ASSERT_TRUE(kv->append(3, 5).ok());
    EXPECT_EQ(kv->length(3), 5);
    EXPECT_EQ(kv->used_blocks(), 2);
    ASSERT_TRUE(kv->append(3, 3).ok());  // fills the second block
    EXPECT_EQ(kv->used_blocks(), 2);
    EXPECT_EQ(kv->blocks_needed(3, 1), 1);
    ASSERT_TRUE(kv->append(3, 1).ok());
    EXPECT_EQ(kv->used_blocks(), 3);
    EXPECT_EQ(kv->free_blocks(), 5);
    ASSERT_TRUE(kv->append(3, 0).ok());
    EXPECT_EQ(kv->used_blocks(), 3);
    EXPECT_EQ(kv->block_table(3).size(), 3u);
    for (int32_t b : kv->block_table(3)) EXPECT_EQ(kv->ref_count(b), 1);
    kv->free_sequence(3);
    EXPECT_FALSE(kv->has_sequence(3));
    EXPECT_EQ(kv->free_blocks(), 8);
    kv->free_sequence(3);  // unknown: no-op
    EXPECT_EQ(kv->n_sequences(), 0u);
}

TEST(KvCache, ForkSharesThenCopyOnWrite) {
    auto kv = make(small_config());
    ASSERT_TRUE(kv->add_sequence(0).ok());
    ASSERT_TRUE(kv->append(0, 6).ok());
    for (int p = 0; p < 6; ++p) store_tag(*kv, 0, p, p);
    ASSERT_TRUE(kv->fork(0, 1).ok());
    EXPECT_EQ(kv->fork(0, 1).code(), StatusCode::kAlreadyExists);
    EXPECT_EQ(kv->fork(5, 2).code(), StatusCode::kNotFound);
    EXPECT_EQ(kv->length(1), 6);
    EXPECT_EQ(kv->used_blocks(), 2);
    for (int32_t b : kv->block_table(1)) EXPECT_EQ(kv->ref_count(b), 2);

    // The forked sequence's last block is shared and half full: appending copies it.
    EXPECT_EQ(kv->blocks_needed(1, 1), 1);
    ASSERT_TRUE(kv->append(1, 1).ok());
    EXPECT_EQ(kv->used_blocks(), 3);
    EXPECT_EQ(kv->block_table(1)[0], kv->block_table(0)[0]);
    EXPECT_NE(kv->block_table(1)[1], kv->block_table(0)[1]);
    EXPECT_EQ(kv->ref_count(kv->block_table(0)[0]), 2);
    EXPECT_EQ(kv->ref_count(kv->block_table(0)[1]), 1);
    for (int p = 0; p < 6; ++p) expect_tag(*kv, 1, p, p);
    store_tag(*kv, 1, 6, 100);

    // The original is now the only owner of its last block: no copy.
    EXPECT_EQ(kv->blocks_needed(0, 1), 0);
    ASSERT_TRUE(kv->append(0, 1).ok());
    EXPECT_EQ(kv->used_blocks(), 3);
    store_tag(*kv, 0, 6, 200);
    for (int p = 0; p < 6; ++p) {
        expect_tag(*kv, 0, p, p);
        expect_tag(*kv, 1, p, p);
    }
    expect_tag(*kv, 0, 6, 200);
    expect_tag(*kv, 1, 6, 100);

    kv->free_sequence(0);
    EXPECT_EQ(kv->used_blocks(), 2);
    EXPECT_EQ(kv->ref_count(kv->block_table(1)[0]), 1);
    for (int p = 0; p < 6; ++p) expect_tag(*kv, 1, p, p);
}

TEST(KvCache, ForkAtBlockBoundaryNeedsNoCopy) {
    auto kv = make(small_config());
    ASSERT_TRUE(kv->add_sequence(0).ok());
    ASSERT_TRUE(kv->append(0, 8).ok());
    ASSERT_TRUE(kv->fork(0, 1).ok());
    EXPECT_EQ(kv->blocks_needed(1, 1), 1);
    ASSERT_TRUE(kv->append(1, 1).ok());
    EXPECT_EQ(kv->used_blocks(), 3);
    EXPECT_EQ(kv->ref_count(kv->block_table(1)[1]), 2);
}

TEST(KvCache, TruncateReleasesWholeBlocks) {
    auto kv = make(small_config());
    ASSERT_TRUE(kv->add_sequence(0).ok());
    ASSERT_TRUE(kv->append(0, 10).ok());
    for (int p = 0; p < 10; ++p) store_tag(*kv, 0, p, p);
    ASSERT_TRUE(kv->fork(0, 1).ok());
    EXPECT_EQ(kv->truncate(0, 11).code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(kv->truncate(0, -1).code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(kv->truncate(4, 0).code(), StatusCode::kNotFound);
    ASSERT_TRUE(kv->truncate(0, 5).ok());  // keeps blocks 0 and 1, drops block 2's reference
    EXPECT_EQ(kv->length(0), 5);
    EXPECT_EQ(kv->block_table(0).size(), 2u);
    EXPECT_EQ(kv->used_blocks(), 3);  // seq 1 still holds block 2
    EXPECT_EQ(kv->ref_count(kv->block_table(1)[2]), 1);
    // Position 5 onwards in the shared block 1 belongs to seq 1: appending to seq 0 copies.
    EXPECT_EQ(kv->blocks_needed(0, 1), 1);
    ASSERT_TRUE(kv->append(0, 1).ok());
    store_tag(*kv, 0, 5, 55);
    expect_tag(*kv, 0, 5, 55);
    expect_tag(*kv, 1, 5, 5);
    for (int p = 0; p < 5; ++p) expect_tag(*kv, 0, p, p);
    ASSERT_TRUE(kv->truncate(1, 0).ok());
    EXPECT_EQ(kv->length(1), 0);
    EXPECT_TRUE(kv->block_table(1).empty());
    EXPECT_EQ(kv->used_blocks(), 2);
    kv->free_sequence(0);
    kv->free_sequence(1);
    EXPECT_EQ(kv->free_blocks(), 8);
}

TEST(KvCache, ExhaustionReturnsAnErrorAndChangesNothing) {
    auto kv = make(small_config(DType::kF32, 3));
    ASSERT_TRUE(kv->add_sequence(0).ok());
    ASSERT_TRUE(kv->append(0, 9).ok());  // 3 blocks, the last one 1/4 full
    const std::vector<int32_t> table(kv->block_table(0).begin(), kv->block_table(0).end());
    base::Status st = kv->append(0, 4);
    EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
    EXPECT_EQ(st.message(), "KV cache full: need 1 blocks, 0 free");
    EXPECT_EQ(kv->length(0), 9);
    EXPECT_EQ(kv->free_blocks(), 0);
    EXPECT_EQ(std::vector<int32_t>(kv->block_table(0).begin(), kv->block_table(0).end()), table);
    ASSERT_TRUE(kv->append(0, 3).ok());  // fits in the last block

    // Copy-on-write needs a block too.
    ASSERT_TRUE(kv->truncate(0, 6).ok());
    ASSERT_TRUE(kv->fork(0, 1).ok());
    EXPECT_EQ(kv->free_blocks(), 1);
    ASSERT_TRUE(kv->append(1, 1).ok());  // takes the last free block for the copy
    st = kv->append(0, 2);               // its block is no longer shared: fills it, no copy
    ASSERT_TRUE(st.ok()) << st.to_string();
    EXPECT_EQ(kv->free_blocks(), 0);
    ASSERT_TRUE(kv->fork(0, 2).ok());
    ASSERT_TRUE(kv->truncate(2, 7).ok());
    st = kv->append(2, 1);
    EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
    EXPECT_EQ(st.message(), "KV cache full: need 1 blocks, 0 free");
    EXPECT_EQ(kv->length(2), 7);
}

TEST(KvCache, SharePrefix) {
    auto kv = make(small_config());
    ASSERT_TRUE(kv->add_sequence(0).ok());
    ASSERT_TRUE(kv->append(0, 9).ok());
    for (int p = 0; p < 9; ++p) store_tag(*kv, 0, p, p);
    ASSERT_TRUE(kv->add_sequence(1).ok());
    EXPECT_EQ(kv->share_prefix(0, 1, 3).code(), StatusCode::kInvalidArgument);  // 2 full
    EXPECT_EQ(kv->share_prefix(0, 7, 1).code(), StatusCode::kNotFound);
    ASSERT_TRUE(kv->share_prefix(0, 1, 2).ok());
    EXPECT_EQ(kv->length(1), 8);
    EXPECT_EQ(kv->used_blocks(), 3);
    EXPECT_EQ(kv->share_prefix(0, 1, 1).code(), StatusCode::kInvalidArgument);  // not empty
    ASSERT_TRUE(kv->append(1, 2).ok());
    EXPECT_EQ(kv->used_blocks(), 4);
    store_tag(*kv, 1, 8, 80);
    store_tag(*kv, 1, 9, 90);
    for (int p = 0; p < 8; ++p) expect_tag(*kv, 1, p, p);
    expect_tag(*kv, 0, 8, 8);
    expect_tag(*kv, 1, 8, 80);
}

class KvCacheDTypeTest : public ::testing::TestWithParam<DType> {};

TEST_P(KvCacheDTypeTest, StoreReadRoundTrip) {
    const KvCacheConfig c = small_config(GetParam());
    auto kv = make(c);
    ASSERT_TRUE(kv->add_sequence(0).ok());
    ASSERT_TRUE(kv->append(0, 7).ok());
    base::Rng rng(42);
    const size_t n = static_cast<size_t>(c.n_kv_heads * c.head_dim);
    std::map<std::pair<int, int>, std::vector<float>> keys, values;
    for (int l = 0; l < c.n_layers; ++l) {
        for (int p = 0; p < 7; ++p) {
            std::vector<float> k(n), v(n);
            for (size_t j = 0; j < n; ++j) {
                k[j] = static_cast<float>(rng.normal());
                v[j] = static_cast<float>(rng.normal());
            }
            kv->store(l, 0, p, k.data(), v.data());
            keys[{l, p}] = k;
            values[{l, p}] = v;
        }
    }
    const float tol = GetParam() == DType::kF32 ? 0.0f : GetParam() == DType::kF16 ? 2e-3f : 0.03f;
    for (int l = 0; l < c.n_layers; ++l) {
        for (int p = 0; p < 7; ++p) {
            const std::vector<float> k = read_row(*kv, l, 0, p, false);
            const std::vector<float> v = read_row(*kv, l, 0, p, true);
            for (size_t j = 0; j < n; ++j) {
                EXPECT_NEAR(k[j], (keys[{l, p}][j]), tol) << l << " " << p << " " << j;
                EXPECT_NEAR(v[j], (values[{l, p}][j]), tol) << l << " " << p << " " << j;
            }
            // k_slot is where store wrote.
            std::vector<uint8_t> expect(tensor::row_bytes(c.dtype, static_cast<int64_t>(n)));
            tensor::quantize_row(c.dtype, keys[{l, p}].data(), expect.data(),
                                 static_cast<int64_t>(n));
            EXPECT_TRUE(std::equal(expect.begin(), expect.end(), kv->k_slot(l, 0, p)));
        }
    }
    const kernels::KvBlocks view = kv->blocks(1, 0, 2, 7);
    EXPECT_EQ(view.begin, 2);
    EXPECT_EQ(view.end, 7);
    EXPECT_EQ(view.dtype, c.dtype);
    EXPECT_EQ(view.block_size, 4);
    EXPECT_EQ(view.block_bytes, kv->block_bytes());
    EXPECT_EQ(view.block_bytes, 4 * tensor::row_bytes(c.dtype, static_cast<int64_t>(n)));
}

INSTANTIATE_TEST_SUITE_P(AllDTypes, KvCacheDTypeTest,
                         ::testing::Values(DType::kF32, DType::kF16, DType::kQ8_0),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

// A random walk of operations against a plain model: each sequence is a vector of the tags
// stored at its positions. After every step the contents and the block accounting must agree.
TEST(KvCache, RandomOperationsMatchAModel) {
    KvCacheConfig c = small_config(DType::kF32, 24);
    c.head_dim = 4;
    c.block_size = 3;
    auto kv = make(c);
    std::map<int, std::vector<int>> model;
    base::Rng rng(7);
    int next_tag = 1;
    int exhausted = 0, forks = 0, copies = 0;
    for (int step = 0; step < 1500; ++step) {
        const int seq = static_cast<int>(rng.below(6));
        const bool exists = model.count(seq) != 0;
        const int op = static_cast<int>(rng.below(10));
        if (!exists) {
            if (op < 6) {
                ASSERT_TRUE(kv->add_sequence(seq).ok());
                model[seq] = {};
            } else if (!model.empty()) {
                const int src =
                    std::next(model.begin(), static_cast<long>(rng.below(model.size())))->first;
                const int full = static_cast<int>(model[src].size()) / c.block_size;
                if (op < 8) {
                    ASSERT_TRUE(kv->fork(src, seq).ok());
                    model[seq] = model[src];
                    ++forks;
                } else {
                    ASSERT_TRUE(kv->add_sequence(seq).ok());
                    const int n = full == 0 ? 0 : static_cast<int>(rng.below(full + 1));
                    ASSERT_TRUE(kv->share_prefix(src, seq, n).ok());
                    model[seq].assign(model[src].begin(), model[src].begin() + n * c.block_size);
                }
            }
        } else if (op < 5) {
            const int n = static_cast<int>(rng.below(7));
            const int64_t need = kv->blocks_needed(seq, n);
            const int64_t free_before = kv->free_blocks();
            const std::vector<int32_t> table(kv->block_table(seq).begin(),
                                             kv->block_table(seq).end());
            const base::Status st = kv->append(seq, n);
            if (need > free_before) {
                ASSERT_EQ(st.code(), StatusCode::kResourceExhausted);
                ASSERT_EQ(kv->free_blocks(), free_before);
                ASSERT_EQ(
                    std::vector<int32_t>(kv->block_table(seq).begin(), kv->block_table(seq).end()),
                    table);
                ++exhausted;
            } else {
                ASSERT_TRUE(st.ok()) << st.to_string();
                ASSERT_EQ(kv->free_blocks(), free_before - need);
                if (!table.empty() && table.back() != kv->block_table(seq)[table.size() - 1]) {
                    ++copies;
                }
                for (int i = 0; i < n; ++i) {
                    const int pos = static_cast<int>(model[seq].size());
                    model[seq].push_back(next_tag);
                    store_tag(*kv, seq, pos, next_tag++);
                }
            }
        } else if (op < 7) {
            const int n = static_cast<int>(rng.below(model[seq].size() + 1));
            ASSERT_TRUE(kv->truncate(seq, n).ok());
            model[seq].resize(static_cast<size_t>(n));
        } else if (op < 8) {
            kv->free_sequence(seq);
            model.erase(seq);
        }
        // Contents.
        for (const auto& [s, tags] : model) {
            ASSERT_EQ(kv->length(s), static_cast<int>(tags.size()));
            ASSERT_EQ(kv->block_table(s).size(), (tags.size() + 2) / 3);
            for (size_t p = 0; p < tags.size(); ++p) {
                const std::vector<float> k = read_row(*kv, 1, s, static_cast<int>(p), false);
                ASSERT_EQ(k, tagged_row(c, tags[p] * 8 + 1, false)) << "step " << step;
            }
        }
        // Accounting: a block's references are the tables that list it.
        std::map<int32_t, int> refs;
        for (const auto& [s, tags] : model) {
            for (int32_t b : kv->block_table(s)) ++refs[b];
        }
        ASSERT_EQ(kv->used_blocks(), static_cast<int64_t>(refs.size()));
        for (int32_t b = 0; b < c.n_blocks; ++b) {
            ASSERT_EQ(kv->ref_count(b), refs.count(b) ? refs[b] : 0) << "block " << b;
        }
    }
    // The walk must have exercised the interesting paths.
    EXPECT_GT(exhausted, 10);
    EXPECT_GT(forks, 10);
    EXPECT_GT(copies, 5);
}

}  // namespace
}  // namespace jenny::model
