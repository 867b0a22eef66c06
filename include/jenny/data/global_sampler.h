// GlobalSampler: which window of which source is global sample g, as a pure function of
// (sources, seed, g). Data order lives in global-sample space, so it does not depend on how
// many processes read it: rank r of N takes g = r, r + N, r + 2N, ... (or a contiguous
// slice); the caller decides. Resuming needs only the next g.
//
//   JENNY_ASSIGN_OR_RETURN(GlobalSampler s, GlobalSampler::create({{n_web, 3.0}, {n_code, 1.0}},
//                                                                  seed));
//   GlobalSampler::Pick p = s.pick(step * global_batch + i);   // source, window, epoch
//
// The exact algorithm is specified in docs/formats/tokens.md ("Sampler") so that another
// implementation reproduces the order bit for bit. In short:
// - Mixture: a deterministic weighted interleave (not random draws). Weights are quantised to
//   integers q_s = floor(w_s / max_w * 2^40 + 1/2) (at least 1 when w_s > 0); the sources with
//   q_s > 0 sit at the leaves of a balanced binary tree in index order, and each node sends
//   its k-th visit left iff round((k+1)·A/(A+B)) > round(k·A/(A+B)) (A, B: the children's
//   weights, round(x) = floor(x + 1/2)). Over every prefix g in [0, G) source s is picked
//   within ceil(log2 m)/2 of G·q_s/Σq times, m = the number of sources with positive
//   weight: exactly ±1/2 for 2 sources, ±1 for up to 4, ±1.5 for up to 8.
// - Order: the k-th pick of source s (k = 0, 1, ...) is epoch e = k / n_s, position
//   k % n_s, mapped through a seeded bijection of [0, n_s) per (seed, s, e): a 6-round
//   Feistel network with cycle walking, so every window is visited exactly once per epoch
//   and no O(n) table is built.
// Zero-weight sources are never picked.
#pragma once

#include <cstdint>
#include <vector>

#include "jenny/base/result.h"

namespace jenny::data {

struct SamplerSource {
    int64_t n_windows = 0;  // >= 1
    double weight = 1.0;    // >= 0, finite; relative to the other sources
};

class GlobalSampler {
public:
    // Validates, then constructs: kInvalidArgument for no sources, more than 2^20 sources,
    // a source with n_windows < 1, a negative or non-finite weight, or all weights zero.
    static base::Result<GlobalSampler> create(std::vector<SamplerSource> sources, uint64_t seed);

    // For input already known to be valid (what create() accepts); invalid input is a
    // programmer error (JENNY_CHECK).
    GlobalSampler(std::vector<SamplerSource> sources, uint64_t seed);

    struct Pick {
        int source = 0;      // index into the sources
        int64_t window = 0;  // in [0, sources[source].n_windows)
        int64_t epoch = 0;   // how many full passes over that source came before this one
    };

    // Global sample g >= 0. Pure: same (sources, seed, g), same Pick. O(log #sources) plus an
    // expected < 4 Feistel evaluations. Thread-safe.
    Pick pick(int64_t g) const;

    // The seeded bijection of [0, n) used for (seed, source, epoch): position -> window.
    // Exposed for tests and for other readers of the format.
    static int64_t permute(int64_t position, int64_t n, uint64_t seed, int source, int64_t epoch);

    const std::vector<SamplerSource>& sources() const { return sources_; }
    uint64_t seed() const { return seed_; }
    // The quantised integer weight q_s of each source (0 for zero-weight sources).
    const std::vector<uint64_t>& quantized_weights() const { return quantized_; }

private:
    std::vector<SamplerSource> sources_;
    uint64_t seed_;
    std::vector<uint64_t> quantized_;
    std::vector<int> active_;       // sources with q_s > 0, in index order: the tree's leaves
    std::vector<uint64_t> prefix_;  // prefix_[i] = sum of q over active_[0, i)
};

}  // namespace jenny::data
