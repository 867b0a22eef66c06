#include "jenny/train/collective.h"

#include <algorithm>
#include <cstdlib>
#include <fmt/format.h>

namespace jenny::train {

namespace {

// One rank: sums and gathers over one rank are the data itself.
class SingleProcessCollective final : public Collective {
public:
    SingleProcessCollective() : Collective(1.0) {}
    int rank() const override { return 0; }
    int size() const override { return 1; }
    std::string backend() const override { return "single"; }
    void all_reduce_sum(float*, int64_t) override {}
    void all_reduce_sum(double*, int64_t) override {}
    void all_reduce_sum(int64_t*, int64_t) override {}
    void start_all_reduce_sum(float*, int64_t) override {}
    void poll() override {}
    void wait_all() override {}
    void all_gather(float*, const std::vector<int64_t>&) override {}
    void gather(const float* mine, float* full, const std::vector<int64_t>& begins,
                int) override {
        if (full != mine)
            std::copy(mine, mine + (begins.back() - begins.front()), full + begins.front());
    }
    void broadcast(void*, int64_t, int) override {}
    void barrier() override {}
};

int64_t env_int(const char* name) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? std::strtoll(v, nullptr, 10) : 0;
}

}  // namespace

bool Collective::launched_by_mpi() {
    // OpenMPI's mpirun, PMIx / PMI launchers (hydra, srun --mpi=pmi2), or Slurm's srun (which
    // sets SLURM_STEP_NUM_TASKS for its step; an sbatch script's own shell has SLURM_NTASKS
    // and SLURM_PROCID=0 but is one process).
    for (const char* name :
         {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE", "SLURM_STEP_NUM_TASKS"})
        if (env_int(name) > 1) return true;
    return false;
}

int Collective::launched_rank() {
    if (!launched_by_mpi()) return 0;
    for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"})
        if (const char* v = std::getenv(name); v != nullptr && *v != '\0')
            return static_cast<int>(std::strtol(v, nullptr, 10));
    return 0;
}

bool Collective::mpi_built() {
#ifdef JENNY_HAVE_MPI
    return true;
#else
    return false;
#endif
}

std::unique_ptr<Collective> Collective::single_process() {
    return std::make_unique<SingleProcessCollective>();
}

base::Result<std::unique_ptr<Collective>> Collective::create(double timeout_s) {
    if (!(timeout_s > 0))
        return base::Status::invalid_argument("dist.timeout_s must be > 0 seconds");
    if (!launched_by_mpi()) return single_process();
    if (!mpi_built())
        return base::Status::unsupported(
            "started as one of several ranks (mpirun / srun) but this jenny was built without "
            "MPI; rebuild with -DJENNY_MPI=ON (needs libopenmpi-dev) or run one process");
    std::unique_ptr<Collective> c = make_mpi_collective(timeout_s);
    if (c == nullptr) return base::Status::internal("MPI collective unavailable");
    return c;
}

void Collective::broadcast_string(std::string* s, int root) {
    int64_t n = static_cast<int64_t>(s->size());
    broadcast(&n, sizeof(n), root);
    s->resize(static_cast<size_t>(n));
    if (n > 0) broadcast(s->data(), n, root);
}

std::string Collective::timeout_message(const std::string& what) const {
    return fmt::format(
        "jenny train: collective timeout: {} at step {} on rank {} of {} did not complete "
        "within {:g} s (dist.timeout_s): a rank died or hangs; see the other ranks' logs. "
        "Ending the job.\n",
        what, step_, rank(), size(), timeout_s_);
}

}  // namespace jenny::train
