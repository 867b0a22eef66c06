#include "jenny/data/global_sampler.h"

#include <fmt/format.h>

#include <bit>
#include <cmath>

#include "jenny/base/check.h"

namespace jenny::data {
namespace {

using base::Status;

constexpr int kMaxSources = 1 << 20;
constexpr double kWeightScale = 1099511627776.0;  // 2^40
constexpr int kFeistelRounds = 6;

// splitmix64's output function applied to state x (Steele, Lea, Flood 2014).
uint64_t mix(uint64_t x) {
    uint64_t z = x + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// L(K): how many of a node's first K visits go to its left child, round(K·A/(A+B)) with
// round(x) = floor(x + 1/2), in exact integer arithmetic. A, B < 2^61 and K < 2^63 keep
// 2KA + T below 2^125.
uint64_t left_visits(uint64_t k, uint64_t a, uint64_t b) {
    using u128 = unsigned __int128;
    const u128 t = static_cast<u128>(a) + b;
    return static_cast<uint64_t>((2 * static_cast<u128>(k) * a + t) / (2 * t));
}

}  // namespace

base::Result<GlobalSampler> GlobalSampler::create(std::vector<SamplerSource> sources,
                                                  uint64_t seed) {
    if (sources.empty()) return Status::invalid_argument("sampler: no data sources");
    if (sources.size() > static_cast<size_t>(kMaxSources)) {
        return Status::invalid_argument(
            fmt::format("sampler: {} sources; at most {}", sources.size(), kMaxSources));
    }
    bool any_weight = false;
    for (size_t i = 0; i < sources.size(); ++i) {
        const SamplerSource& s = sources[i];
        if (s.n_windows < 1) {
            return Status::invalid_argument(fmt::format(
                "sampler: source {} has {} windows; each source needs at least one window (is "
                "its dataset shorter than one sequence?)",
                i, s.n_windows));
        }
        if (!std::isfinite(s.weight) || s.weight < 0) {
            return Status::invalid_argument(fmt::format(
                "sampler: source {} has weight {}; weights must be finite and >= 0", i, s.weight));
        }
        any_weight = any_weight || s.weight > 0;
    }
    if (!any_weight) {
        return Status::invalid_argument(
            "sampler: every source has weight 0; give one a weight > 0");
    }
    return GlobalSampler(std::move(sources), seed);
}

GlobalSampler::GlobalSampler(std::vector<SamplerSource> sources, uint64_t seed)
    : sources_(std::move(sources)), seed_(seed) {
    JENNY_CHECK(!sources_.empty() && sources_.size() <= static_cast<size_t>(kMaxSources),
                "sampler: {} sources", sources_.size());
    double max_w = 0;
    for (const SamplerSource& s : sources_) {
        JENNY_CHECK(s.n_windows >= 1 && std::isfinite(s.weight) && s.weight >= 0,
                    "sampler: invalid source (n_windows {}, weight {}); use create()", s.n_windows,
                    s.weight);
        max_w = std::max(max_w, s.weight);
    }
    JENNY_CHECK(max_w > 0, "sampler: every weight is 0; use create()");
    prefix_.push_back(0);
    for (size_t i = 0; i < sources_.size(); ++i) {
        const double w = sources_[i].weight;
        // w / max_w is in [0, 1]; times 2^40 is exact, + 1/2 is exact below 2^52.
        uint64_t q = static_cast<uint64_t>(std::floor(w / max_w * kWeightScale + 0.5));
        if (w > 0 && q == 0) q = 1;
        quantized_.push_back(q);
        if (q > 0) {
            active_.push_back(static_cast<int>(i));
            prefix_.push_back(prefix_.back() + q);
        }
    }
}

GlobalSampler::Pick GlobalSampler::pick(int64_t g) const {
    JENNY_CHECK(g >= 0, "sampler: global index {} < 0", g);
    // Walk down the balanced tree over active_[lo, hi); k = this visit's index at the node.
    size_t lo = 0, hi = active_.size();
    uint64_t k = static_cast<uint64_t>(g);
    while (hi - lo > 1) {
        const size_t mid = lo + (hi - lo) / 2;
        const uint64_t a = prefix_[mid] - prefix_[lo];
        const uint64_t b = prefix_[hi] - prefix_[mid];
        const uint64_t left_before = left_visits(k, a, b);
        if (left_visits(k + 1, a, b) > left_before) {
            k = left_before;
            hi = mid;
        } else {
            k = k - left_before;
            lo = mid;
        }
    }
    Pick p;
    p.source = active_[lo];
    const uint64_t n = static_cast<uint64_t>(sources_[static_cast<size_t>(p.source)].n_windows);
    p.epoch = static_cast<int64_t>(k / n);
    p.window =
        permute(static_cast<int64_t>(k % n), static_cast<int64_t>(n), seed_, p.source, p.epoch);
    return p;
}

int64_t GlobalSampler::permute(int64_t position, int64_t n, uint64_t seed, int source,
                               int64_t epoch) {
    JENNY_CHECK(n >= 1 && position >= 0 && position < n, "permute({}, n = {})", position, n);
    if (n == 1) return 0;
    // A balanced Feistel network on 2h bits, 2^(2h) the smallest even power of two >= n (so
    // at most 4n), walked until it lands inside [0, n): a bijection of [0, n).
    int bits = std::bit_width(static_cast<uint64_t>(n - 1));
    if (bits % 2 == 1) ++bits;
    const int half = bits / 2;
    const uint64_t mask = (uint64_t{1} << half) - 1;
    uint64_t keys[kFeistelRounds];
    const uint64_t base =
        mix(mix(mix(seed) ^ static_cast<uint64_t>(source)) ^ static_cast<uint64_t>(epoch));
    for (int r = 0; r < kFeistelRounds; ++r) keys[r] = mix(base ^ static_cast<uint64_t>(r));
    uint64_t x = static_cast<uint64_t>(position);
    do {
        uint64_t left = x >> half, right = x & mask;
        for (int r = 0; r < kFeistelRounds; ++r) {
            const uint64_t next = left ^ (mix(right ^ keys[r]) & mask);
            left = right;
            right = next;
        }
        x = (left << half) | right;
    } while (x >= static_cast<uint64_t>(n));
    return static_cast<int64_t>(x);
}

}  // namespace jenny::data
