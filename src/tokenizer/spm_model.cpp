#include "tokenizer/spm_model.h"

#include <queue>

#include "tokenizer/unicode.h"

namespace jenny::tokenizer {

SpmModel SpmModel::build(PieceMap pieces, const PieceMap& all_pieces, std::vector<float> scores,
                         std::vector<bool> unused, const SpmOptions& options) {
    SpmModel m;
    m.options_ = options;
    m.scores_ = std::move(scores);
    m.unused_ = std::move(unused);
    m.byte_ids_.fill(-1);
    for (int b = 0; b < 256; ++b) {
        if (auto id = find_piece(all_pieces, fmt::format("<0x{:02X}>", b))) {
            m.byte_ids_[static_cast<size_t>(b)] = *id;
        } else if (options.byte_as_char_fallback) {
            if (auto cid = find_piece(all_pieces, std::string(1, static_cast<char>(b)))) {
                m.byte_ids_[static_cast<size_t>(b)] = *cid;
            }
        }
    }
    m.pieces_ = std::move(pieces);
    return m;
}

void SpmModel::emit(std::string_view symbol, const RevMerge& rev_merge, bool* last_unk,
                    std::vector<TokenId>* out) const {
    auto id = find_piece(pieces_, symbol);
    const bool unused = id && options_.resegment_unused &&
                        static_cast<size_t>(*id) < unused_.size() &&
                        unused_[static_cast<size_t>(*id)];
    if (id && !unused) {
        out->push_back(*id);
        *last_unk = false;
        return;
    }
    if (auto it = rev_merge.find(symbol); it != rev_merge.end()) {
        emit(it->second.first, rev_merge, last_unk, out);
        emit(it->second.second, rev_merge, last_unk, out);
        return;
    }
    if (options_.byte_fallback) {
        bool all = true;
        for (unsigned char c : symbol) all = all && byte_ids_[c] >= 0;
        if (all) {
            for (unsigned char c : symbol) out->push_back(byte_ids_[c]);
            *last_unk = false;
            return;
        }
    }
    if (!options_.unk) return;
    if (options_.fuse_unk && *last_unk) return;
    out->push_back(*options_.unk);
    *last_unk = true;
}

void SpmModel::encode(std::string_view text, std::vector<TokenId>* out) const {
    if (text.empty()) return;
    struct Symbol {
        int32_t prev, next;
        uint32_t begin, len;  // bytes of the text; len 0 once merged into its left neighbour
    };
    std::vector<Symbol> sym;
    sym.reserve(text.size());
    for (size_t pos = 0; pos < text.size();) {
        size_t len = std::min(utf8_len(static_cast<unsigned char>(text[pos])), text.size() - pos);
        const auto i = static_cast<int32_t>(sym.size());
        sym.push_back({i - 1, pos + len < text.size() ? i + 1 : -1, static_cast<uint32_t>(pos),
                       static_cast<uint32_t>(len)});
        pos += len;
    }
    struct Bigram {
        float score;
        int32_t left, right;
        uint32_t size;
    };
    // Highest score first; on ties the leftmost pair.
    auto lower = [](const Bigram& a, const Bigram& b) {
        return a.score < b.score || (a.score == b.score && a.left > b.left);
    };
    std::priority_queue<Bigram, std::vector<Bigram>, decltype(lower)> queue(lower);
    RevMerge rev_merge;
    auto try_pair = [&](int32_t left, int32_t right) {
        if (left < 0 || right < 0) return;
        const Symbol& l = sym[static_cast<size_t>(left)];
        const Symbol& r = sym[static_cast<size_t>(right)];
        std::string_view piece = text.substr(l.begin, l.len + r.len);
        auto id = find_piece(pieces_, piece);
        if (!id) return;
        const auto idx = static_cast<size_t>(*id);
        queue.push({idx < scores_.size() ? scores_[idx] : 0.0f, left, right,
                    static_cast<uint32_t>(piece.size())});
        if (options_.resegment_unused && idx < unused_.size() && unused_[idx]) {
            rev_merge[std::string(piece)] = {std::string(text.substr(l.begin, l.len)),
                                             std::string(text.substr(r.begin, r.len))};
        }
    };
    for (size_t i = 1; i < sym.size(); ++i) {
        try_pair(static_cast<int32_t>(i - 1), static_cast<int32_t>(i));
    }
    while (!queue.empty()) {
        Bigram b = queue.top();
        queue.pop();
        Symbol& l = sym[static_cast<size_t>(b.left)];
        Symbol& r = sym[static_cast<size_t>(b.right)];
        if (l.len == 0 || r.len == 0 || l.len + r.len != b.size) continue;  // stale
        l.len += r.len;
        r.len = 0;
        l.next = r.next;
        if (r.next >= 0) sym[static_cast<size_t>(r.next)].prev = b.left;
        try_pair(l.prev, b.left);
        try_pair(b.left, l.next);
    }
    bool last_unk = false;
    for (int32_t i = 0; i >= 0; i = sym[static_cast<size_t>(i)].next) {
        const Symbol& s = sym[static_cast<size_t>(i)];
        emit(text.substr(s.begin, s.len), rev_merge, &last_unk, out);
    }
}

}  // namespace jenny::tokenizer
