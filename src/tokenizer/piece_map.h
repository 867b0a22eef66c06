// PieceMap: string -> token id with heterogeneous lookup (find by string_view without
// building a std::string), the vocabulary index every tokenizer model uses.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

#include "jenny/tokenizer/tokenizer.h"

namespace jenny::tokenizer {

struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

using PieceMap = std::unordered_map<std::string, TokenId, StringHash, std::equal_to<>>;

inline std::optional<TokenId> find_piece(const PieceMap& map, std::string_view s) {
    auto it = map.find(s);
    if (it == map.end()) return std::nullopt;
    return it->second;
}

}  // namespace jenny::tokenizer
