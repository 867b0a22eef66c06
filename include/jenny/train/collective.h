// Collective: the communication of data-parallel training — ranks, sums over ranks, gathers —
// behind one small interface with three implementations:
//   single process (always built; every operation is a no-op on 1 rank),
//   MPI (built with JENNY_MPI; host buffers; used when the process was started by mpirun / srun),
//   NCCL (built with JENNY_CUDA and JENNY_MPI; gradient sums on device buffers, the NCCL id
//         bootstrapped over MPI; see collective_nccl.h).
//
//   JENNY_ASSIGN_OR_RETURN(auto comm, Collective::create(600.0));
//   comm->all_reduce_sum(&n_targets, 1);           // every rank gets the sum
//   int h = comm->start_all_reduce_sum(g, n);       // non-blocking; comm->wait_all() finishes it
//
// No collective ever waits forever: each one polls until `timeout_s` (dist.timeout_s) has passed
// since it started, then prints one clear error to stderr naming the collective, the training
// step (set_step) and this rank ("a rank died or hangs; see the other ranks' logs") and ends
// the whole job with MPI_Abort(kExitCollectiveTimeout). Every rank must call the collectives in
// the same order with the same sizes (the trainer does). Not thread-safe: one caller thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "jenny/base/result.h"

namespace jenny::train {

// Exit code of a job ended by a collective timeout (docs/exit_codes.md).
inline constexpr int kExitCollectiveTimeout = 4;

class Collective {
public:
    // MPI when launched_by_mpi() and this build has MPI (MPI_Init_thread on first use), else
    // the single-process implementation. kUnsupported when launched by mpirun / srun with more
    // than one rank but built without MPI (the ranks would each train alone). timeout_s > 0.
    static base::Result<std::unique_ptr<Collective>> create(double timeout_s);
    // The single-process implementation (tests, and plain `jenny train`).
    static std::unique_ptr<Collective> single_process();
    // True when the environment says this process is one of several ranks of an MPI-style
    // launch: OMPI_COMM_WORLD_SIZE, PMIX_SIZE / PMI_SIZE, or srun's SLURM_STEP_NUM_TASKS
    // greater than 1. A plain `jenny train` (also inside an sbatch script) never initialises MPI.
    static bool launched_by_mpi();
    // This process's rank according to the launcher's environment (OMPI_COMM_WORLD_RANK,
    // PMIX_RANK, PMI_RANK, SLURM_PROCID), 0 when not launched as one of several ranks; known
    // before MPI starts (the CLI prints the resolved config on rank 0 only).
    static int launched_rank();
    // Whether this binary was built with MPI.
    static bool mpi_built();

    virtual ~Collective() = default;

    virtual int rank() const = 0;
    virtual int size() const = 0;
    virtual std::string backend() const = 0;  // "single", "mpi", "nccl"
    // The training step named by timeout errors (0: before the first step).
    void set_step(int64_t step) { step_ = step; }
    int64_t step() const { return step_; }
    double timeout_s() const { return timeout_s_; }

    // In place: data[i] = Σ over ranks of data[i]. Blocking (with the timeout).
    virtual void all_reduce_sum(float* data, int64_t n) = 0;
    virtual void all_reduce_sum(double* data, int64_t n) = 0;
    virtual void all_reduce_sum(int64_t* data, int64_t n) = 0;
    // Non-blocking float sum in place: starts it and returns at once; the buffer must not be
    // touched until wait_all(). poll() lets started operations progress (MPI progresses
    // non-blocking collectives only inside MPI calls); wait_all() finishes every started one.
    virtual void start_all_reduce_sum(float* data, int64_t n) = 0;
    virtual void poll() = 0;
    virtual void wait_all() = 0;
    // In place: rank r holds data[begins[r], begins[r+1]) (begins has size()+1 entries, from 0
    // to the total); afterwards every rank holds all of it.
    virtual void all_gather(float* data, const std::vector<int64_t>& begins) = 0;
    // Rank r sends mine[0, begins[r+1] - begins[r]); `root` receives everything into
    // full[0, begins.back()) (full may be null on other ranks).
    virtual void gather(const float* mine, float* full, const std::vector<int64_t>& begins,
                        int root) = 0;
    // bytes from root to every rank.
    virtual void broadcast(void* data, int64_t bytes, int root) = 0;
    virtual void barrier() = 0;

    // Convenience: a string from root (resized on the others).
    void broadcast_string(std::string* s, int root);

protected:
    explicit Collective(double timeout_s) : timeout_s_(timeout_s) {}
    // Prints "collective timeout: <what> at step S on rank R of N did not complete within T s
    // (dist.timeout_s): a rank died or hangs; see the other ranks' logs" to stderr.
    std::string timeout_message(const std::string& what) const;

private:
    double timeout_s_;
    int64_t step_ = 0;
};

// Where an MPI implementation comes from (collective_mpi.cpp); nullptr without JENNY_MPI.
std::unique_ptr<Collective> make_mpi_collective(double timeout_s);
// NCCL (collective_nccl.cpp; built with JENNY_CUDA and JENNY_MPI, else nullptr): float
// all-reduces and all-gathers take CUDA device pointers and run on NCCL over the GPU `device`
// (ranks' NCCL id bootstrapped over MPI, which must be launched as for make_mpi_collective);
// double / int64 sums, gathers of host buffers, broadcasts and barriers go over MPI. A
// timeout aborts the NCCL communicator, then the job.
std::unique_ptr<Collective> make_nccl_collective(double timeout_s, int device);

}  // namespace jenny::train
