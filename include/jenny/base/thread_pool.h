// ThreadPool: a fixed set of worker threads for data-parallel loops and background tasks.
//
//   ThreadPool pool(4);
//   pool.parallel_for(0, n, [&](int64_t begin, int64_t end) { for (i = begin..end) ... });
//
// parallel_for splits [begin, end) into contiguous chunks, runs them on the workers and the
// calling thread, and returns when all are done. submit() queues a task and returns a future.
// All methods are thread-safe. The destructor finishes queued tasks, then joins.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace jenny::base {

class ThreadPool {
public:
    // num_threads <= 0: default_thread_count().
    explicit ThreadPool(int num_threads = 0);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int size() const { return static_cast<int>(workers_.size()); }

    std::future<void> submit(std::function<void()> task);

    // fn(chunk_begin, chunk_end) over [begin, end) in at most `size()+1` chunks of at least
    // `min_chunk` items. Exceptions must not escape fn.
    void parallel_for(int64_t begin, int64_t end, const std::function<void(int64_t, int64_t)>& fn,
                      int64_t min_chunk = 1);

    // JENNY_THREADS if set to a positive integer, else the hardware concurrency (>= 1).
    static int default_thread_count();

private:
    void worker_loop();

    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::packaged_task<void()>> queue_;  // guarded by mu_
    bool stopping_ = false;                         // guarded by mu_
    std::vector<std::thread> workers_;
};

}  // namespace jenny::base
