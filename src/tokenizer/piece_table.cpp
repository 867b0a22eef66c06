#include "tokenizer/piece_table.h"

namespace jenny::tokenizer {

void PieceTable::add(std::string_view key, TokenId id) {
    entries_.push_back(
        {static_cast<uint32_t>(arena_.size()), static_cast<uint32_t>(key.size()), id});
    arena_.append(key);
}

void PieceTable::finish() {
    size_t cap = 16;
    while (cap < entries_.size() * 2) cap <<= 1;
    slots_.assign(cap, Slot{});
    mask_ = cap - 1;
    for (const Entry& e : entries_) {
        std::string_view key(arena_.data() + e.offset, e.len);
        const uint64_t h = hash(key);
        const uint32_t tag = static_cast<uint32_t>(h >> 32) | 1u;
        for (uint64_t i = h & mask_;; i = (i + 1) & mask_) {
            Slot& s = slots_[i];
            if (s.tag == 0) {
                s = {tag, e.len, e.offset, e.id};
                break;
            }
            if (s.tag == tag && s.len == e.len &&
                std::memcmp(arena_.data() + s.offset, key.data(), key.size()) == 0) {
                break;  // duplicate key: keep the first id
            }
        }
    }
}

}  // namespace jenny::tokenizer
