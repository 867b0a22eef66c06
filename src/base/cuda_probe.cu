// Lists the CUDA devices this process can see. Built only with JENNY_CUDA.
#include <cuda_runtime.h>

#include <cstdio>

#include "jenny/base/accelerator_info.h"

namespace jenny::base {

void probe_cuda(AcceleratorInfo* info) {
    int count = 0;
    cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) {
        info->cuda_note = std::string("no usable CUDA device: ") + cudaGetErrorString(err);
        return;
    }
    info->cuda_devices = count;
    for (int i = 0; i < count; ++i) {
        cudaDeviceProp prop{};
        if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) continue;
        char buf[512];
        std::snprintf(buf, sizeof buf, "%s (sm_%d%d, %.1f GiB)", prop.name, prop.major, prop.minor,
                      static_cast<double>(prop.totalGlobalMem) / (1 << 30));
        info->cuda_device_names.emplace_back(buf);
    }
    if (count == 0) info->cuda_note = "the CUDA runtime reports no devices";
}

}  // namespace jenny::base
