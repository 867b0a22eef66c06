// Rng: a small, fast, seedable generator (xoshiro256**), reproducible across platforms, so a
// training run resumed from its saved state draws exactly the same numbers. Not thread-safe:
// one per thread. The state is four uint64 words, saved and restored with state()/set_state().
#pragma once

#include <array>
#include <cstdint>

namespace jenny::base {

class Rng {
public:
    explicit Rng(uint64_t seed = 0x6a656e6e79ULL);

    uint64_t next_u64();
    uint32_t next_u32() { return static_cast<uint32_t>(next_u64() >> 32); }
    // Uniform in [0, 1) with 24 bits (float) or 53 bits (double).
    float uniform_float() { return static_cast<float>(next_u64() >> 40) * 0x1.0p-24f; }
    double uniform_double() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
    // Uniform integer in [0, n); n > 0. Unbiased (Lemire's method).
    uint64_t below(uint64_t n);
    // Standard normal (Box-Muller).
    double normal();

    std::array<uint64_t, 4> state() const { return s_; }
    void set_state(const std::array<uint64_t, 4>& s) { s_ = s; }

private:
    std::array<uint64_t, 4> s_;
};

}  // namespace jenny::base
