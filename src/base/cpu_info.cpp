#include "jenny/base/cpu_info.h"

#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace jenny::base {
namespace {

CpuInfo detect() {
    CpuInfo c;
    c.logical_cores = static_cast<int>(std::thread::hardware_concurrency());
    if (c.logical_cores < 1) c.logical_cores = 1;
#if defined(__x86_64__) || defined(__i386__)
    unsigned a = 0, b = 0, cx = 0, d = 0;
    if (__get_cpuid(1, &a, &b, &cx, &d)) {
        c.sse42 = cx & (1u << 20);
        c.fma = cx & (1u << 12);
        c.f16c = cx & (1u << 29);
        const bool osxsave = cx & (1u << 27);
        const bool avx_hw = cx & (1u << 28);
        unsigned long long xcr0 = 0;
        if (osxsave) {
            unsigned lo = 0, hi = 0;
            __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
            xcr0 = (static_cast<unsigned long long>(hi) << 32) | lo;
        }
        const bool os_avx = (xcr0 & 0x6) == 0x6;
        const bool os_avx512 = (xcr0 & 0xe6) == 0xe6;
        c.avx = avx_hw && os_avx;
        if (__get_cpuid_count(7, 0, &a, &b, &cx, &d)) {
            c.avx2 = c.avx && (b & (1u << 5));
            c.avx512f = os_avx512 && (b & (1u << 16));
            c.avx512bw = os_avx512 && (b & (1u << 30));
            c.avx512vl = os_avx512 && (b & (1u << 31));
            c.avx512vnni = os_avx512 && (cx & (1u << 11));
            c.amx_bf16 = d & (1u << 22);
        }
        if (__get_cpuid_count(7, 1, &a, &b, &cx, &d)) c.avx512bf16 = os_avx512 && (a & (1u << 5));
    }
#elif defined(__aarch64__)
    c.neon = true;
#endif
    return c;
}

}  // namespace

std::string CpuInfo::simd_level() const {
    if (avx512f && avx512bw && avx512vl) return "avx512";
    if (avx2 && fma) return "avx2";
    if (sse42) return "sse4.2";
    if (neon) return "neon";
    return "scalar";
}

std::string CpuInfo::features() const {
    std::string out;
    auto add = [&out](bool on, const char* name) {
        if (!on) return;
        if (!out.empty()) out += ' ';
        out += name;
    };
    add(sse42, "sse4.2");
    add(avx, "avx");
    add(avx2, "avx2");
    add(fma, "fma");
    add(f16c, "f16c");
    add(avx512f, "avx512f");
    add(avx512bw, "avx512bw");
    add(avx512vl, "avx512vl");
    add(avx512vnni, "avx512vnni");
    add(avx512bf16, "avx512bf16");
    add(amx_bf16, "amx-bf16");
    add(neon, "neon");
    return out.empty() ? "none" : out;
}

const CpuInfo& cpu_info() {
    static const CpuInfo info = detect();
    return info;
}

}  // namespace jenny::base
