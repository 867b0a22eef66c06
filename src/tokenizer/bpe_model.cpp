#include "tokenizer/bpe_model.h"

#include <atomic>
#include <queue>

#include "tokenizer/unicode.h"

namespace jenny::tokenizer {
namespace {

inline uint64_t pair_key(TokenId a, TokenId b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}

inline uint64_t mix(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return k;
}

}  // namespace

const BpeModel::MergeSlot* BpeModel::find_merge(TokenId left, TokenId right) const {
    if (merges_.empty()) return nullptr;
    const uint64_t key = pair_key(left, right);
    for (uint64_t i = mix(key) & mask_;; i = (i + 1) & mask_) {
        const MergeSlot& s = merges_[i];
        if (s.key == key) return &s;
        if (s.key == kEmpty) return nullptr;
    }
}

void BpeModel::insert_merge(TokenId left, TokenId right, int32_t rank, TokenId merged) {
    const uint64_t key = pair_key(left, right);
    for (uint64_t i = mix(key) & mask_;; i = (i + 1) & mask_) {
        MergeSlot& s = merges_[i];
        if (s.key == key) return;  // a duplicate merge keeps its first (lowest) rank
        if (s.key == kEmpty) {
            s = {key, rank, merged};
            return;
        }
    }
}

base::Result<BpeModel> BpeModel::build(
    PieceMap vocab, const std::vector<std::pair<std::string, std::string>>& merges,
    const BpeOptions& options) {
    static std::atomic<uint64_t> next_uid{1};
    BpeModel m;
    m.uid_ = next_uid++;
    m.options_ = options;
    size_t cap = 16;
    while (cap < merges.size() * 2 + 16) cap <<= 1;
    m.merges_.assign(cap, MergeSlot{});
    m.mask_ = cap - 1;
    for (const auto& [key, id] : vocab) m.table_.add(key, id);
    m.table_.finish();
    std::string joined;
    for (size_t r = 0; r < merges.size(); ++r) {
        const auto& [a, b] = merges[r];
        joined.assign(a).append(b);
        auto ia = m.table_.find(a), ib = m.table_.find(b);
        auto im = m.table_.find(joined);
        if (!ia || !ib || !im) {
            return base::Status::invalid_argument(
                fmt::format("merge {} ({:?} + {:?}): {} is not in the vocabulary", r, a, b,
                            !ia   ? fmt::format("{:?}", a)
                            : !ib ? fmt::format("{:?}", b)
                                  : fmt::format("{:?}", a + b)));
        }
        m.insert_merge(*ia, *ib, static_cast<int32_t>(r), *im);
    }
    m.byte_ids_.fill(-1);
    m.fallback_ids_.fill(-1);
    for (int b = 0; b < 256; ++b) {
        if (options.byte_level) {
            std::string raw(1, static_cast<char>(b));
            if (auto id = m.table_.find(raw)) m.byte_ids_[static_cast<size_t>(b)] = *id;
        }
        if (auto id = m.table_.find(fmt::format("<0x{:02X}>", b))) {
            m.fallback_ids_[static_cast<size_t>(b)] = *id;
        }
    }
    return m;
}

namespace {

// A per-thread direct-mapped cache of short words' ids: natural text repeats its words, and a
// hit skips the whole merge loop (Hugging Face's BPE keeps a cache for the same reason).
struct WordCacheEntry {
    uint64_t owner = 0;  // BpeModel::uid_: unlike an address, never reused by a later model
    uint64_t hash = 0;
    std::string word;
    std::vector<TokenId> ids;
};
constexpr size_t kWordCacheSize = 8192;
constexpr size_t kWordCacheMaxLen = 48;

}  // namespace

void BpeModel::encode_word(std::string_view word, std::vector<TokenId>* out) const {
    if (word.empty()) return;
    if (word.size() > kWordCacheMaxLen) {
        encode_word_uncached(word, out);
        return;
    }
    thread_local std::vector<WordCacheEntry> cache(kWordCacheSize);
    const uint64_t h = PieceTable::hash(word);
    WordCacheEntry& e = cache[h & (kWordCacheSize - 1)];
    if (e.owner == uid_ && e.hash == h && e.word == word) {
        out->insert(out->end(), e.ids.begin(), e.ids.end());
        return;
    }
    const size_t start = out->size();
    encode_word_uncached(word, out);
    e.owner = uid_;
    e.hash = h;
    e.word.assign(word);
    e.ids.assign(out->begin() + static_cast<std::ptrdiff_t>(start), out->end());
}

void BpeModel::encode_word_uncached(std::string_view word, std::vector<TokenId>* out) const {
    if (options_.ignore_merges) {
        if (auto id = table_.find(word)) {
            out->push_back(*id);
            return;
        }
    }
    std::vector<TokenId> ids;
    ids.reserve(word.size());
    bool last_unk = false;
    auto push_unknown = [&]() {
        if (!options_.unk) return;  // without an unknown token the character is dropped
        if (options_.fuse_unk && last_unk) return;
        ids.push_back(*options_.unk);
        last_unk = true;
    };
    if (options_.byte_level) {
        for (unsigned char c : word) {
            TokenId id = byte_ids_[c];
            if (id >= 0) {
                ids.push_back(id);
                last_unk = false;
            } else {
                push_unknown();
            }
        }
    } else {
        size_t pos = 0;
        while (pos < word.size()) {
            size_t len = utf8_len(static_cast<unsigned char>(word[pos]));
            if (pos + len > word.size()) len = word.size() - pos;
            std::string_view ch = word.substr(pos, len);
            pos += len;
            if (auto id = table_.find(ch)) {
                ids.push_back(*id);
                last_unk = false;
                continue;
            }
            if (options_.byte_fallback) {
                bool all = true;
                for (unsigned char c : ch) all = all && fallback_ids_[c] >= 0;
                if (all) {
                    for (unsigned char c : ch) ids.push_back(fallback_ids_[c]);
                    last_unk = false;
                    continue;
                }
            }
            push_unknown();
        }
    }
    merge_symbols(ids, out);
}

// Applies merges until none applies. Short words scan for the best pair each round; long
// ones (whole SentencePiece lines) use a heap over a linked list so cost stays O(n log n).
void BpeModel::merge_symbols(std::vector<TokenId>& ids, std::vector<TokenId>* out) const {
    const size_t n = ids.size();
    if (n < 2 || merges_.empty()) {
        out->insert(out->end(), ids.begin(), ids.end());
        return;
    }
    if (n <= 256) {
        // Ranks of adjacent pairs, updated only beside each merge: O(n) lookups, and a linear
        // scan for the best pair that beats a heap for words this short.
        std::vector<TokenId>& s = ids;
        thread_local std::vector<int32_t> rank_buf(256);
        thread_local std::vector<TokenId> merged_buf(256);
        int32_t* rank = rank_buf.data();
        TokenId* merged = merged_buf.data();
        auto look = [&](size_t i) {
            const MergeSlot* m = find_merge(s[i], s[i + 1]);
            rank[i] = m ? m->rank : INT32_MAX;
            merged[i] = m ? m->merged : 0;
        };
        size_t len = s.size();
        for (size_t i = 0; i + 1 < len; ++i) look(i);
        while (len > 1) {
            size_t best = 0;
            for (size_t i = 1; i + 1 < len; ++i) {
                if (rank[i] < rank[best]) best = i;
            }
            if (rank[best] == INT32_MAX) break;
            s[best] = merged[best];
            for (size_t i = best + 1; i + 1 < len; ++i) {
                s[i] = s[i + 1];
                rank[i] = rank[i + 1];
                merged[i] = merged[i + 1];
            }
            --len;
            if (best > 0) look(best - 1);
            if (best + 1 < len) look(best);
        }
        out->insert(out->end(), s.begin(), s.begin() + static_cast<std::ptrdiff_t>(len));
        return;
    }

    struct Sym {
        TokenId id;
        int32_t prev, next;
        bool alive;
    };
    std::vector<Sym> sym(n);
    for (size_t i = 0; i < n; ++i) {
        sym[i] = {ids[i], static_cast<int32_t>(i) - 1, i + 1 < n ? static_cast<int32_t>(i + 1) : -1,
                  true};
    }
    struct Cand {
        int32_t rank, pos;
        TokenId left, right, merged;
        bool operator>(const Cand& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
    };
    std::priority_queue<Cand, std::vector<Cand>, std::greater<Cand>> heap;
    auto consider = [&](int32_t pos) {
        if (pos < 0) return;
        int32_t nx = sym[static_cast<size_t>(pos)].next;
        if (nx < 0) return;
        TokenId l = sym[static_cast<size_t>(pos)].id, r = sym[static_cast<size_t>(nx)].id;
        if (const MergeSlot* m = find_merge(l, r)) heap.push({m->rank, pos, l, r, m->merged});
    };
    for (size_t i = 0; i + 1 < n; ++i) consider(static_cast<int32_t>(i));
    while (!heap.empty()) {
        Cand c = heap.top();
        heap.pop();
        Sym& left = sym[static_cast<size_t>(c.pos)];
        if (!left.alive || left.id != c.left || left.next < 0) continue;
        Sym& right = sym[static_cast<size_t>(left.next)];
        if (right.id != c.right) continue;
        left.id = c.merged;
        right.alive = false;
        left.next = right.next;
        if (right.next >= 0) sym[static_cast<size_t>(right.next)].prev = c.pos;
        consider(left.prev);
        consider(c.pos);
    }
    for (int32_t i = 0; i >= 0; i = sym[static_cast<size_t>(i)].next)
        out->push_back(sym[static_cast<size_t>(i)].id);
}

}  // namespace jenny::tokenizer
