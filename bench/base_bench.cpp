// base micro benchmarks: the costs every hot loop pays through base — dispatching a
// parallel_for over the thread pool, and drawing random numbers for init and sampling.
#include <benchmark/benchmark.h>

#include <atomic>
#include <vector>

#include "jenny/base/rng.h"
#include "jenny/base/thread_pool.h"

namespace {

// Overhead of one parallel_for over tiny work: what a per-layer kernel launch costs.
void BM_ParallelForDispatch(benchmark::State& state) {
    jenny::base::ThreadPool pool(static_cast<int>(state.range(0)));
    std::vector<int64_t> sink(64);
    for (auto _ : state) {
        pool.parallel_for(0, 64, [&](int64_t b, int64_t e) {
            for (int64_t i = b; i < e; ++i) sink[static_cast<size_t>(i)] += i;
        });
    }
    benchmark::DoNotOptimize(sink.data());
}
BENCHMARK(BM_ParallelForDispatch)->Arg(1)->Arg(2)->UseRealTime();

// Summing 16M floats in parallel: memory bandwidth reached through the pool (GB/s).
void BM_ParallelSum(benchmark::State& state) {
    jenny::base::ThreadPool pool(0);
    const int64_t n = 1 << 24;
    std::vector<float> x(static_cast<size_t>(n), 1.0f);
    for (auto _ : state) {
        std::vector<double> partial(static_cast<size_t>(pool.size() + 1));
        std::atomic<int> slot{0};
        pool.parallel_for(0, n, [&](int64_t b, int64_t e) {
            double s = 0;
            for (int64_t i = b; i < e; ++i) s += x[static_cast<size_t>(i)];
            partial[static_cast<size_t>(slot++)] = s;
        });
        benchmark::DoNotOptimize(partial.data());
    }
    state.SetBytesProcessed(state.iterations() * n * static_cast<int64_t>(sizeof(float)));
}
BENCHMARK(BM_ParallelSum)->UseRealTime();

void BM_RngUniform(benchmark::State& state) {
    jenny::base::Rng rng(1);
    float acc = 0;
    for (auto _ : state) acc += rng.uniform_float();
    benchmark::DoNotOptimize(acc);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RngUniform);

}  // namespace
