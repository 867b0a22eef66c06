// The oracle for attention: every K/V row dequantised to f32, every score kept, softmax and
// the weighted sum of values in double.
#include "jenny/kernels/attention.h"

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

}  // namespace jenny::kernels::reference
