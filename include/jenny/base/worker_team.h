// WorkerTeam: a fixed team of threads for fine-grained data-parallel kernels — hundreds of
// parallel regions per generated token — where ThreadPool's futures and mutex cost too much
// (~20 us per parallel_for). Workers spin on an atomic generation counter for a short while
// after each region, then sleep on a futex-backed wait, so a region costs about a microsecond
// when regions come back to back and nothing when the team is idle.
//
//   WorkerTeam team(4);                       // the caller plus 3 workers
//   team.run([&](int thread, int n_threads) { ... my share of the work ... });
//   team.parallel_for(M, [&](int64_t begin, int64_t end) { rows begin..end }, 16);
//
// run() and parallel_for() call fn on every member (the calling thread is member 0) and
// return when all have finished; they must not be called concurrently or from inside fn.
// fn must not throw.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

namespace jenny::base {

class WorkerTeam {
public:
    // n_threads <= 0: ThreadPool::default_thread_count().
    explicit WorkerTeam(int n_threads = 0);
    ~WorkerTeam();
    WorkerTeam(const WorkerTeam&) = delete;
    WorkerTeam& operator=(const WorkerTeam&) = delete;

    int size() const { return n_threads_; }

    // fn(thread, n_threads) once on each member.
    void run(const std::function<void(int, int)>& fn);

    // fn(begin, end) over [0, n) split into at most size() contiguous chunks, each a multiple
    // of `grain` items (except the last). Runs inline when n <= grain or size() == 1.
    void parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn,
                      int64_t grain = 1);

private:
    void worker_loop(int thread);

    int n_threads_ = 1;
    const std::function<void(int, int)>* fn_ = nullptr;
    std::atomic<uint64_t> generation_{0};
    std::atomic<int> pending_{0};
    std::atomic<bool> stopping_{false};
    std::vector<std::thread> workers_;
};

}  // namespace jenny::base
