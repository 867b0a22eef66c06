#include "tokenizer/bpe_word_counter.h"
#include "jenny/base/utf8.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>

#include "jenny/base/progress.h"
#include "jenny/base/thread_pool.h"
#include "tokenizer/unicode.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace jenny::tokenizer {
namespace {

// An open-addressing map from a piece (a view into the mapped input, which outlives the map)
// to its count. Counting tens of millions of short pieces is dominated by this map, and a flat
// table with the hash stored beside the key is several times faster than std::unordered_map.
class PieceCounter {
public:
    PieceCounter() { slots_.resize(kInitialCapacity); }

    void add(std::string_view piece, uint64_t n) {
        const uint64_t h = XXH3_64bits(piece.data(), piece.size());
        if ((size_ + 1) * 2 > slots_.size()) grow();
        Slot* s = probe(piece, h);
        if (s->data == nullptr) {
            s->data = piece.data();
            s->len = static_cast<uint32_t>(piece.size());
            s->hash = h;
            ++size_;
        }
        s->count += n;
    }

    size_t size() const { return size_; }

    template <class F>
    void for_each(F&& f) const {
        for (const Slot& s : slots_) {
            if (s.data != nullptr) f(std::string_view(s.data, s.len), s.count);
        }
    }

private:
    static constexpr size_t kInitialCapacity = 1 << 16;
    struct Slot {
        const char* data = nullptr;
        uint32_t len = 0;
        uint64_t hash = 0;
        uint64_t count = 0;
    };

    Slot* probe(std::string_view piece, uint64_t h) {
        const size_t mask = slots_.size() - 1;
        for (size_t i = h & mask;; i = (i + 1) & mask) {
            Slot& s = slots_[i];
            if (s.data == nullptr) return &s;
            if (s.hash == h && s.len == piece.size() &&
                std::memcmp(s.data, piece.data(), piece.size()) == 0) {
                return &s;
            }
        }
    }

    void grow() {
        std::vector<Slot> old(slots_.size() * 2);
        old.swap(slots_);
        const size_t mask = slots_.size() - 1;
        for (const Slot& s : old) {
            if (s.data == nullptr) continue;
            size_t i = s.hash & mask;
            while (slots_[i].data != nullptr) i = (i + 1) & mask;
            slots_[i] = s;
        }
    }

    std::vector<Slot> slots_;
    size_t size_ = 0;
};

struct Chunk {
    size_t file = 0;
    size_t begin = 0;
    size_t end = 0;
};

// What one chunk produced besides counts.
struct ChunkOutcome {
    base::Status status;
    int64_t skipped = 0;
};

bool is_break_follower(unsigned char c) { return c > 0x20 && c < 0x7F; }

// Per-thread state: the counts and the match buffer, reused across chunks.
struct Worker {
    PieceCounter counts;
    std::vector<std::pair<size_t, size_t>> matches;
    int64_t pieces = 0;
};

class ChunkCounter {
public:
    explicit ChunkCounter(const WordCounterOptions& options) : options_(options) {}

    // Counts `text` (a chunk starting at byte `offset` of file `path`).
    ChunkOutcome count(std::string_view text, const std::string& path, size_t offset,
                       Worker* w) const {
        ChunkOutcome out;
        size_t pos = 0;
        while (pos < text.size()) {
            std::string_view rest = text.substr(pos);
            size_t bad = base::find_invalid_utf8(rest);
            if (bad == std::string_view::npos) {
                count_valid(rest, w);
                break;
            }
            if (!options_.skip_invalid_utf8) {
                out.status = base::Status::corruption(fmt::format(
                    "{}: invalid UTF-8 at byte offset {}; convert the file to UTF-8 (e.g. with "
                    "iconv) or set invalid_utf8: skip to drop such lines",
                    path, offset + pos + bad));
                return out;
            }
            size_t line_begin = rest.rfind('\n', bad);
            line_begin = line_begin == std::string_view::npos ? 0 : line_begin + 1;
            size_t line_end = rest.find('\n', bad);
            line_end = line_end == std::string_view::npos ? rest.size() : line_end + 1;
            count_valid(rest.substr(0, line_begin), w);
            out.skipped += static_cast<int64_t>(line_end - line_begin);
            pos += line_end;
        }
        return out;
    }

private:
    // Splits valid UTF-8 around the special tokens' strings and counts the pieces between.
    void count_valid(std::string_view text, Worker* w) const {
        const auto& specials = options_.special_tokens;
        if (specials.empty()) {
            count_pieces(text, w);
            return;
        }
        std::vector<size_t> next(specials.size());
        for (size_t i = 0; i < specials.size(); ++i) next[i] = text.find(specials[i]);
        size_t pos = 0;
        for (;;) {
            // The earliest occurrence; the longest special when two start at the same byte.
            size_t best = specials.size();
            for (size_t i = 0; i < specials.size(); ++i) {
                if (next[i] == std::string_view::npos) continue;
                if (best == specials.size() || next[i] < next[best] ||
                    (next[i] == next[best] && specials[i].size() > specials[best].size())) {
                    best = i;
                }
            }
            if (best == specials.size()) {
                count_pieces(text.substr(pos), w);
                return;
            }
            count_pieces(text.substr(pos, next[best] - pos), w);
            pos = next[best] + specials[best].size();
            for (size_t i = 0; i < specials.size(); ++i) {
                if (next[i] != std::string_view::npos && next[i] < pos) {
                    next[i] = text.find(specials[i], pos);
                }
            }
        }
    }

    void count_pieces(std::string_view text, Worker* w) const {
        if (text.empty()) return;
        w->matches.clear();
        options_.regex->find_all(text, &w->matches);
        size_t pos = 0;
        for (auto [b, e] : w->matches) {
            if (b > pos) add(text.substr(pos, b - pos), w);  // a gap is a piece (Isolated)
            add(text.substr(b, e - b), w);
            pos = e;
        }
        if (pos < text.size()) add(text.substr(pos), w);
    }

    static void add(std::string_view piece, Worker* w) {
        w->counts.add(piece, 1);
        ++w->pieces;
    }

    const WordCounterOptions& options_;
};

// Appends the files under `path` (itself when it is not a directory), in name order.
base::Status expand_input(const std::string& path, base::Env* env, std::vector<std::string>* out) {
    base::Result<std::vector<std::string>> entries = env->list_dir(path);
    if (!entries.ok()) {
        if (!env->file_exists(path)) {
            return base::Status::not_found(
                fmt::format("input {} does not exist; check the --input path", path));
        }
        out->push_back(path);
        return base::Status();
    }
    for (const std::string& name : *entries) {
        if (name == "." || name == "..") continue;
        JENNY_RETURN_IF_ERROR(expand_input(path + "/" + name, env, out));
    }
    return base::Status();
}

}  // namespace

std::vector<size_t> chunk_boundaries(std::string_view text, size_t chunk_bytes) {
    std::vector<size_t> cuts = {0};
    if (chunk_bytes == 0) chunk_bytes = 1;
    size_t pos = chunk_bytes;
    while (pos < text.size()) {
        size_t cut = std::string_view::npos;
        for (size_t nl = text.find('\n', pos - 1); nl != std::string_view::npos;
             nl = text.find('\n', nl + 1)) {
            if (nl + 1 < text.size() &&
                is_break_follower(static_cast<unsigned char>(text[nl + 1]))) {
                cut = nl + 1;
                break;
            }
        }
        if (cut == std::string_view::npos) break;
        cuts.push_back(cut);
        pos = cut + chunk_bytes;
    }
    if (cuts.back() != text.size()) cuts.push_back(text.size());
    return cuts;
}

base::Result<WordCounts> count_words(const std::vector<std::string>& inputs,
                                     const WordCounterOptions& options, base::Env* env) {
    std::vector<std::string> files;
    for (const std::string& in : inputs) JENNY_RETURN_IF_ERROR(expand_input(in, env, &files));

    // Map the files and plan the chunks, honouring max_input_bytes.
    std::vector<std::unique_ptr<base::MappedFile>> maps;
    std::vector<Chunk> chunks;
    WordCounts result;
    uint64_t budget =
        options.max_input_bytes > 0 ? static_cast<uint64_t>(options.max_input_bytes) : UINT64_MAX;
    for (size_t f = 0; f < files.size() && budget > 0; ++f) {
        base::Result<std::unique_ptr<base::MappedFile>> map = env->map_file(files[f]);
        if (!map.ok()) return map.status().with_context("reading training input");
        std::string_view text(reinterpret_cast<const char*>((*map)->data()), (*map)->size());
        if (text.size() > budget) {
            // Stop at the last line break within the budget, else at a character boundary.
            size_t cut = text.rfind('\n', budget - 1);
            cut = cut == std::string_view::npos ? budget : cut + 1;
            while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
            text = text.substr(0, cut);
            budget = 0;
        } else {
            budget -= text.size();
        }
        maps.push_back(std::move(*map));
        ++result.input_files;
        result.input_bytes += static_cast<int64_t>(text.size());
        if (text.empty()) continue;
        std::vector<size_t> cuts = chunk_boundaries(text, options.chunk_bytes);
        for (size_t i = 0; i + 1 < cuts.size(); ++i) chunks.push_back({f, cuts[i], cuts[i + 1]});
    }

    const int threads = std::max(1, options.threads);
    std::vector<Worker> workers(static_cast<size_t>(threads));
    std::vector<ChunkOutcome> outcomes(chunks.size());
    ChunkCounter counter(options);
    std::optional<base::Progress> progress;
    if (options.progress) {
        base::ProgressOptions po;
        po.unit = "B";
        progress.emplace("count words", result.input_bytes, po, env);
    }
    std::mutex progress_mu;
    std::atomic<size_t> next_chunk{0};
    auto work = [&](int64_t slot_begin, int64_t slot_end) {
        for (int64_t slot = slot_begin; slot < slot_end; ++slot) {
            Worker* w = &workers[static_cast<size_t>(slot)];
            for (size_t c = next_chunk++; c < chunks.size(); c = next_chunk++) {
                const Chunk& ch = chunks[c];
                std::string_view text(
                    reinterpret_cast<const char*>(maps[ch.file]->data()) + ch.begin,
                    ch.end - ch.begin);
                outcomes[c] = counter.count(text, files[ch.file], ch.begin, w);
                if (progress) {
                    std::lock_guard<std::mutex> lock(progress_mu);
                    progress->add(static_cast<int64_t>(text.size()));
                }
            }
        }
    };
    if (threads == 1) {
        work(0, 1);
    } else {
        base::ThreadPool pool(threads - 1);
        pool.parallel_for(0, threads, work, 1);
    }
    if (progress) progress->finish();
    for (const ChunkOutcome& o : outcomes) {
        if (!o.status.ok()) return o.status;
        result.skipped_bytes += o.skipped;
    }

    // Merge the per-thread counts, then sort so that the order is independent of threads.
    PieceCounter& total = workers[0].counts;
    for (size_t t = 1; t < workers.size(); ++t) {
        workers[t].counts.for_each([&](std::string_view p, uint64_t n) { total.add(p, n); });
    }
    for (const Worker& w : workers) result.pieces += w.pieces;
    result.words.reserve(total.size());
    total.for_each([&](std::string_view p, uint64_t n) {
        result.words.push_back({std::string(p), n});
    });
    std::sort(result.words.begin(), result.words.end(),
              [](const WordCount& a, const WordCount& b) { return a.word < b.word; });
    return result;
}

}  // namespace jenny::tokenizer
