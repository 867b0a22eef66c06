// blas_core_override: only when OpenBLAS fell back to a pre-AVX2 core on a CPU with AVX2.
#include "jenny/kernels/blas_core.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace jenny::kernels {
namespace {

TEST(BlasCore, OverrideOnlyForAFallbackCoreOnAnAvx2Cpu) {
    const std::string core = blas_core_name();
    EXPECT_FALSE(core.empty());
    const std::string o = blas_core_override();
    __builtin_cpu_init();
    const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (std::getenv("OPENBLAS_CORETYPE") != nullptr || !avx2) {
        EXPECT_EQ(o, "");
    } else if (core == "Prescott" || core == "Core2" || core == "Nehalem" ||
               core == "Sandybridge") {
        EXPECT_TRUE(o == "SkylakeX" || o == "Haswell") << core << " -> " << o;
    } else {
        EXPECT_EQ(o, "") << "OpenBLAS chose " << core;
    }
    ::setenv("OPENBLAS_CORETYPE", "Haswell", 1);  // set already: never overridden
    EXPECT_EQ(blas_core_override(), "");
    ::unsetenv("OPENBLAS_CORETYPE");
}

}  // namespace
}  // namespace jenny::kernels
