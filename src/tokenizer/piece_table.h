// PieceTable: an immutable string -> token id hash table for the encode hot path. Keys live
// in one contiguous arena and slots hold (hash, offset, length, id), so a lookup is one hash
// and usually one cache line, instead of std::unordered_map's node chasing.
// Build once; lookups are thread-safe.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jenny/tokenizer/tokenizer.h"

namespace jenny::tokenizer {

class PieceTable {
public:
    PieceTable() = default;

    // Adds a key; the first id for a key wins. Call before lookups only.
    void add(std::string_view key, TokenId id);
    // Builds the slots; call once after the last add().
    void finish();

    std::optional<TokenId> find(std::string_view key) const {
        if (slots_.empty()) return std::nullopt;
        const uint64_t h = hash(key);
        const uint32_t tag = static_cast<uint32_t>(h >> 32) | 1u;
        for (uint64_t i = h & mask_;; i = (i + 1) & mask_) {
            const Slot& s = slots_[i];
            if (s.tag == 0) return std::nullopt;
            if (s.tag == tag && s.len == key.size() &&
                std::memcmp(arena_.data() + s.offset, key.data(), key.size()) == 0) {
                return s.id;
            }
        }
    }

    size_t size() const { return entries_.size(); }

    static uint64_t hash(std::string_view s) {
        // FNV-1a over 8-byte words then a final mix: fast for the short keys vocabularies have.
        uint64_t h = 0xcbf29ce484222325ULL ^ s.size();
        size_t i = 0;
        for (; i + 8 <= s.size(); i += 8) {
            uint64_t w;
            std::memcpy(&w, s.data() + i, 8);
            h = (h ^ w) * 0x100000001b3ULL;
            h ^= h >> 29;
        }
        uint64_t tail = 0;
        std::memcpy(&tail, s.data() + i, s.size() - i);
        h = (h ^ tail) * 0x9E3779B97F4A7C15ULL;
        return h ^ (h >> 32);
    }

private:
    struct Slot {
        uint32_t tag = 0;  // 0: empty
        uint32_t len = 0;
        uint32_t offset = 0;
        TokenId id = 0;
    };
    struct Entry {
        uint32_t offset, len;
        TokenId id;
    };
    std::string arena_;
    std::vector<Entry> entries_;
    std::vector<Slot> slots_;
    uint64_t mask_ = 0;
};

}  // namespace jenny::tokenizer
