// Test-only helpers for the backward kernels' tests: random inputs and a central-difference
// gradient check. Included by *_test.cpp only (the library globs *.cpp, so this header never
// reaches it).
//
// The checked scalar is L = Σ out · g for a fixed random g (or the loss itself for
// cross-entropy), evaluated in double from the forward's f32 outputs. For a coordinate p[i]
// the check takes p[i] ± h rounded to f32 and divides by the actual f32 step, so the only
// errors are the truncation error h² f''' / 6 and the f32 rounding of the outputs.
//
// Default tolerance |fd - grad| <= atol + rtol · |grad| with h = 1e-2, rtol = 1e-2,
// atol = 2e-3, justified for O(1) inputs and outputs: truncation is ~h²/6 · |f'''| ≈ 2e-5
// for the smooth ops here; each output rounds with relative error 2^-24 ≈ 6e-8, and a
// perturbation moves at most a few hundred O(1) outputs, so the rounding noise in
// L(+h) − L(−h) is ≲ 1e-5 and, divided by 2h, ≲ 5e-4. A wrong formula (a missing term, a
// transposed index, a factor of 2) is off by O(1) on most coordinates.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace jenny::kernels::gradcheck {

inline std::vector<float> random_vector(int64_t n, std::mt19937& rng, float scale = 1.0f) {
    std::normal_distribution<float> dist(0.0f, scale);
    std::vector<float> v(static_cast<size_t>(n));
    for (float& f : v) f = dist(rng);
    return v;
}

// Σ a[i] · b[i] in double.
inline double dot(const std::vector<float>& a, const std::vector<float>& b) {
    double s = 0.0;
    for (size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
    return s;
}

struct Tolerance {
    float h = 1e-2f;
    double rtol = 1e-2;
    double atol = 2e-3;
};

// Central difference of loss() with respect to p[i]; p[i] is restored.
inline double central_difference(float* p, int64_t i, float h,
                                 const std::function<double()>& loss) {
    const float orig = p[i];
    const float plus = orig + h, minus = orig - h;
    p[i] = plus;
    const double lp = loss();
    p[i] = minus;
    const double lm = loss();
    p[i] = orig;
    return (lp - lm) / (static_cast<double>(plus) - static_cast<double>(minus));
}

// Compares grad[i] with the central difference of loss() at `count` random coordinates of
// p (n elements) plus the given extra ones (e.g. ones known to have zero gradient).
inline void check(const std::string& what, float* p, const float* grad, int64_t n,
                  const std::function<double()>& loss, std::mt19937& rng, int count = 6,
                  const std::vector<int64_t>& extra = {}, Tolerance tol = {}) {
    std::uniform_int_distribution<int64_t> pick(0, n - 1);
    std::vector<int64_t> coords = extra;
    for (int c = 0; c < count && n > 0; ++c) coords.push_back(pick(rng));
    for (int64_t i : coords) {
        const double fd = central_difference(p, i, tol.h, loss);
        const double an = grad[i];
        EXPECT_LE(std::fabs(fd - an), tol.atol + tol.rtol * std::fabs(an))
            << what << "[" << i << "]: finite difference " << fd << ", backward " << an;
    }
}

}  // namespace jenny::kernels::gradcheck
