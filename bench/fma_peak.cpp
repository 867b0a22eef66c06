// fma_peak: this machine's peak f32 FMA throughput, the denominator of the MFU that
// bench/train.py reports. Each thread runs kAcc independent FMA chains on 8-wide AVX2
// registers (acc = acc * a + b), enough chains to cover FMA latency times the number of FMA
// ports (Zen 3: 4 cycles x 2 ports = 8; Intel since Skylake: 4 x 2 = 8), so the loop is bound
// by FMA throughput only. Nothing touches memory inside the loop.
//
// Usage: fma_peak [--threads N] [--seconds S] [--repeats R]
//   N defaults to the number of hardware threads; S (default 0.3) is the target duration of one
//   measurement; the best of R (default 5) measurements is reported (a peak, not a typical
//   rate). Prints one JSON object:
//   {"gflops_1thread", "gflops_nthreads", "threads", "isa", "accumulators", "flops_per_fma",
//    "seconds", "repeats"}
// A GFLOP counts an FMA lane as 2 flops (multiply + add), the convention MFU uses.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define JENNY_FMA_AVX2 1
#endif

namespace {

constexpr int kAcc = 12;  // independent chains (12 of the 16 ymm registers)

#ifdef JENNY_FMA_AVX2
constexpr int kLanes = 8;
constexpr const char* kIsa = "avx2+fma (8 x f32)";

// Runs `iters` rounds of kAcc FMAs; returns a value derived from every chain so that the
// compiler cannot drop any of them.
float fma_chains(int64_t iters, float seed) {
    const __m256 a = _mm256_set1_ps(0.999999f);
    const __m256 b = _mm256_set1_ps(1e-7f);
    __m256 acc[kAcc];
    for (int i = 0; i < kAcc; ++i) acc[i] = _mm256_set1_ps(seed + static_cast<float>(i));
    for (int64_t it = 0; it < iters; ++it) {
        // kAcc independent chains, unrolled by the compiler (constant trip count)
        for (int i = 0; i < kAcc; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
    }
    __m256 s = acc[0];
    for (int i = 1; i < kAcc; ++i) s = _mm256_add_ps(s, acc[i]);
    float out[8];
    _mm256_storeu_ps(out, s);
    float r = 0;
    for (float x : out) r += x;
    return r;
}
#else
constexpr int kLanes = 1;
constexpr const char* kIsa = "scalar std::fma (no AVX2+FMA at compile time)";

float fma_chains(int64_t iters, float seed) {
    float acc[kAcc];
    for (int i = 0; i < kAcc; ++i) acc[i] = seed + static_cast<float>(i);
    for (int64_t it = 0; it < iters; ++it) {
        for (int i = 0; i < kAcc; ++i) acc[i] = std::fma(acc[i], 0.999999f, 1e-7f);
    }
    float r = 0;
    for (float x : acc) r += x;
    return r;
}
#endif

double flops_of(int64_t iters) { return 2.0 * kLanes * kAcc * static_cast<double>(iters); }

double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

volatile float g_sink;

// GFLOP/s of `threads` threads each running `iters` rounds, timed from the first start to the
// last finish (so a thread that is descheduled counts against the rate).
double measure(int threads, int64_t iters) {
    std::vector<std::thread> pool;
    std::vector<float> sinks(static_cast<size_t>(threads));
    const double t0 = now_s();
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&sinks, t, iters] {
            sinks[static_cast<size_t>(t)] = fma_chains(iters, 1.0f + static_cast<float>(t));
        });
    }
    for (auto& th : pool) th.join();
    const double dt = now_s() - t0;
    float s = 0;
    for (float x : sinks) s += x;
    g_sink = s;
    return flops_of(iters) * threads / dt / 1e9;
}

// Iteration count for which one thread runs about `seconds`.
int64_t calibrate(double seconds) {
    int64_t iters = 1 << 16;
    for (;;) {
        const double t0 = now_s();
        g_sink = fma_chains(iters, 1.0f);
        const double dt = now_s() - t0;
        if (dt > 0.05) return static_cast<int64_t>(static_cast<double>(iters) * seconds / dt) + 1;
        iters *= 2;
    }
}

double best_of(int threads, int64_t iters, int repeats) {
    double best = 0;
    for (int r = 0; r < repeats; ++r) best = std::max(best, measure(threads, iters));
    return best;
}

int usage(const char* argv0) {
    std::fprintf(stderr, "usage: %s [--threads N] [--seconds S] [--repeats R]\n", argv0);
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    int threads = static_cast<int>(std::thread::hardware_concurrency());
    if (threads < 1) threads = 1;
    double seconds = 0.3;
    int repeats = 5;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (i + 1 >= argc) return usage(argv[0]);
        const char* v = argv[++i];
        if (arg == "--threads") {
            threads = std::atoi(v);
        } else if (arg == "--seconds") {
            seconds = std::atof(v);
        } else if (arg == "--repeats") {
            repeats = std::atoi(v);
        } else {
            return usage(argv[0]);
        }
    }
    if (threads < 1 || seconds <= 0 || repeats < 1) return usage(argv[0]);

    const int64_t iters = calibrate(seconds);
    const double one = best_of(1, iters, repeats);
    const double many = best_of(threads, iters, repeats);
    std::printf(
        "{\"gflops_1thread\": %.2f, \"gflops_nthreads\": %.2f, \"threads\": %d, \"isa\": "
        "\"%s\", \"accumulators\": %d, \"flops_per_fma\": 2, \"seconds\": %.3g, "
        "\"repeats\": %d}\n",
        one, many, threads, kIsa, kAcc, seconds, repeats);
    return 0;
}
