// Which OpenBLAS kernels this process runs. OpenBLAS (Debian's DYNAMIC_ARCH build) picks its
// kernels once, when the library loads, from the CPU's vendor/family/model; on a CPU it does
// not know — some VMs report a generic "Intel Xeon Processor" — it falls back to Prescott
// (SSE3) kernels. Measured on such a VM (AVX-512): f32 sgemm 1536x576x512 at 22 GFLOP/s with
// the fallback, 155 with the SkylakeX kernels the CPU can run.
#pragma once

#include <string>

namespace jenny::kernels {

// The core OpenBLAS chose ("Haswell", "SkylakeX", "Prescott", ...).
std::string blas_core_name();

// The OPENBLAS_CORETYPE this process should run with: "SkylakeX" when the CPU has AVX-512
// F/BW/DQ/VL, "Haswell" with AVX2 and FMA, when OpenBLAS chose a pre-AVX2 core (Prescott,
// Core2, Nehalem, Sandybridge, ...); "" when its choice is fine or OPENBLAS_CORETYPE is set
// already. Since OpenBLAS reads the variable only when it loads, a program that gets a
// non-empty answer sets it and re-executes itself (the jenny binary does, at start).
std::string blas_core_override();

}  // namespace jenny::kernels
