// pack_sft_examples: best fit decreasing of examples into training windows.
#include <algorithm>
#include <map>
#include <numeric>

#include "jenny/base/check.h"
#include "jenny/data/sft_dataset.h"

namespace jenny::data {

std::vector<std::vector<int64_t>> pack_sft_examples(const std::vector<int64_t>& lengths,
                                                    int64_t window) {
    JENNY_CHECK(window > 0, "pack_sft_examples: window {}", window);
    std::vector<int64_t> order(lengths.size());
    std::iota(order.begin(), order.end(), int64_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return lengths[a] > lengths[b]; });
    std::vector<std::vector<int64_t>> bins;
    // (free tokens, bin index) of every bin with room; the best fit is the first entry whose
    // free space is >= the example's length.
    std::multimap<std::pair<int64_t, int64_t>, bool> room;
    for (int64_t i : order) {
        const int64_t n = lengths[i];
        JENNY_CHECK(n >= 1 && n <= window, "pack_sft_examples: example {} has {} tokens", i, n);
        auto it = room.lower_bound({n, -1});
        int64_t bin, left;
        if (it == room.end()) {
            bin = static_cast<int64_t>(bins.size());
            bins.emplace_back();
            left = window;
        } else {
            bin = it->first.second;
            left = it->first.first;
            room.erase(it);
        }
        bins[bin].push_back(i);
        if (left - n > 0) room.emplace(std::pair{left - n, bin}, true);
    }
    for (auto& b : bins) std::sort(b.begin(), b.end());
    std::sort(bins.begin(), bins.end(),
              [](const auto& a, const auto& b) { return a.front() < b.front(); });
    return bins;
}

}  // namespace jenny::data
