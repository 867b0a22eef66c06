// OpenBLAS as the cpu/ kernels use it, and the team splits around it. Internal to src/kernels.
// OpenBLAS runs single-threaded (blas_single_thread): our WorkerTeam already owns the cores,
// and each member calls sgemm on its own share of rows.
#pragma once

#include <cblas.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>

#include "jenny/base/worker_team.h"
#include "jenny/tensor/arena.h"

namespace jenny::kernels::cpu {

inline void blas_single_thread() {
    static std::once_flag once;
    std::call_once(once, [] { openblas_set_num_threads(1); });
}

// Row-major C (m, n) = alpha · op(A) · op(B) + beta · C, op(X) = Xᵀ where the flag says so.
// Empty products (m, n or k == 0) are handled here: with k == 0, C is scaled by beta only.
inline void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                  const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                  int64_t ldc) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        for (int64_t i = 0; i < m; ++i) {
            for (int64_t j = 0; j < n; ++j)
                c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
        }
        return;
    }
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, static_cast<int>(m), static_cast<int>(n),
                static_cast<int>(k), alpha, a, static_cast<int>(lda), b, static_cast<int>(ldb),
                beta, c, static_cast<int>(ldc));
}

// fn(begin, end) on each member over an even split of [0, n) in multiples of `grain` items
// (the last share may be shorter); members with an empty share are not called. team may be
// nullptr: the calling thread does it all.
template <typename Fn>
void split_range(base::WorkerTeam* team, int64_t n, int64_t grain, const Fn& fn) {
    if (n <= 0) return;
    if (!team || team->size() == 1 || n <= grain) {
        fn(int64_t{0}, n);
        return;
    }
    team->run([&](int t, int nt) {
        const int64_t groups = (n + grain - 1) / grain;
        const int64_t g0 = groups * t / nt, g1 = groups * (t + 1) / nt;
        const int64_t b = std::min(n, g0 * grain), e = std::min(n, g1 * grain);
        if (b < e) fn(b, e);
    });
}

// The calling thread's growable, 64-byte aligned scratch (never shrinks, never freed before
// the thread ends): hot paths allocate nothing once it has reached its working size. Each call
// site passes its own Tag so two kernels' scratch never overlap.
template <typename Tag>
float* thread_scratch(size_t bytes) {
    thread_local std::unique_ptr<uint8_t[], tensor::AlignedFree> buf;
    thread_local size_t cap = 0;
    if (bytes > cap) {
        cap = std::max(bytes, cap + cap / 2);
        buf = tensor::aligned_alloc_bytes(cap);
    }
    return reinterpret_cast<float*>(buf.get());
}

}  // namespace jenny::kernels::cpu
