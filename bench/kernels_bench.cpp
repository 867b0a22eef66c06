// kernels micro benchmarks: matmul at SmolLM2-135M's shapes (C=576, FFN 1536, vocab 49152)
// for decode (N=1) and prefill (N=512), weight dtypes q4_0 / q4_1 / q8_0 / f16 / f32, on a
// WorkerTeam of `threads`. Counters: GFLOP/s (2*N*M*K per call) and weight GB/s (the bytes of
// w read per call: what bounds decode).
//
//   build/bench/kernels_bench --benchmark_filter='Matmul/.*/1/' --benchmark_min_time=0.5s
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "jenny/base/worker_team.h"
#include "jenny/kernels/matmul.h"
#include "jenny/tensor/tensor.h"

namespace {

using jenny::tensor::DType;
using jenny::tensor::Tensor;

constexpr DType kDTypes[] = {DType::kQ4_0, DType::kQ4_1, DType::kQ8_0, DType::kF16, DType::kF32};

Tensor make_weight(DType dtype, int64_t M, int64_t K) {
    Tensor w = Tensor::empty(DType::kF32, {M, K});
    std::mt19937 rng(1);
    std::normal_distribution<float> dist(0.0f, 0.05f);
    float* p = w.mutable_data_as<float>();
    for (int64_t i = 0; i < M * K; ++i) p[i] = dist(rng);
    return dtype == DType::kF32 ? w : w.convert(dtype);
}

// Args: dtype index, M, K, N, threads.
void BM_Matmul(benchmark::State& state) {
    const DType dtype = kDTypes[state.range(0)];
    const int64_t M = state.range(1), K = state.range(2), N = state.range(3);
    const int threads = static_cast<int>(state.range(4));
    const Tensor w = make_weight(dtype, M, K);
    std::vector<float> x(static_cast<size_t>(N * K)), out(static_cast<size_t>(N * M));
    std::mt19937 rng(2);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    for (float& v : x) v = dist(rng);
    jenny::base::WorkerTeam team(threads);
    for (auto _ : state) {
        jenny::kernels::matmul_forward(out.data(), x.data(), w, nullptr, N, &team);
        benchmark::DoNotOptimize(out.data());
    }
    state.SetLabel(std::string(jenny::tensor::dtype_name(dtype)));
    const double iters = static_cast<double>(state.iterations());
    state.counters["GFLOP/s"] =
        benchmark::Counter(2.0 * N * M * K * iters * 1e-9, benchmark::Counter::kIsRate);
    state.counters["wGB/s"] = benchmark::Counter(static_cast<double>(w.nbytes()) * iters * 1e-9,
                                                 benchmark::Counter::kIsRate);
}

void Shapes(benchmark::internal::Benchmark* b) {
    const int64_t shapes[][2] = {{576, 576}, {192, 576}, {1536, 576}, {576, 1536}, {49152, 576}};
    for (int64_t N : {1, 512}) {
        for (int threads : {1, 2}) {
            for (int64_t d = 0; d < 5; ++d) {
                for (const auto& s : shapes) b->Args({d, s[0], s[1], N, threads});
            }
        }
    }
    b->ArgNames({"dtype", "M", "K", "N", "threads"});
}
BENCHMARK(BM_Matmul)->Apply(Shapes)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
