// datatrove's find_duplicates (gopher_repetition_filter.py), shared by the Gopher repetition and
// FineWeb filters (private to src/data). Pure; thread-safe.
#pragma once

#include <string_view>
#include <unordered_set>
#include <vector>

namespace jenny::data {

struct Duplicates {
    size_t elements = 0;  // elements equal to an earlier element
    size_t chars = 0;     // their total length in code points
};

inline Duplicates find_duplicates(const std::vector<std::u32string_view>& xs) {
    std::unordered_set<std::u32string_view> seen;
    Duplicates d;
    for (std::u32string_view x : xs) {
        if (!seen.insert(x).second) {
            ++d.elements;
            d.chars += x.size();
        }
    }
    return d;
}

}  // namespace jenny::data
