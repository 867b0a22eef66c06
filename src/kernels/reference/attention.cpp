// The oracle for attention: every K/V row dequantised to f32, every score kept, softmax and
// the weighted sum of values in double.
#include "jenny/kernels/attention.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "jenny/base/check.h"
#include "jenny/tensor/quant.h"

namespace jenny::kernels::reference {

void attention_forward(float* out, const float* q, const KvBlocks* kv, int64_t N, int H, int Hkv,
                       int D, float scale) {
    JENNY_CHECK(Hkv > 0 && H % Hkv == 0, "attention: H={} not a multiple of Hkv={}", H, Hkv);
    const int group = H / Hkv;
    std::vector<float> k_row(static_cast<size_t>(D)), v_row(static_cast<size_t>(D));
    std::vector<double> scores, acc(static_cast<size_t>(D));
    for (int64_t n = 0; n < N; ++n) {
        const KvBlocks& c = kv[n];
        JENNY_CHECK(c.end > c.begin && c.begin >= 0, "attention: empty range [{}, {})", c.begin,
                    c.end);
        const size_t rb = tensor::row_bytes(c.dtype, D);
        auto row_at = [&](const uint8_t* pool, int p, int hk) {
            const int32_t block = c.blocks[p / c.block_size];
            const int slot = p % c.block_size;
            return pool + static_cast<size_t>(block) * c.block_bytes +
                   (static_cast<size_t>(slot) * Hkv + hk) * rb;
        };
        for (int h = 0; h < H; ++h) {
            const int hk = h / group;
            const float* qh = q + (n * H + h) * D;  // (D)
            scores.assign(static_cast<size_t>(c.end - c.begin), 0.0);
            double max = -INFINITY;
            for (int p = c.begin; p < c.end; ++p) {
                tensor::dequantize_row(c.dtype, row_at(c.k, p, hk), k_row.data(), D);
                double s = 0.0;
                for (int d = 0; d < D; ++d) s += static_cast<double>(qh[d]) * k_row[d];
                s *= scale;
                scores[p - c.begin] = s;
                max = s > max ? s : max;
            }
            double sum = 0.0;
            for (double& s : scores) sum += (s = std::exp(s - max));
            acc.assign(static_cast<size_t>(D), 0.0);
            for (int p = c.begin; p < c.end; ++p) {
                tensor::dequantize_row(c.dtype, row_at(c.v, p, hk), v_row.data(), D);
                const double w = scores[p - c.begin] / sum;
                for (int d = 0; d < D; ++d) acc[d] += w * v_row[d];
            }
            float* oh = out + (n * H + h) * D;
            for (int d = 0; d < D; ++d) oh[d] = static_cast<float>(acc[d]);
        }
    }
}

void causal_attention_forward(float* out, float* probs, const float* q, const float* k,
                              const float* v, const int32_t* seg_begin, int B, int T, int H,
                              int Hkv, int D, float scale) {
    JENNY_CHECK(Hkv > 0 && H % Hkv == 0, "attention: H={} not a multiple of Hkv={}", H, Hkv);
    const int group = H / Hkv;
    const int64_t qs = static_cast<int64_t>(H) * D, ks = static_cast<int64_t>(Hkv) * D;
    std::vector<double> p(static_cast<size_t>(T));
    for (int64_t b = 0; b < B; ++b) {
        for (int h = 0; h < H; ++h) {
            const int hk = h / group;
            const float* qh = q + b * T * qs + h * D;  // (T, D), row stride qs
            const float* kh = k + b * T * ks + hk * D;
            const float* vh = v + b * T * ks + hk * D;
            float* P = probs + (b * H + h) * T * T;  // (T, T)
            for (int t = 0; t < T; ++t) {
                const int j0 = seg_begin ? seg_begin[b * T + t] : 0;
                JENNY_CHECK(j0 >= 0 && j0 <= t, "attention: seg_begin {} at t={}", j0, t);
                double max = -INFINITY;
                for (int j = j0; j <= t; ++j) {
                    double s = 0.0;
                    for (int d = 0; d < D; ++d)
                        s += static_cast<double>(qh[t * qs + d]) * kh[j * ks + d];
                    p[j] = s * scale;
                    max = std::max(max, p[j]);
                }
                double sum = 0.0;
                for (int j = j0; j <= t; ++j) sum += (p[j] = std::exp(p[j] - max));
                for (int j = 0; j < T; ++j)
                    P[t * T + j] = j >= j0 && j <= t ? static_cast<float>(p[j] / sum) : 0.0f;
                for (int d = 0; d < D; ++d) {
                    double acc = 0.0;
                    for (int j = j0; j <= t; ++j) acc += p[j] / sum * vh[j * ks + d];
                    out[b * T * qs + t * qs + h * D + d] = static_cast<float>(acc);
                }
            }
        }
    }
}

void causal_attention_backward(float* dq, float* dk, float* dv, const float* dout,
                               const float* probs, const float* q, const float* k, const float* v,
                               int B, int T, int H, int Hkv, int D, float scale) {
    JENNY_CHECK(Hkv > 0 && H % Hkv == 0, "attention: H={} not a multiple of Hkv={}", H, Hkv);
    const int group = H / Hkv;
    const int64_t qs = static_cast<int64_t>(H) * D, ks = static_cast<int64_t>(Hkv) * D;
    const size_t kv_size = static_cast<size_t>(B) * T * ks;
    std::vector<double> dk_acc(kv_size, 0.0), dv_acc(kv_size, 0.0);  // (B, T, Hkv, D)
    std::vector<double> ds(static_cast<size_t>(T));
    for (int64_t b = 0; b < B; ++b) {
        for (int h = 0; h < H; ++h) {
            const int hk = h / group;
            const int64_t qo = b * T * qs + h * D, ko = b * T * ks + hk * D;
            const float* P = probs + (b * H + h) * T * T;  // (T, T)
            for (int t = 0; t < T; ++t) {
                double dot = 0.0;
                for (int j = 0; j <= t; ++j) {
                    double dp = 0.0;
                    for (int d = 0; d < D; ++d) {
                        dp += static_cast<double>(dout[qo + t * qs + d]) * v[ko + j * ks + d];
                    }
                    ds[j] = dp;
                    dot += dp * P[t * T + j];
                }
                for (int j = 0; j <= t; ++j) ds[j] = P[t * T + j] * (ds[j] - dot);
                for (int d = 0; d < D; ++d) {
                    double acc = 0.0;
                    for (int j = 0; j <= t; ++j) acc += ds[j] * k[ko + j * ks + d];
                    dq[qo + t * qs + d] = static_cast<float>(scale * acc);
                }
                for (int j = 0; j <= t; ++j) {
                    for (int d = 0; d < D; ++d) {
                        dk_acc[ko + j * ks + d] += scale * ds[j] * q[qo + t * qs + d];
                        dv_acc[ko + j * ks + d] +=
                            static_cast<double>(P[t * T + j]) * dout[qo + t * qs + d];
                    }
                }
            }
        }
    }
    for (size_t i = 0; i < kv_size; ++i) {
        dk[i] = static_cast<float>(dk_acc[i]);
        dv[i] = static_cast<float>(dv_acc[i]);
    }
}

}  // namespace jenny::kernels::reference
