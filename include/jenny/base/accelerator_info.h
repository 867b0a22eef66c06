// What accelerators and scale-out libraries this process can use: the CUDA devices visible
// (when built with JENNY_CUDA) and the MPI library (when built with JENNY_MPI). Probing never
// fails: problems are reported in the fields. Thread-safe.
#pragma once

#include <string>
#include <vector>

namespace jenny::base {

struct AcceleratorInfo {
    bool cuda_built = false;
    int cuda_devices = 0;
    std::vector<std::string> cuda_device_names;  // "NVIDIA H100 80GB HBM3 (sm_90, 79.1 GiB)"
    std::string cuda_note;                       // why there are none, when there are none
    bool mpi_built = false;
    std::string mpi_library;  // MPI_Get_library_version's first line
};

AcceleratorInfo accelerator_info();

}  // namespace jenny::base
