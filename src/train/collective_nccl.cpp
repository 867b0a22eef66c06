// The NCCL implementation of Collective (built with JENNY_CUDA and JENNY_MPI): gradient sums and
// parameter gathers on device buffers over NCCL, everything on host buffers over MPI. NCCL calls
// are asynchronous on a stream; waits poll cudaStreamQuery and ncclCommGetAsyncError against the
// deadline, and a timeout aborts the communicator (ncclCommAbort) before ending the job, as the
// MPI implementation does.
#include "jenny/train/collective.h"

#ifdef JENNY_HAVE_NCCL

#include <cuda_runtime.h>
#include <mpi.h>
#include <nccl.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace jenny::train {

namespace {

void die(const std::string& msg) {
    std::fprintf(stderr, "jenny train: %s\n", msg.c_str());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
    std::_Exit(1);
}

void check_cuda(cudaError_t e, const char* what) {
    if (e != cudaSuccess) die(std::string(what) + ": " + cudaGetErrorString(e));
}

void check_nccl(ncclResult_t e, const char* what) {
    if (e != ncclSuccess && e != ncclInProgress)
        die(std::string(what) + ": " + ncclGetErrorString(e));
}

class NcclCollective final : public Collective {
public:
    NcclCollective(double timeout_s, int device)
        : Collective(timeout_s), host_(make_mpi_collective(timeout_s)) {
        check_cuda(cudaSetDevice(device), "cudaSetDevice");
        check_cuda(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
        ncclUniqueId id;
        if (host_->rank() == 0) check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
        host_->broadcast(&id, sizeof(id), 0);  // the bootstrap: rank 0's id to every rank
        // Non-blocking init, so a rank that never joins ends in a timeout, not a hang.
        ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
        config.blocking = 0;
        check_nccl(ncclCommInitRankConfig(&comm_, host_->size(), id, host_->rank(), &config),
                   "ncclCommInitRankConfig");
        wait_comm("NCCL communicator init");
    }
    ~NcclCollective() override {
        if (comm_ != nullptr) ncclCommDestroy(comm_);
        if (stream_ != nullptr) cudaStreamDestroy(stream_);
    }

    int rank() const override { return host_->rank(); }
    int size() const override { return host_->size(); }
    std::string backend() const override { return "nccl"; }

    // Device buffers.
    void all_reduce_sum(float* d, int64_t n) override {
        start_all_reduce_sum(d, n);
        wait_all();
    }
    void start_all_reduce_sum(float* d, int64_t n) override {
        host_->set_step(step());
        check_nccl(ncclAllReduce(d, d, static_cast<size_t>(n), ncclFloat32, ncclSum, comm_,
                                 stream_),
                   "ncclAllReduce");
    }
    void poll() override {}  // NCCL progresses on the GPU by itself
    void wait_all() override { wait_stream("gradient all-reduce (NCCL)"); }
    void all_gather(float* data, const std::vector<int64_t>& begins) override {
        // Ranks' ranges may differ in size: one broadcast per rank (ncclAllGather needs equal).
        check_nccl(ncclGroupStart(), "ncclGroupStart");
        for (int r = 0; r < size(); ++r)
            check_nccl(ncclBroadcast(data + begins[r], data + begins[r],
                                     static_cast<size_t>(begins[r + 1] - begins[r]), ncclFloat32,
                                     r, comm_, stream_),
                       "ncclBroadcast");
        check_nccl(ncclGroupEnd(), "ncclGroupEnd");
        wait_stream("parameter all-gather (NCCL)");
    }

    // Host buffers, over MPI.
    void all_reduce_sum(double* d, int64_t n) override {
        host_->set_step(step());
        host_->all_reduce_sum(d, n);
    }
    void all_reduce_sum(int64_t* d, int64_t n) override {
        host_->set_step(step());
        host_->all_reduce_sum(d, n);
    }
    void gather(const float* mine, float* full, const std::vector<int64_t>& begins,
                int root) override {
        host_->set_step(step());
        host_->gather(mine, full, begins, root);
    }
    void broadcast(void* data, int64_t bytes, int root) override {
        host_->set_step(step());
        host_->broadcast(data, bytes, root);
    }
    void barrier() override {
        host_->set_step(step());
        host_->barrier();
    }

private:
    template <class Done>
    void wait_until(const char* what, Done done) {
        using clock = std::chrono::steady_clock;
        const auto deadline = clock::now() + std::chrono::duration<double>(timeout_s());
        while (!done()) {
            ncclResult_t async = ncclSuccess;
            ncclCommGetAsyncError(comm_, &async);
            if (async != ncclSuccess && async != ncclInProgress)
                die(std::string(what) + ": " + ncclGetErrorString(async));
            if (clock::now() > deadline) {
                const std::string msg = timeout_message(what);
                std::fputs(msg.c_str(), stderr);
                std::fflush(stderr);
                ncclCommAbort(comm_);
                comm_ = nullptr;
                MPI_Abort(MPI_COMM_WORLD, kExitCollectiveTimeout);
                std::_Exit(kExitCollectiveTimeout);
            }
            std::this_thread::sleep_for(std::chrono::microseconds(20));
        }
    }
    void wait_stream(const char* what) {
        wait_until(what, [&] {
            const cudaError_t e = cudaStreamQuery(stream_);
            if (e != cudaSuccess && e != cudaErrorNotReady) check_cuda(e, what);
            return e == cudaSuccess;
        });
    }
    void wait_comm(const char* what) {
        wait_until(what, [&] {
            ncclResult_t r = ncclInProgress;
            ncclCommGetAsyncError(comm_, &r);
            return r == ncclSuccess;
        });
    }

    std::unique_ptr<Collective> host_;
    cudaStream_t stream_ = nullptr;
    ncclComm_t comm_ = nullptr;
};

}  // namespace

std::unique_ptr<Collective> make_nccl_collective(double timeout_s, int device) {
    return std::make_unique<NcclCollective>(timeout_s, device);
}

}  // namespace jenny::train

#else  // !JENNY_HAVE_NCCL

namespace jenny::train {
std::unique_ptr<Collective> make_nccl_collective(double, int) { return nullptr; }
}  // namespace jenny::train

#endif
