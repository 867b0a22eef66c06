#include "jenny/kernels/cpu_check.h"

#include <gtest/gtest.h>

namespace jenny::kernels {
namespace {

TEST(KernelsCpuCheck, CompiledPathsRunHere) {
    const std::string s = compiled_simd();
    EXPECT_FALSE(s.empty());
#if defined(__AVX2__) && !defined(__AVX512F__)
    EXPECT_EQ(s.rfind("avx2", 0), 0u) << s;
#endif
    // The test binary runs on the machine it was built for.
    EXPECT_TRUE(check_cpu().ok()) << check_cpu().message();
}

}  // namespace
}  // namespace jenny::kernels
