// What the CPU we run on can do, detected at run time (cpuid on x86-64), so kernels can pick
// the widest SIMD path and `jenny --version` can report it.
#pragma once

#include <string>

namespace jenny::base {

struct CpuInfo {
    bool sse42 = false, avx = false, avx2 = false, fma = false, f16c = false;
    bool avx512f = false, avx512bw = false, avx512vl = false, avx512vnni = false,
         avx512bf16 = false, amx_bf16 = false;
    bool neon = false;
    int logical_cores = 1;

    // The best level we have kernels for, e.g. "avx512", "avx2", "sse4.2", "neon", "scalar".
    std::string simd_level() const;
    // Every detected feature, space-separated: "sse4.2 avx avx2 fma f16c avx512f ...".
    std::string features() const;
};

// Detected once; thread-safe.
const CpuInfo& cpu_info();

}  // namespace jenny::base
