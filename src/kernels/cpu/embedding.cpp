#include "jenny/kernels/embedding.h"

#include <cstring>

#include "jenny/base/check.h"
#include "jenny/tensor/quant.h"
#include "kernels/cpu/simd.h"

namespace jenny::kernels {

void embedding_forward(float* out, const int32_t* ids, int64_t N, const tensor::Tensor& table) {
    const int64_t V = table.rows(), C = table.cols();
    for (int64_t n = 0; n < N; ++n) {
        JENNY_CHECK(ids[n] >= 0 && ids[n] < V, "embedding: id {} outside [0, {})", ids[n], V);
        const uint8_t* row = table.row(ids[n]);
        float* on = out + n * C;  // (C)
        switch (table.dtype()) {
            case tensor::DType::kF32:
                std::memcpy(on, row, static_cast<size_t>(C) * sizeof(float));
                break;
#if defined(JENNY_KERNELS_AVX2)
            case tensor::DType::kF16: {
                const auto* h = reinterpret_cast<const uint16_t*>(row);
                int64_t c = 0;
                for (; c + 8 <= C; c += 8) _mm256_storeu_ps(on + c, cpu::load_f16(h + c));
                for (; c < C; ++c) on[c] = cpu::f16_to_f32(h[c]);
                break;
            }
#endif
            default:
                tensor::dequantize_row(table.dtype(), row, on, C);
        }
    }
}

void embedding_backward(float* dtable, const float* dout, const int32_t* ids, int64_t N,
                        int64_t C) {
    for (int64_t n = 0; n < N; ++n) {
        JENNY_CHECK(ids[n] >= 0, "embedding: negative id {}", ids[n]);
        float* row = dtable + static_cast<int64_t>(ids[n]) * C;  // (C)
        const float* g = dout + n * C;                           // (C)
        int64_t c = 0;
#if defined(JENNY_KERNELS_AVX2)
        for (; c + 8 <= C; c += 8) {
            _mm256_storeu_ps(row + c,
                             _mm256_add_ps(_mm256_loadu_ps(row + c), _mm256_loadu_ps(g + c)));
        }
#endif
        for (; c < C; ++c) row[c] += g[c];
    }
}

}  // namespace jenny::kernels
