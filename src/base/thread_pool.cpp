#include "jenny/base/thread_pool.h"

#include <algorithm>
#include <cstdlib>
#include <string>

namespace jenny::base {

int ThreadPool::default_thread_count() {
    if (const char* v = std::getenv("JENNY_THREADS")) {
        char* end = nullptr;
        long n = std::strtol(v, &end, 10);
        if (end != v && *end == '\0' && n > 0 && n <= 4096) return static_cast<int>(n);
    }
    return std::max(1u, std::thread::hardware_concurrency());
}

ThreadPool::ThreadPool(int num_threads) {
    if (num_threads <= 0) num_threads = default_thread_count();
    workers_.reserve(static_cast<size_t>(num_threads));
    for (int i = 0; i < num_threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
}

std::future<void> ThreadPool::submit(std::function<void()> task) {
    std::packaged_task<void()> pt(std::move(task));
    std::future<void> fut = pt.get_future();
    {
        std::lock_guard<std::mutex> lock(mu_);
        queue_.push_back(std::move(pt));
    }
    cv_.notify_one();
    return fut;
}

void ThreadPool::worker_loop() {
    for (;;) {
        std::packaged_task<void()> task;
        {
            std::unique_lock<std::mutex> lock(mu_);
            cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stopping and drained
            task = std::move(queue_.front());
            queue_.pop_front();
        }
        task();
    }
}

void ThreadPool::parallel_for(int64_t begin, int64_t end,
                              const std::function<void(int64_t, int64_t)>& fn, int64_t min_chunk) {
    const int64_t n = end - begin;
    if (n <= 0) return;
    min_chunk = std::max<int64_t>(1, min_chunk);
    int64_t chunks = std::min<int64_t>(size() + 1, (n + min_chunk - 1) / min_chunk);
    if (chunks <= 1) {
        fn(begin, end);
        return;
    }
    const int64_t step = (n + chunks - 1) / chunks;
    std::vector<std::future<void>> futures;
    futures.reserve(static_cast<size_t>(chunks - 1));
    for (int64_t c = 1; c < chunks; ++c) {
        int64_t b = begin + c * step;
        int64_t e = std::min(end, b + step);
        if (b >= e) break;
        futures.push_back(submit([&fn, b, e] { fn(b, e); }));
    }
    fn(begin, std::min(end, begin + step));  // the caller works too
    for (auto& f : futures) f.get();
}

}  // namespace jenny::base
