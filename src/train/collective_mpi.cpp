// The MPI implementation of Collective (built with JENNY_MPI). Every operation is a
// non-blocking MPI call polled with MPI_Testall against a deadline, so a dead or stopped rank
// ends the job with a clear message instead of a hang (blocking MPI calls would wait forever).
#include "jenny/train/collective.h"

#ifdef JENNY_HAVE_MPI

#include <mpi.h>

#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace jenny::train {

namespace {

constexpr int64_t kMaxCount = int64_t{1} << 30;  // elements per MPI call (counts are int)

class MpiCollective final : public Collective {
public:
    explicit MpiCollective(double timeout_s) : Collective(timeout_s) {
        int inited = 0;
        MPI_Initialized(&inited);
        if (!inited) {
            int provided = 0;
            // Only the trainer's main thread calls MPI (the worker team never does).
            MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
            owns_init_ = true;
        }
        MPI_Comm_dup(MPI_COMM_WORLD, &comm_);
        MPI_Comm_rank(comm_, &rank_);
        MPI_Comm_size(comm_, &size_);
    }
    ~MpiCollective() override {
        int finalized = 0;
        MPI_Finalized(&finalized);
        if (finalized) return;
        MPI_Comm_free(&comm_);
        if (owns_init_) MPI_Finalize();
    }

    int rank() const override { return rank_; }
    int size() const override { return size_; }
    std::string backend() const override { return "mpi"; }

    void all_reduce_sum(float* d, int64_t n) override {
        reduce(d, n, MPI_FLOAT, sizeof(float));
        wait("all-reduce (float)");
    }
    void all_reduce_sum(double* d, int64_t n) override {
        reduce(d, n, MPI_DOUBLE, sizeof(double));
        wait("all-reduce (double)");
    }
    void all_reduce_sum(int64_t* d, int64_t n) override {
        reduce(d, n, MPI_INT64_T, sizeof(int64_t));
        wait("all-reduce (int64)");
    }
    void start_all_reduce_sum(float* d, int64_t n) override { reduce(d, n, MPI_FLOAT, 4); }
    void poll() override {
        if (pending_.empty()) return;
        int done = 0;
        MPI_Testall(static_cast<int>(pending_.size()), pending_.data(), &done,
                    MPI_STATUSES_IGNORE);
        if (done) pending_.clear();
    }
    void wait_all() override { wait("gradient all-reduce"); }

    void all_gather(float* data, const std::vector<int64_t>& begins) override {
        std::vector<int> counts, displs;
        if (fits(begins, &counts, &displs)) {
            pending_.push_back(MPI_REQUEST_NULL);
            MPI_Iallgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, data, counts.data(),
                            displs.data(), MPI_FLOAT, comm_, &pending_.back());
        } else {
            for (int r = 0; r < size_; ++r)
                for (int64_t b = begins[r]; b < begins[r + 1]; b += kMaxCount) {
                    pending_.push_back(MPI_REQUEST_NULL);
                    MPI_Ibcast(data + b, static_cast<int>(std::min(kMaxCount, begins[r + 1] - b)),
                               MPI_FLOAT, r, comm_, &pending_.back());
                }
        }
        wait("parameter all-gather");
    }

    void gather(const float* mine, float* full, const std::vector<int64_t>& begins,
                int root) override {
        std::vector<int> counts, displs;
        const int64_t my_n = begins[rank_ + 1] - begins[rank_];
        if (fits(begins, &counts, &displs)) {
            pending_.push_back(MPI_REQUEST_NULL);
            const bool in_place = rank_ == root && mine == full + begins[rank_];
            MPI_Igatherv(in_place ? MPI_IN_PLACE : mine, static_cast<int>(my_n), MPI_FLOAT, full,
                         counts.data(), displs.data(), MPI_FLOAT, root, comm_, &pending_.back());
        } else if (rank_ == root) {
            for (int r = 0; r < size_; ++r)
                for (int64_t b = begins[r]; b < begins[r + 1]; b += kMaxCount) {
                    const int n = static_cast<int>(std::min(kMaxCount, begins[r + 1] - b));
                    if (r == rank_) {
                        std::copy(mine + (b - begins[r]), mine + (b - begins[r]) + n, full + b);
                        continue;
                    }
                    pending_.push_back(MPI_REQUEST_NULL);
                    MPI_Irecv(full + b, n, MPI_FLOAT, r, 7, comm_, &pending_.back());
                }
        } else {
            for (int64_t b = 0; b < my_n; b += kMaxCount) {
                pending_.push_back(MPI_REQUEST_NULL);
                MPI_Isend(mine + b, static_cast<int>(std::min(kMaxCount, my_n - b)), MPI_FLOAT,
                          root, 7, comm_, &pending_.back());
            }
        }
        wait("optimizer-state gather");
    }

    void broadcast(void* data, int64_t bytes, int root) override {
        char* p = static_cast<char*>(data);
        for (int64_t b = 0; b < bytes; b += kMaxCount) {
            pending_.push_back(MPI_REQUEST_NULL);
            MPI_Ibcast(p + b, static_cast<int>(std::min(kMaxCount, bytes - b)), MPI_BYTE, root,
                       comm_, &pending_.back());
        }
        wait("broadcast");
    }

    void barrier() override {
        pending_.push_back(MPI_REQUEST_NULL);
        MPI_Ibarrier(comm_, &pending_.back());
        wait("barrier");
    }

private:
    void reduce(void* d, int64_t n, MPI_Datatype type, size_t elem) {
        char* p = static_cast<char*>(d);
        for (int64_t b = 0; b < n; b += kMaxCount) {
            pending_.push_back(MPI_REQUEST_NULL);
            MPI_Iallreduce(MPI_IN_PLACE, p + b * elem, static_cast<int>(std::min(kMaxCount, n - b)),
                           type, MPI_SUM, comm_, &pending_.back());
        }
    }

    // Counts and displacements as ints, when every one fits.
    bool fits(const std::vector<int64_t>& begins, std::vector<int>* counts,
              std::vector<int>* displs) const {
        if (begins.back() > INT_MAX) return false;
        for (int r = 0; r < size_; ++r) {
            counts->push_back(static_cast<int>(begins[r + 1] - begins[r]));
            displs->push_back(static_cast<int>(begins[r]));
        }
        return true;
    }

    // Polls every pending request until all complete or the deadline passes; then ends the
    // job. Spins for the first ~100 µs (a gradient bucket usually lands in that time), then
    // sleeps 50 µs between polls so a rank waiting for a slower one leaves the core to it.
    void wait(const char* what) {
        using clock = std::chrono::steady_clock;
        const auto t0 = clock::now();
        const auto deadline = t0 + std::chrono::duration<double>(timeout_s());
        for (int64_t polls = 0;; ++polls) {
            int done = 0;
            MPI_Testall(static_cast<int>(pending_.size()), pending_.data(), &done,
                        MPI_STATUSES_IGNORE);
            if (done) {
                pending_.clear();
                return;
            }
            const auto now = clock::now();
            if (now > deadline) {
                const std::string msg = timeout_message(what);
                std::fputs(msg.c_str(), stderr);
                std::fflush(stderr);
                MPI_Abort(MPI_COMM_WORLD, kExitCollectiveTimeout);
                std::_Exit(kExitCollectiveTimeout);  // MPI_Abort does not return; be sure
            }
            if (now - t0 > std::chrono::microseconds(100))
                std::this_thread::sleep_for(std::chrono::microseconds(50));
        }
    }

    MPI_Comm comm_ = MPI_COMM_NULL;
    int rank_ = 0, size_ = 1;
    bool owns_init_ = false;
    std::vector<MPI_Request> pending_;
};

}  // namespace

std::unique_ptr<Collective> make_mpi_collective(double timeout_s) {
    return std::make_unique<MpiCollective>(timeout_s);
}

}  // namespace jenny::train

#else  // !JENNY_HAVE_MPI

namespace jenny::train {
std::unique_ptr<Collective> make_mpi_collective(double) { return nullptr; }
}  // namespace jenny::train

#endif
