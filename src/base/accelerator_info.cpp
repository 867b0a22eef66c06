#include "jenny/base/accelerator_info.h"

#ifdef JENNY_HAVE_MPI
#include <mpi.h>
#endif

namespace jenny::base {

#ifdef JENNY_HAVE_CUDA
void probe_cuda(AcceleratorInfo* info);  // cuda_probe.cu
#endif

AcceleratorInfo accelerator_info() {
    AcceleratorInfo info;
#ifdef JENNY_HAVE_CUDA
    info.cuda_built = true;
    probe_cuda(&info);
#else
    info.cuda_note = "built without CUDA (configure with -DJENNY_CUDA=ON)";
#endif
#ifdef JENNY_HAVE_MPI
    info.mpi_built = true;
    char version[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    MPI_Get_library_version(version, &len);
    std::string v(version, static_cast<size_t>(len));
    info.mpi_library = v.substr(0, v.find_first_of("\n,"));
#endif
    return info;
}

}  // namespace jenny::base
