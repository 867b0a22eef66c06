#include "jenny/base/worker_team.h"

#include <algorithm>

#include "jenny/base/thread_pool.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define JENNY_CPU_RELAX() _mm_pause()
#else
#define JENNY_CPU_RELAX() ((void)0)
#endif

namespace jenny::base {

namespace {
// About 50-100 us of spinning before a worker sleeps: long enough to span the gap between two
// kernels of one forward pass, short enough not to burn a core when generation pauses.
constexpr int kSpinIterations = 20000;
// The caller's wait for the workers of one region.
constexpr int kWaitSpinIterations = 4000;
}  // namespace

WorkerTeam::WorkerTeam(int n_threads) {
    n_threads_ = n_threads > 0 ? n_threads : ThreadPool::default_thread_count();
    workers_.reserve(n_threads_ - 1);
    for (int t = 1; t < n_threads_; ++t) workers_.emplace_back([this, t] { worker_loop(t); });
}

WorkerTeam::~WorkerTeam() {
    stopping_.store(true, std::memory_order_release);
    generation_.fetch_add(1, std::memory_order_acq_rel);
    generation_.notify_all();
    for (auto& w : workers_) w.join();
}

void WorkerTeam::worker_loop(int thread) {
    uint64_t seen = 0;
    for (;;) {
        uint64_t gen = generation_.load(std::memory_order_acquire);
        for (int i = 0; gen == seen && i < kSpinIterations; ++i) {
            JENNY_CPU_RELAX();
            gen = generation_.load(std::memory_order_acquire);
        }
        while (gen == seen) {
            generation_.wait(seen, std::memory_order_acquire);
            gen = generation_.load(std::memory_order_acquire);
        }
        seen = gen;
        if (stopping_.load(std::memory_order_acquire)) return;
        (*fn_)(thread, n_threads_);
        if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) pending_.notify_one();
    }
}

void WorkerTeam::run(const std::function<void(int, int)>& fn) {
    if (n_threads_ == 1) {
        fn(0, 1);
        return;
    }
    fn_ = &fn;
    pending_.store(n_threads_ - 1, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_acq_rel);
    generation_.notify_all();
    fn(0, n_threads_);
    // Spin briefly (the workers usually finish together with us), then sleep until the last
    // one wakes us: on an oversubscribed machine a descheduled worker must not cost us a
    // spinning core.
    int p = pending_.load(std::memory_order_acquire);
    for (int i = 0; p != 0 && i < kWaitSpinIterations; ++i) {
        JENNY_CPU_RELAX();
        p = pending_.load(std::memory_order_acquire);
    }
    while (p != 0) {
        pending_.wait(p, std::memory_order_acquire);
        p = pending_.load(std::memory_order_acquire);
    }
    fn_ = nullptr;
}

void WorkerTeam::parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn,
                              int64_t grain) {
    if (n <= 0) return;
    grain = std::max<int64_t>(grain, 1);
    const int64_t n_grains = (n + grain - 1) / grain;
    if (n_threads_ == 1 || n_grains <= 1) {
        fn(0, n);
        return;
    }
    const int64_t n_chunks = std::min<int64_t>(n_threads_, n_grains);
    run([&](int thread, int) {
        if (thread >= n_chunks) return;
        const int64_t g0 = n_grains * thread / n_chunks, g1 = n_grains * (thread + 1) / n_chunks;
        const int64_t begin = g0 * grain, end = std::min(n, g1 * grain);
        if (begin < end) fn(begin, end);
    });
}

}  // namespace jenny::base
