#include "jenny/kernels/cpu_check.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <vector>

#include "jenny/base/cpu_info.h"

namespace jenny::kernels {

std::string compiled_simd() {
#if defined(__AVX512F__)
    std::string s = "avx512";
#if defined(__AVX512VNNI__)
    s += " vnni";
#endif
#if defined(__AVX512BF16__)
    s += " bf16";
#endif
    return s;
#elif defined(__AVX2__)
    std::string s = "avx2";
#if defined(__FMA__)
    s += " fma";
#endif
#if defined(__F16C__)
    s += " f16c";
#endif
    return s;
#else
    return "scalar";
#endif
}

base::Status check_cpu() {
    const base::CpuInfo& cpu = base::cpu_info();
    std::vector<const char*> missing;
#if defined(__AVX2__)
    if (!cpu.avx2) missing.push_back("avx2");
#endif
#if defined(__FMA__)
    if (!cpu.fma) missing.push_back("fma");
#endif
#if defined(__F16C__)
    if (!cpu.f16c) missing.push_back("f16c");
#endif
#if defined(__AVX512F__)
    if (!cpu.avx512f) missing.push_back("avx512f");
#endif
#if defined(__AVX512BW__)
    if (!cpu.avx512bw) missing.push_back("avx512bw");
#endif
#if defined(__AVX512VL__)
    if (!cpu.avx512vl) missing.push_back("avx512vl");
#endif
#if defined(__AVX512VNNI__)
    if (!cpu.avx512vnni) missing.push_back("avx512vnni");
#endif
#if defined(__AVX512BF16__)
    if (!cpu.avx512bf16) missing.push_back("avx512bf16");
#endif
    (void)cpu;
    if (missing.empty()) return base::Status::ok_status();
    return base::Status::unsupported(fmt::format(
        "this binary was compiled for {} but this CPU lacks {}: rebuild it on this machine "
        "with JENNY_NATIVE=OFF (make CMAKE_ARGS=-DJENNY_NATIVE=OFF, or cmake -DJENNY_NATIVE=OFF)",
        compiled_simd(), fmt::join(missing, " ")));
}

}  // namespace jenny::kernels
