// Attention, one (token, head) pair at a time: scores for up to kChunk positions of one KV
// block, then the running max / running sum update of online softmax once per chunk, then the
// weighted values. Threads split the N*H pairs.
//
// Training attention (causal_attention_*) works on a whole (T, D) head at once with sgemm on
// tiles of kTile query rows: tile [t0, t1) only needs key columns [0, t1), so the causal half
// of every product is skipped but for the diagonal tiles. Forward threads split the B*H heads;
// backward splits the B*Hkv kv heads, each task summing dk / dv over its group's query heads
// (no two tasks write the same rows).
#include "jenny/kernels/attention.h"

#include <algorithm>
#include <cmath>

#include "jenny/base/check.h"
#include "jenny/tensor/quant.h"
#include "kernels/cpu/blas.h"
#include "kernels/cpu/simd.h"

namespace jenny::kernels {

namespace {

constexpr int kChunk = 64;   // positions scored before each online-softmax update
constexpr int kMaxD = 1024;  // head dims above this are a programmer error

using tensor::BlockQ8_0;
using tensor::DType;

float dot_row(DType dtype, const float* q, const uint8_t* row, int D) {
    float sum = 0.0f;
    int d = 0;
    if (dtype == DType::kF32) {
        const float* k = reinterpret_cast<const float*>(row);
#if defined(JENNY_KERNELS_AVX2)
        __m256 a = _mm256_setzero_ps();
        for (; d + 8 <= D; d += 8)
            a = _mm256_fmadd_ps(_mm256_loadu_ps(q + d), _mm256_loadu_ps(k + d), a);
        sum = cpu::hsum(a);
#endif
        for (; d < D; ++d) sum += q[d] * k[d];
    } else if (dtype == DType::kF16) {
        const uint16_t* k = reinterpret_cast<const uint16_t*>(row);
#if defined(JENNY_KERNELS_AVX2)
        __m256 a = _mm256_setzero_ps();
        for (; d + 8 <= D; d += 8)
            a = _mm256_fmadd_ps(_mm256_loadu_ps(q + d), cpu::load_f16(k + d), a);
        sum = cpu::hsum(a);
#endif
        for (; d < D; ++d) sum += q[d] * cpu::f16_to_f32(k[d]);
    } else {
        const BlockQ8_0* b = reinterpret_cast<const BlockQ8_0*>(row);
#if defined(JENNY_KERNELS_AVX2)
        __m256 a = _mm256_setzero_ps();
        for (int i = 0; i < D / tensor::kQK; ++i, q += tensor::kQK) {
            __m256 s = _mm256_setzero_ps();
            for (int j = 0; j < tensor::kQK; j += 8) {
                const __m128i k8 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(b[i].qs + j));
                const __m256 kf = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(k8));
                s = _mm256_fmadd_ps(_mm256_loadu_ps(q + j), kf, s);
            }
            a = _mm256_fmadd_ps(_mm256_set1_ps(cpu::f16_to_f32(b[i].d)), s, a);
        }
        sum = cpu::hsum(a);
#else
        for (int i = 0; i < D / tensor::kQK; ++i, q += tensor::kQK) {
            float s = 0.0f;
            for (int j = 0; j < tensor::kQK; ++j) s += q[j] * b[i].qs[j];
            sum += cpu::f16_to_f32(b[i].d) * s;
        }
#endif
    }
    return sum;
}

// acc[d] += w * row[d]
void axpy_row(float* acc, float w, DType dtype, const uint8_t* row, int D) {
    int d = 0;
    if (dtype == DType::kF32) {
        const float* v = reinterpret_cast<const float*>(row);
#if defined(JENNY_KERNELS_AVX2)
        const __m256 vw = _mm256_set1_ps(w);
        for (; d + 8 <= D; d += 8) {
            _mm256_storeu_ps(acc + d,
                             _mm256_fmadd_ps(vw, _mm256_loadu_ps(v + d), _mm256_loadu_ps(acc + d)));
        }
#endif
        for (; d < D; ++d) acc[d] += w * v[d];
    } else if (dtype == DType::kF16) {
        const uint16_t* v = reinterpret_cast<const uint16_t*>(row);
#if defined(JENNY_KERNELS_AVX2)
        const __m256 vw = _mm256_set1_ps(w);
        for (; d + 8 <= D; d += 8) {
            _mm256_storeu_ps(acc + d,
                             _mm256_fmadd_ps(vw, cpu::load_f16(v + d), _mm256_loadu_ps(acc + d)));
        }
#endif
        for (; d < D; ++d) acc[d] += w * cpu::f16_to_f32(v[d]);
    } else {
        const BlockQ8_0* b = reinterpret_cast<const BlockQ8_0*>(row);
        for (int i = 0; i < D / tensor::kQK; ++i) {
            const float wd = w * cpu::f16_to_f32(b[i].d);
            float* a = acc + i * tensor::kQK;
#if defined(JENNY_KERNELS_AVX2)
            const __m256 vw = _mm256_set1_ps(wd);
            for (int j = 0; j < tensor::kQK; j += 8) {
                const __m128i v8 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(b[i].qs + j));
                const __m256 vf = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v8));
                _mm256_storeu_ps(a + j, _mm256_fmadd_ps(vw, vf, _mm256_loadu_ps(a + j)));
            }
#else
            for (int j = 0; j < tensor::kQK; ++j) a[j] += wd * b[i].qs[j];
#endif
        }
    }
}

// scores[j] = exp(scores[j] - max); returns their sum.
float exp_in_place(float* scores, int n, float max) {
    int j = 0;
    float sum = 0.0f;
#if defined(JENNY_KERNELS_AVX2)
    const __m256 vmax = _mm256_set1_ps(max);
    __m256 acc = _mm256_setzero_ps();
    for (; j + 8 <= n; j += 8) {
        const __m256 e = cpu::exp_ps(_mm256_sub_ps(_mm256_loadu_ps(scores + j), vmax));
        _mm256_storeu_ps(scores + j, e);
        acc = _mm256_add_ps(acc, e);
    }
    sum = cpu::hsum(acc);
#endif
    for (; j < n; ++j) sum += (scores[j] = std::exp(scores[j] - max));
    return sum;
}

void attend_head(float* out, const float* q, const KvBlocks& c, int hk, int Hkv, int D,
                 float scale) {
    const size_t rb = tensor::row_bytes(c.dtype, D);
    const size_t stride = static_cast<size_t>(Hkv) * rb;  // next slot, same kv head
    alignas(32) float acc[kMaxD];
    alignas(32) float scores[kChunk];
    std::fill(acc, acc + D, 0.0f);
    float max = -INFINITY, sum = 0.0f;
    for (int p = c.begin; p < c.end;) {
        const int slot = p % c.block_size;
        const int n = std::min({c.block_size - slot, c.end - p, kChunk});
        const size_t off = static_cast<size_t>(c.blocks[p / c.block_size]) * c.block_bytes +
                           (static_cast<size_t>(slot) * Hkv + hk) * rb;
        const uint8_t* k = c.k + off;
        const uint8_t* v = c.v + off;
        float chunk_max = -INFINITY;
        for (int j = 0; j < n; ++j) {
            scores[j] = dot_row(c.dtype, q, k + j * stride, D) * scale;
            chunk_max = std::max(chunk_max, scores[j]);
        }
        if (chunk_max > max) {
            const float correction = std::exp(max - chunk_max);  // 0 on the first chunk
            for (int d = 0; d < D; ++d) acc[d] *= correction;
            sum *= correction;
            max = chunk_max;
        }
        sum += exp_in_place(scores, n, max);
        for (int j = 0; j < n; ++j) axpy_row(acc, scores[j], c.dtype, v + j * stride, D);
        p += n;
    }
    const float inv = 1.0f / sum;
    for (int d = 0; d < D; ++d) out[d] = acc[d] * inv;
}

}  // namespace

void attention_forward(float* out, const float* q, const KvBlocks* kv, int64_t N, int H, int Hkv,
                       int D, float scale, base::WorkerTeam* team) {
    JENNY_CHECK(Hkv > 0 && H % Hkv == 0, "attention: H={} not a multiple of Hkv={}", H, Hkv);
    JENNY_CHECK(D > 0 && D <= kMaxD, "attention: head dim {} outside (0, {}]", D, kMaxD);
    const int group = H / Hkv;
    auto work = [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
            const int64_t n = i / H;
            const int h = static_cast<int>(i % H);
            const KvBlocks& c = kv[n];
            JENNY_CHECK(c.end > c.begin && c.begin >= 0, "attention: empty range [{}, {})", c.begin,
                        c.end);
            JENNY_CHECK(c.dtype == DType::kF32 || c.dtype == DType::kF16 ||
                            (c.dtype == DType::kQ8_0 && D % tensor::kQK == 0),
                        "attention: KV dtype {} with D={}", tensor::dtype_name(c.dtype), D);
            attend_head(out + (n * H + h) * D, q + (n * H + h) * D, c, h / group, Hkv, D, scale);
        }
    };
    // Tiny problems (a few thousand multiply-adds) run on the calling thread.
    int64_t positions = 0;
    for (int64_t n = 0; n < N; ++n) positions += kv[n].end - kv[n].begin;
    if (team && positions * H * D >= (1 << 15)) {
        team->parallel_for(N * H, work);
    } else {
        work(0, N * H);
    }
}

namespace {

constexpr int kTile = 64;  // query rows (or key columns) per sgemm tile

struct AttentionScratch {};  // thread_scratch tag

void check_shapes(int B, int T, int H, int Hkv, int D) {
    JENNY_CHECK(B >= 0 && T >= 0 && D > 0, "attention: B={} T={} D={}", B, T, D);
    JENNY_CHECK(Hkv > 0 && H % Hkv == 0, "attention: H={} not a multiple of Hkv={}", H, Hkv);
}

// Turns scores row[j0, n) into their softmax and zeroes row[0, j0) and row[n, T).
void softmax_causal_row(float* row, int j0, int n, int T) {
    float max = -INFINITY;
    for (int j = j0; j < n; ++j) max = std::max(max, row[j]);
    const float inv = 1.0f / exp_in_place(row + j0, n - j0, max);
    for (int j = j0; j < n; ++j) row[j] *= inv;
    std::fill(row, row + j0, 0.0f);
    std::fill(row + n, row + T, 0.0f);
}

// Row t of dP (holding dout · vᵀ over columns [0, t1)) becomes dS = P ∘ (dP − Σ_j dP P), with
// zeros above the diagonal.
void softmax_backward_row(float* ds, const float* p, int n, int t1) {
    int j = 0;
    float dot = 0.0f;
#if defined(JENNY_KERNELS_AVX2)
    __m256 acc = _mm256_setzero_ps();
    for (; j + 8 <= n; j += 8) {
        acc = _mm256_fmadd_ps(_mm256_loadu_ps(ds + j), _mm256_loadu_ps(p + j), acc);
    }
    dot = cpu::hsum(acc);
#endif
    for (; j < n; ++j) dot += ds[j] * p[j];
    for (j = 0; j < n; ++j) ds[j] = p[j] * (ds[j] - dot);
    std::fill(ds + n, ds + t1, 0.0f);
}

}  // namespace

void causal_attention_forward(float* out, float* probs, const float* q, const float* k,
                              const float* v, const int32_t* seg_begin, int B, int T, int H,
                              int Hkv, int D, float scale, base::WorkerTeam* team) {
    check_shapes(B, T, H, Hkv, D);
    const int group = H / Hkv;
    const int64_t qs = static_cast<int64_t>(H) * D, ks = static_cast<int64_t>(Hkv) * D;
    cpu::blas_single_thread();
    auto work = [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
            const int64_t b = i / H;
            const int h = static_cast<int>(i % H), hk = h / group;
            const float* qh = q + b * T * qs + h * D;   // (T, D), row stride qs
            const float* kh = k + b * T * ks + hk * D;  // (T, D), row stride ks
            const float* vh = v + b * T * ks + hk * D;  // (T, D), row stride ks
            float* oh = out + b * T * qs + h * D;       // (T, D), row stride qs
            float* P = probs + i * T * T;               // (T, T)
            for (int t0 = 0; t0 < T; t0 += kTile) {
                const int t1 = std::min(T, t0 + kTile);
                // S[t0:t1, 0:t1] = scale · q[t0:t1] · k[0:t1]ᵀ
                cpu::sgemm(false, true, t1 - t0, t1, D, scale, qh + t0 * qs, qs, kh, ks, 0.0f,
                           P + t0 * T, T);
                for (int t = t0; t < t1; ++t) {
                    const int j0 = seg_begin ? seg_begin[b * T + t] : 0;
                    JENNY_CHECK(j0 >= 0 && j0 <= t, "attention: seg_begin {} at t={}", j0, t);
                    softmax_causal_row(P + t * T, j0, t + 1, T);
                }
                // out[t0:t1] = P[t0:t1, 0:t1] · v[0:t1]
                cpu::sgemm(false, false, t1 - t0, D, t1, 1.0f, P + t0 * T, T, vh, ks, 0.0f,
                           oh + t0 * qs, qs);
            }
        }
    };
    const int64_t tasks = static_cast<int64_t>(B) * H;
    if (team && team->size() > 1 && tasks > 1 && tasks * T * T * D >= (1 << 16)) {
        team->parallel_for(tasks, work);
    } else {
        work(0, tasks);
    }
}

void causal_attention_backward(float* dq, float* dk, float* dv, const float* dout,
                               const float* probs, const float* q, const float* k, const float* v,
                               int B, int T, int H, int Hkv, int D, float scale,
                               base::WorkerTeam* team) {
    check_shapes(B, T, H, Hkv, D);
    const int group = H / Hkv;
    const int64_t qs = static_cast<int64_t>(H) * D, ks = static_cast<int64_t>(Hkv) * D;
    cpu::blas_single_thread();
    auto work = [&](int64_t begin, int64_t end) {
        // dS of one head, (T, T): only the tiles at or below the diagonal are ever written/read.
        float* dS = cpu::thread_scratch<AttentionScratch>(static_cast<size_t>(T) * T * 4);
        for (int64_t i = begin; i < end; ++i) {
            const int64_t b = i / Hkv;
            const int hk = static_cast<int>(i % Hkv);
            const float* kh = k + b * T * ks + hk * D;  // (T, D), row stride ks
            const float* vh = v + b * T * ks + hk * D;
            float* dkh = dk + b * T * ks + hk * D;
            float* dvh = dv + b * T * ks + hk * D;
            for (int j = 0; j < group; ++j) {
                const int h = hk * group + j;
                const float* qh = q + b * T * qs + h * D;  // (T, D), row stride qs
                const float* doh = dout + b * T * qs + h * D;
                float* dqh = dq + b * T * qs + h * D;
                const float* P = probs + (b * H + h) * T * T;  // (T, T)
                const float beta = j == 0 ? 0.0f : 1.0f;       // dk / dv: assign, then sum
                for (int t0 = 0; t0 < T; t0 += kTile) {
                    const int t1 = std::min(T, t0 + kTile);
                    // dP[t0:t1, 0:t1] = dout[t0:t1] · v[0:t1]ᵀ, then dS in place.
                    cpu::sgemm(false, true, t1 - t0, t1, D, 1.0f, doh + t0 * qs, qs, vh, ks, 0.0f,
                               dS + t0 * T, T);
                    for (int t = t0; t < t1; ++t) {
                        softmax_backward_row(dS + t * T, P + t * T, t + 1, t1);
                    }
                    // dq[t0:t1] = scale · dS[t0:t1, 0:t1] · k[0:t1]
                    cpu::sgemm(false, false, t1 - t0, D, t1, scale, dS + t0 * T, T, kh, ks, 0.0f,
                               dqh + t0 * qs, qs);
                }
                // Key rows [j0, j1) see query rows [j0, T): dk = scale · dSᵀ · q, dv = Pᵀ · dout.
                for (int j0 = 0; j0 < T; j0 += kTile) {
                    const int j1 = std::min(T, j0 + kTile);
                    cpu::sgemm(true, false, j1 - j0, D, T - j0, scale, dS + j0 * T + j0, T,
                               qh + j0 * qs, qs, beta, dkh + j0 * ks, ks);
                    cpu::sgemm(true, false, j1 - j0, D, T - j0, 1.0f, P + j0 * T + j0, T,
                               doh + j0 * qs, qs, beta, dvh + j0 * ks, ks);
                }
            }
        }
    };
    const int64_t tasks = static_cast<int64_t>(B) * Hkv;
    if (team && team->size() > 1 && tasks > 1 && tasks * group * T * T * D >= (1 << 16)) {
        team->parallel_for(tasks, work);
    } else {
        work(0, tasks);
    }
}

}  // namespace jenny::kernels
