#include "jenny/kernels/blas_core.h"

#include <cblas.h>

#include <cstdlib>
#include <cstring>

namespace jenny::kernels {

std::string blas_core_name() {
    const char* name = openblas_get_corename();
    return name ? name : "";
}

std::string blas_core_override() {
    if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return "";
    const std::string core = blas_core_name();
    // OpenBLAS's core names for CPUs without AVX2 (and its fallbacks).
    static const char* const kOld[] = {"Prescott",   "Core2",       "Penryn", "Dunnington",
                                       "Nehalem",    "Sandybridge", "Atom",   "Katmai",
                                       "Coppermine", "Northwood",   "Banias", "Unknown"};
    bool old = false;
    for (const char* k : kOld) old |= strcasecmp(core.c_str(), k) == 0;
    if (!old) return "";
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
    return "";
}

}  // namespace jenny::kernels
