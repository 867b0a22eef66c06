// kernels micro benchmarks: matmul at SmolLM2-135M's shapes (C=576, FFN 1536, vocab 49152)
// for decode (N=1) and prefill (N=512), weight dtypes q4_0 / q4_1 / q8_0 / f16 / f32, on a
// WorkerTeam of `threads`. Counters: GFLOP/s (2*N*M*K per call) and weight GB/s (the bytes of
// w read per call: what bounds decode).
//
//   build/bench/kernels_bench --benchmark_filter='Matmul/.*/1/' --benchmark_min_time=0.5s
//
// Training kernels at the trainer's 49M-parameter shapes (C=384, H=6, D=64, FFN 1024,
// vocab 50304, B8 T256 = 2048 tokens): matmul_backward (dx and dw: 4*N*M*K flops),
// causal attention forward + backward (6*B*H*T*T*D flops counting only the causal half) and
// the fused LM-head cross-entropy with gradients (6*N*V*C flops).
//
//   build/bench/kernels_bench --benchmark_filter='Backward|Causal|CrossEntropy'
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "jenny/base/worker_team.h"
#include "jenny/kernels/attention.h"
#include "jenny/kernels/cross_entropy.h"
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

std::vector<float> random_floats(int64_t n, float scale, uint32_t seed) {
    std::vector<float> v(static_cast<size_t>(n));
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, scale);
    for (float& f : v) f = dist(rng);
    return v;
}

void set_gflops(benchmark::State& state, double flops_per_call) {
    state.counters["GFLOP/s"] =
        benchmark::Counter(flops_per_call * static_cast<double>(state.iterations()) * 1e-9,
                           benchmark::Counter::kIsRate);
}

// Args: M, K, N, threads.
void BM_MatmulBackward(benchmark::State& state) {
    const int64_t M = state.range(0), K = state.range(1), N = state.range(2);
    const auto w = random_floats(M * K, 0.05f, 1), x = random_floats(N * K, 1.0f, 2);
    const auto dout = random_floats(N * M, 1.0f, 3);
    std::vector<float> dx(static_cast<size_t>(N * K)), dw(static_cast<size_t>(M * K));
    jenny::base::WorkerTeam team(static_cast<int>(state.range(3)));
    for (auto _ : state) {
        jenny::kernels::matmul_backward(dx.data(), dw.data(), nullptr, dout.data(), x.data(),
                                        w.data(), N, K, M, &team);
        benchmark::DoNotOptimize(dw.data());
    }
    set_gflops(state, 4.0 * N * M * K);
}
BENCHMARK(BM_MatmulBackward)
    ->ArgsProduct({{384, 1152, 1024}, {384}, {2048}, {1, 2}})
    ->Args({384, 1024, 2048, 2})
    ->ArgNames({"M", "K", "N", "threads"})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// Args: B, T, H, D, threads (Hkv = H).
void BM_CausalAttention(benchmark::State& state) {
    const int B = static_cast<int>(state.range(0)), T = static_cast<int>(state.range(1));
    const int H = static_cast<int>(state.range(2)), D = static_cast<int>(state.range(3));
    const int64_t n = int64_t{B} * T * H * D;
    const auto q = random_floats(n, 1.0f, 1), k = random_floats(n, 1.0f, 2);
    const auto v = random_floats(n, 1.0f, 3), dout = random_floats(n, 1.0f, 4);
    std::vector<float> out(static_cast<size_t>(n)), dq(out.size()), dk(out.size()), dv(out.size());
    std::vector<float> probs(static_cast<size_t>(B) * H * T * T);
    const float scale = 0.125f;
    jenny::base::WorkerTeam team(static_cast<int>(state.range(4)));
    for (auto _ : state) {
        jenny::kernels::causal_attention_forward(out.data(), probs.data(), q.data(), k.data(),
                                                 v.data(), nullptr, B, T, H, H, D, scale, &team);
        jenny::kernels::causal_attention_backward(dq.data(), dk.data(), dv.data(), dout.data(),
                                                  probs.data(), q.data(), k.data(), v.data(), B, T,
                                                  H, H, D, scale, &team);
        benchmark::DoNotOptimize(dv.data());
    }
    set_gflops(state, 6.0 * B * H * static_cast<double>(T) * T * D);
}
BENCHMARK(BM_CausalAttention)
    ->Args({8, 256, 6, 64, 1})
    ->Args({8, 256, 6, 64, 2})
    ->ArgNames({"B", "T", "H", "D", "threads"})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// Args: N, C, V, chunk, threads.
void BM_CrossEntropy(benchmark::State& state) {
    const int64_t N = state.range(0), C = state.range(1), V = state.range(2);
    const auto x = random_floats(N * C, 1.0f, 1), w = random_floats(V * C, 0.05f, 2);
    std::vector<int32_t> targets(static_cast<size_t>(N));
    for (int64_t i = 0; i < N; ++i)
        targets[static_cast<size_t>(i)] = static_cast<int32_t>(i * 31 % V);
    std::vector<float> dx(x.size()), dw(w.size());
    jenny::base::WorkerTeam team(static_cast<int>(state.range(4)));
    for (auto _ : state) {
        jenny::kernels::lm_head_cross_entropy(dx.data(), dw.data(), x.data(), w.data(),
                                              targets.data(), N, C, V, 1.0f / N, state.range(3),
                                              &team);
        benchmark::DoNotOptimize(dw.data());
    }
    set_gflops(state, 6.0 * N * V * C);
}
BENCHMARK(BM_CrossEntropy)
    ->ArgsProduct({{512}, {384}, {50304}, {64, 256}, {1, 2}})
    ->ArgNames({"N", "C", "V", "chunk", "threads"})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
