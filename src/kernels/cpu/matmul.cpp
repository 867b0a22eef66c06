// kernels::matmul_forward: picks the path by weight dtype and N, splits the output columns
// (weight rows) over the team, and owns the scratch for quantised activations.
#include "jenny/kernels/matmul.h"

#include <cblas.h>

#include <algorithm>
#include <vector>

#include "jenny/base/check.h"
#include "jenny/kernels/activation.h"
#include "jenny/tensor/arena.h"
#include "jenny/tensor/quant.h"
#include "kernels/cpu/blas.h"
#include "kernels/cpu/matmul_internal.h"

namespace jenny::kernels {

namespace {

using tensor::DType;

// From this many tokens on, f32/f16/bf16 weights go through OpenBLAS sgemm (f16/bf16 widened
// a panel of rows at a time); below it the widen-on-the-fly SIMD tiles win.
constexpr int64_t kBlasMinN = 8;
constexpr int64_t kPanelRows = 64;  // f16/bf16 rows widened per sgemm call

// The calling thread's growable scratch for quantised activations (never shrinks).
uint8_t* scratch(size_t bytes) {
    thread_local std::unique_ptr<uint8_t[], tensor::AlignedFree> buf;
    thread_local size_t cap = 0;
    if (bytes > cap) {
        cap = std::max(bytes, cap * 2);
        buf = tensor::aligned_alloc_bytes(cap);
    }
    return buf.get();
}

constexpr int64_t kMinParallelMacs = 1 << 16;

size_t align64(size_t n) { return (n + 63) & ~size_t{63}; }

// fn(m0, m1) on each member over an even split of [0, M) in multiples of `grain` rows.
template <typename Fn>
void split_rows(base::WorkerTeam* team, int64_t M, int64_t grain, const Fn& fn) {
    if (!team || team->size() == 1) {
        fn(int64_t{0}, M);
        return;
    }
    team->run([&](int t, int nt) {
        const int64_t groups = (M + grain - 1) / grain;
        const int64_t g0 = groups * t / nt, g1 = groups * (t + 1) / nt;
        const int64_t m0 = std::min(M, g0 * grain), m1 = std::min(M, g1 * grain);
        if (m0 < m1) fn(m0, m1);
    });
}

// fn(n0, n1) on each member over an even split of the N tokens.
template <typename Fn>
void split_tokens(base::WorkerTeam* team, int64_t N, const Fn& fn) {
    if (!team || team->size() == 1 || N == 1) {
        fn(int64_t{0}, N);
        return;
    }
    team->run([&](int t, int nt) {
        const int64_t n0 = N * t / nt, n1 = N * (t + 1) / nt;
        if (n0 < n1) fn(n0, n1);
    });
}

void sgemm_rows(float* out, const float* x, const float* w, int64_t N, int64_t M, int64_t K,
                int64_t m0, int64_t m1) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(N),
                static_cast<int>(m1 - m0), static_cast<int>(K), 1.0f, x, static_cast<int>(K),
                w + m0 * K, static_cast<int>(K), 0.0f, out + m0, static_cast<int>(M));
}

// f16 / bf16 rows [m0, m1) widened kPanelRows at a time into per-thread scratch, then sgemm.
void widened_sgemm_rows(float* out, const float* x, const tensor::Tensor& w, int64_t N, int64_t m0,
                        int64_t m1) {
    const int64_t M = w.rows(), K = w.cols();
    thread_local std::vector<float> panel;
    panel.resize(static_cast<size_t>(kPanelRows * K));
    for (int64_t p = m0; p < m1; p += kPanelRows) {
        const int64_t rows = std::min(kPanelRows, m1 - p);
        for (int64_t r = 0; r < rows; ++r) {
            tensor::dequantize_row(w.dtype(), w.row(p + r), panel.data() + r * K, K);
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(N),
                    static_cast<int>(rows), static_cast<int>(K), 1.0f, x, static_cast<int>(K),
                    panel.data(), static_cast<int>(K), 0.0f, out + p, static_cast<int>(M));
    }
}

}  // namespace

void matmul_forward(float* out, const float* x, const tensor::Tensor& w, const float* bias,
                    int64_t N, base::WorkerTeam* team) {
    JENNY_CHECK(w.defined() && w.shape().ndim() == 2, "matmul: weight must be 2-D, got {}",
                w.shape().str());
    const int64_t M = w.rows(), K = w.cols();
    if (N <= 0 || M <= 0) return;
    // Below ~64k multiply-adds (a few microseconds) waking the team costs more than it saves.
    if (N * M * K < kMinParallelMacs) team = nullptr;
    const DType dt = w.dtype();
    switch (dt) {
        case DType::kF32:
        case DType::kF16:
        case DType::kBF16:
            if (N >= kBlasMinN) {
                cpu::blas_single_thread();
                split_rows(team, M, 16, [&](int64_t m0, int64_t m1) {
                    if (dt == DType::kF32) {
                        sgemm_rows(out, x, w.data_as<float>(), N, M, K, m0, m1);
                    } else {
                        widened_sgemm_rows(out, x, w, N, m0, m1);
                    }
                });
            } else {
                split_rows(team, M, 4, [&](int64_t m0, int64_t m1) {
                    cpu::matmul_dense_rows(out, x, w, N, m0, m1);
                });
            }
            break;
        case DType::kQ8_0:
        case DType::kQ4_0:
        case DType::kQ4_1:
        case DType::kQ5_0:
        case DType::kQ5_1: {
            const int64_t nb = K / tensor::kQK;
            const size_t qs_bytes = align64(static_cast<size_t>(N * nb * tensor::kQK));
            const size_t f_bytes = align64(static_cast<size_t>(N * nb) * sizeof(float));
            uint8_t* buf = scratch(qs_bytes + 2 * f_bytes);
            cpu::ActQ8 a;
            a.nb = nb;
            a.qs = reinterpret_cast<int8_t*>(buf);
            a.d = reinterpret_cast<float*>(buf + qs_bytes);
            a.s = reinterpret_cast<float*>(buf + qs_bytes + f_bytes);
            const bool q8_1 = dt == DType::kQ4_1 || dt == DType::kQ5_1;
            split_tokens(team, N, [&](int64_t n0, int64_t n1) {
                cpu::quantize_act_q8(a, x, n0, n1, K, q8_1);
            });
            split_rows(team, M, 4,
                       [&](int64_t m0, int64_t m1) { cpu::matmul_q32_rows(out, a, w, N, m0, m1); });
            break;
        }
        case DType::kQ4_K:
        case DType::kQ5_K:
        case DType::kQ6_K: {
            const int64_t nb = K / tensor::kQKK;
            auto* a = reinterpret_cast<tensor::BlockQ8_K*>(
                scratch(static_cast<size_t>(N * nb) * sizeof(tensor::BlockQ8_K)));
            split_tokens(team, N, [&](int64_t n0, int64_t n1) {
                for (int64_t n = n0; n < n1; ++n) {
                    tensor::quantize_row(DType::kQ8_K, x + n * K, a + n * nb, K);
                }
            });
            split_rows(team, M, 4,
                       [&](int64_t m0, int64_t m1) { cpu::matmul_qk_rows(out, a, w, N, m0, m1); });
            break;
        }
        default:
            JENNY_CHECK(false, "matmul: no kernel for weight dtype {}", tensor::dtype_name(dt));
    }
    if (bias) {
        for (int64_t n = 0; n < N; ++n) add_forward(out + n * M, out + n * M, bias, M);
    }
}

// dx over token rows and dw / dbias over weight rows, both in one team region: each member
// takes 1/n of either product, so the shares balance whatever N and M are.
void matmul_backward(float* dx, float* dw, float* dbias, const float* dout, const float* x,
                     const float* w, int64_t N, int64_t K, int64_t M, base::WorkerTeam* team) {
    if (N <= 0) return;
    if (N * M * K < kMinParallelMacs) team = nullptr;
    cpu::blas_single_thread();
    auto body = [&](int t, int nt) {
        if (dx) {
            const int64_t n0 = N * t / nt, n1 = N * (t + 1) / nt;
            // dx (n1-n0, K) = dout (n1-n0, M) · w (M, K)
            cpu::sgemm(false, false, n1 - n0, K, M, 1.0f, dout + n0 * M, M, w, K, 0.0f, dx + n0 * K,
                       K);
        }
        if (dw || dbias) {
            const int64_t groups = (M + 15) / 16;
            const int64_t m0 = std::min(M, groups * t / nt * 16);
            const int64_t m1 = std::min(M, groups * (t + 1) / nt * 16);
            if (m0 >= m1) return;
            // dw (m1-m0, K) += dout[:, m0:m1]ᵀ · x (N, K)
            if (dw) {
                cpu::sgemm(true, false, m1 - m0, K, N, 1.0f, dout + m0, M, x, K, 1.0f, dw + m0 * K,
                           K);
            }
            if (dbias) {
                for (int64_t n = 0; n < N; ++n) {
                    const float* dn = dout + n * M;  // (M)
                    for (int64_t m = m0; m < m1; ++m) dbias[m] += dn[m];
                }
            }
        }
    };
    if (team && team->size() > 1) {
        team->run(body);
    } else {
        body(0, 1);
    }
}

}  // namespace jenny::kernels
