#include "tokenizer/bpe_merger.h"

#include <algorithm>
#include <optional>
#include <queue>
#include <unordered_map>

#include "jenny/base/check.h"
#include "jenny/base/progress.h"
#include "tokenizer/unicode.h"

namespace jenny::tokenizer {
namespace {

constexpr uint32_t kNone = UINT32_MAX;

uint64_t pair_key(uint32_t a, uint32_t b) { return (uint64_t{a} << 32) | b; }

// What the trainer tracks per adjacent pair of symbols.
struct PairStat {
    int64_t count = 0;  // occurrences over all words, weighted by word counts
    uint32_t a = 0, b = 0;
    uint32_t last_word = kNone;    // the word last appended to `where`, to skip repeats
    uint32_t queued_step = kNone;  // the merge step that last queued this pair for the heap
    // Words that contain (or once contained) the pair; stale entries are harmless because
    // merging a word that lacks the pair changes nothing.
    std::vector<uint32_t> where;
};

// Open-addressing map from pair_key to an index into the PairStat table.
class PairIndex {
public:
    PairIndex() : keys_(1 << 16, kEmpty), vals_(1 << 16, 0) {}

    // The index for `key`, inserting `fresh` when absent; *inserted says which.
    uint32_t find_or_insert(uint64_t key, uint32_t fresh, bool* inserted) {
        if ((size_ + 1) * 2 > keys_.size()) grow();
        size_t i = slot(key);
        if (keys_[i] == key) {
            *inserted = false;
            return vals_[i];
        }
        keys_[i] = key;
        vals_[i] = fresh;
        ++size_;
        *inserted = true;
        return fresh;
    }

private:
    static constexpr uint64_t kEmpty = UINT64_MAX;  // ids never reach 2^32 - 1

    size_t slot(uint64_t key) const {
        const size_t mask = keys_.size() - 1;
        size_t i = (key * 0x9E3779B97F4A7C15ull) >> 20 & mask;
        while (keys_[i] != kEmpty && keys_[i] != key) i = (i + 1) & mask;
        return i;
    }

    void grow() {
        std::vector<uint64_t> old_keys(keys_.size() * 2, kEmpty);
        std::vector<uint32_t> old_vals(vals_.size() * 2, 0);
        old_keys.swap(keys_);
        old_vals.swap(vals_);
        for (size_t j = 0; j < old_keys.size(); ++j) {
            if (old_keys[j] == kEmpty) continue;
            size_t i = slot(old_keys[j]);
            keys_[i] = old_keys[j];
            vals_[i] = old_vals[j];
        }
    }

    std::vector<uint64_t> keys_;
    std::vector<uint32_t> vals_;
    size_t size_ = 0;
};

// A heap entry: the pair's count when it was queued. Entries go stale as counts change; a
// popped entry whose count differs from the current one is re-queued with the current count.
struct Candidate {
    int64_t count;
    uint32_t a, b;
    uint32_t pair;  // index into the PairStat table

    // Priority order: higher count first, then the smaller (a, b) (Hugging Face's rule).
    bool operator<(const Candidate& o) const {
        if (count != o.count) return count < o.count;
        return pair_key(a, b) > pair_key(o.a, o.b);
    }
};

class Merger {
public:
    explicit Merger(const std::vector<WordCount>& words) {
        std::array<uint32_t, 256> id_of_byte{};
        for (int id = 0; id < 256; ++id) id_of_byte[byte_token_order()[id]] = id;
        for (const WordCount& w : words) {
            if (w.word.size() < 2) continue;  // a single symbol has no pairs
            begin_.push_back(symbols_.size());
            len_.push_back(static_cast<uint32_t>(w.word.size()));
            count_.push_back(static_cast<int64_t>(w.count));
            for (unsigned char c : w.word) symbols_.push_back(id_of_byte[c]);
        }
        seen_step_.assign(len_.size(), kNone);
        step_ = 0;
        for (uint32_t w = 0; w < len_.size(); ++w) {
            const uint32_t* s = &symbols_[begin_[w]];
            for (uint32_t i = 0; i + 1 < len_[w]; ++i) add_pair(s[i], s[i + 1], count_[w], w);
        }
        for (uint32_t p : queued_) {
            heap_.push({pairs_[p].count, pairs_[p].a, pairs_[p].b, p});
        }
        queued_.clear();
    }

    // Pops the best valid pair with count >= min_count, or nullopt when none is left.
    std::optional<Candidate> next(int64_t min_count) {
        while (!heap_.empty()) {
            Candidate top = heap_.top();
            heap_.pop();
            const PairStat& p = pairs_[top.pair];
            if (p.count != top.count) {
                if (p.count > 0) heap_.push({p.count, p.a, p.b, top.pair});
                continue;
            }
            if (top.count < min_count || top.count <= 0) return std::nullopt;
            return top;
        }
        return std::nullopt;
    }

    // Replaces every (a, b) by z in the words holding it, updating pair counts incrementally.
    void merge(const Candidate& c, uint32_t z) {
        ++step_;
        std::vector<uint32_t> where = std::move(pairs_[c.pair].where);
        pairs_[c.pair].where = {};
        pairs_[c.pair].last_word = kNone;  // a reused token may form the pair again later
        for (uint32_t w : where) {
            if (seen_step_[w] == step_) continue;
            seen_step_[w] = step_;
            merge_word(w, c.a, c.b, z);
        }
        JENNY_CHECK(pairs_[c.pair].count == 0, "pair count after its merge: {}",
                    pairs_[c.pair].count);
        for (uint32_t p : queued_) {
            if (pairs_[p].count > 0) heap_.push({pairs_[p].count, pairs_[p].a, pairs_[p].b, p});
        }
        queued_.clear();
    }

private:
    void merge_word(uint32_t w, uint32_t a, uint32_t b, uint32_t z) {
        uint32_t* s = &symbols_[begin_[w]];
        const uint32_t n = len_[w];
        const int64_t c = count_[w];
        uint32_t r = 0, out = 0;
        while (r < n) {
            if (r + 1 < n && s[r] == a && s[r + 1] == b) {
                // The left neighbour is already final (it may be a z merged just before).
                if (out > 0) {
                    add_pair(s[out - 1], a, -c, w);
                    add_pair(s[out - 1], z, c, w);
                }
                add_pair(a, b, -c, w);
                if (r + 2 < n) {
                    add_pair(b, s[r + 2], -c, w);
                    add_pair(z, s[r + 2], c, w);
                }
                s[out++] = z;
                r += 2;
            } else {
                s[out++] = s[r++];
            }
        }
        len_[w] = out;
    }

    void add_pair(uint32_t a, uint32_t b, int64_t delta, uint32_t w) {
        bool inserted = false;
        uint32_t p =
            index_.find_or_insert(pair_key(a, b), static_cast<uint32_t>(pairs_.size()), &inserted);
        if (inserted) {
            pairs_.emplace_back();
            pairs_.back().a = a;
            pairs_.back().b = b;
        }
        PairStat& st = pairs_[p];
        st.count += delta;
        if (delta > 0) {
            if (st.last_word != w) {
                st.where.push_back(w);
                st.last_word = w;
            }
            if (st.queued_step != step_) {
                st.queued_step = step_;
                queued_.push_back(p);
            }
        }
    }

    std::vector<uint32_t> symbols_;  // every word's symbols, back to back
    std::vector<size_t> begin_;      // word -> offset in symbols_
    std::vector<uint32_t> len_;      // word -> current number of symbols
    std::vector<int64_t> count_;     // word -> occurrences in the text
    std::vector<uint32_t> seen_step_;
    uint32_t step_ = 0;
    std::vector<PairStat> pairs_;
    PairIndex index_;
    std::vector<uint32_t> queued_;  // pairs whose count rose in this step
    std::priority_queue<Candidate> heap_;
};

}  // namespace

const std::array<uint8_t, 256>& byte_token_order() {
    static const std::array<uint8_t, 256> order = [] {
        std::array<uint8_t, 256> o{};
        for (int b = 0; b < 256; ++b) o[b] = static_cast<uint8_t>(b);
        std::sort(o.begin(), o.end(),
                  [](uint8_t x, uint8_t y) { return byte_to_unicode(x) < byte_to_unicode(y); });
        return o;
    }();
    return order;
}

BpeMerges learn_bpe_merges(const std::vector<WordCount>& words, const BpeMergeOptions& options,
                           base::Env* env) {
    BpeMerges out;
    std::unordered_map<std::string, int32_t> ids;
    for (int id = 0; id < 256; ++id) {
        out.tokens.emplace_back(1, static_cast<char>(byte_token_order()[id]));
        ids.emplace(out.tokens.back(), id);
    }
    Merger merger(words);
    std::optional<base::Progress> progress;
    if (options.progress) {
        base::ProgressOptions po;
        po.unit = "tok";
        progress.emplace("learn merges", std::max<int64_t>(0, options.max_tokens - 256), po, env);
    }
    const int64_t min_count = std::max<int64_t>(1, options.min_frequency);
    while (static_cast<int64_t>(out.tokens.size()) < options.max_tokens) {
        std::optional<Candidate> best = merger.next(min_count);
        if (!best) break;
        std::string merged = out.tokens[best->a] + out.tokens[best->b];
        auto [it, added] = ids.emplace(std::move(merged), static_cast<int32_t>(out.tokens.size()));
        if (added) {
            out.tokens.push_back(it->first);
            if (progress) progress->add(1);
        }
        out.merges.emplace_back(static_cast<int32_t>(best->a), static_cast<int32_t>(best->b));
        merger.merge(*best, static_cast<uint32_t>(it->second));
    }
    if (progress) progress->finish();
    return out;
}

}  // namespace jenny::tokenizer
