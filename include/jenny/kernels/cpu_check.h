// Which SIMD paths the kernels were compiled with (JENNY_NATIVE builds with -march=native),
// and a start-up check that the CPU we run on has them.
#pragma once

#include <string>

#include "jenny/base/status.h"

namespace jenny::kernels {

// "avx512 vnni bf16", "avx2 fma f16c", or "scalar": the paths compiled into this binary.
std::string compiled_simd();
// OK when the running CPU has every feature compiled_simd() uses; otherwise kUnsupported
// naming the missing features and saying to rebuild with JENNY_NATIVE=OFF (make
// JENNY_NATIVE=OFF) on this machine.
base::Status check_cpu();

}  // namespace jenny::kernels
