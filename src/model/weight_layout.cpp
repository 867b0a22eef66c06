#include "model/weight_layout.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>

#include "jenny/base/check.h"

namespace jenny::model {

using kernels::RopeStyle;
using tensor::DType;
using tensor::Tensor;

namespace {

// A 1-D tensor viewed as (n, 1) so that its elements are rows.
Tensor as_rows(const Tensor& t) { return t.shape().ndim() == 1 ? t.reshape({t.shape()[0], 1}) : t; }

// out row r = in row src[r].
Tensor gather_rows(const Tensor& in, const std::vector<int64_t>& src) {
    Tensor rows = as_rows(in);
    Tensor out = Tensor::empty(rows.dtype(), rows.shape());
    const size_t rb = rows.row_bytes();
    for (size_t r = 0; r < src.size(); ++r) {
        std::memcpy(out.mutable_data_as<uint8_t>() + r * rb, rows.row(src[r]), rb);
    }
    return in.shape().ndim() == 1 ? out.reshape(in.shape()) : out;
}

}  // namespace

Tensor permute_rope_rows(const Tensor& w, int n_heads, int head_dim, RopeStyle from, RopeStyle to) {
    if (from == to) return w;
    JENNY_CHECK(as_rows(w).rows() == static_cast<int64_t>(n_heads) * head_dim,
                "permute_rope_rows: {} rows for {} heads of {}", as_rows(w).rows(), n_heads,
                head_dim);
    const int half = head_dim / 2;
    std::vector<int64_t> src(static_cast<size_t>(n_heads) * head_dim);
    for (int h = 0; h < n_heads; ++h) {
        for (int i = 0; i < half; ++i) {
            for (int s = 0; s < 2; ++s) {
                const int64_t inter = int64_t{h} * head_dim + 2 * i + s;
                const int64_t halved = int64_t{h} * head_dim + s * half + i;
                if (to == RopeStyle::kInterleaved) {
                    src[inter] = halved;
                } else {
                    src[halved] = inter;
                }
            }
        }
    }
    return gather_rows(w, src);
}

QkvSplit split_wqkv(const Tensor& wqkv, int n_heads, int n_kv_heads, int head_dim) {
    const int q_per_kv = n_heads / n_kv_heads;
    const int64_t C = wqkv.cols(), D = head_dim;
    QkvSplit out;
    out.wq = Tensor::empty(wqkv.dtype(), {n_heads * D, C});
    out.wk = Tensor::empty(wqkv.dtype(), {n_kv_heads * D, C});
    out.wv = Tensor::empty(wqkv.dtype(), {n_kv_heads * D, C});
    const size_t rb = wqkv.row_bytes();
    auto copy = [&](const Tensor& dst, int64_t dst_row, int64_t src_row, int64_t n) {
        std::memcpy(dst.mutable_data_as<uint8_t>() + dst_row * rb, wqkv.row(src_row), n * rb);
    };
    for (int g = 0; g < n_kv_heads; ++g) {
        const int64_t base = int64_t{g} * (q_per_kv + 2) * D;
        copy(out.wq, int64_t{g} * q_per_kv * D, base, q_per_kv * D);
        copy(out.wk, g * D, base + q_per_kv * D, D);
        copy(out.wv, g * D, base + (q_per_kv + 1) * D, D);
    }
    return out;
}

Tensor pack_wqkv(const Tensor& wq, const Tensor& wk, const Tensor& wv, int n_heads, int n_kv_heads,
                 int head_dim) {
    JENNY_CHECK(wq.dtype() == wk.dtype() && wk.dtype() == wv.dtype(),
                "pack_wqkv: q/k/v dtypes differ");
    const int q_per_kv = n_heads / n_kv_heads;
    const int64_t C = wq.cols(), D = head_dim;
    Tensor out = Tensor::empty(wq.dtype(), {(n_heads + 2 * n_kv_heads) * D, C});
    const size_t rb = wq.row_bytes();
    auto copy = [&](int64_t dst_row, const Tensor& src, int64_t src_row, int64_t n) {
        std::memcpy(out.mutable_data_as<uint8_t>() + dst_row * rb, src.row(src_row), n * rb);
    };
    for (int g = 0; g < n_kv_heads; ++g) {
        const int64_t base = int64_t{g} * (q_per_kv + 2) * D;
        copy(base, wq, int64_t{g} * q_per_kv * D, q_per_kv * D);
        copy(base + q_per_kv * D, wk, g * D, D);
        copy(base + (q_per_kv + 1) * D, wv, g * D, D);
    }
    return out;
}

std::vector<float> llama3_rope_factors(int head_dim, double theta,
                                       const kernels::RopeScaling& scaling) {
    const double factor = scaling.factor, lo = scaling.low_freq_factor,
                 hi = scaling.high_freq_factor, old_ctx = scaling.original_max_position;
    const double lo_wavelen = old_ctx / lo, hi_wavelen = old_ctx / hi;
    std::vector<float> out;
    for (int i = 0; i < head_dim; i += 2) {
        // As the converter: freqs in f32 (torch), the rest in Python floats.
        const float freq = 1.0f / std::pow(static_cast<float>(theta),
                                           static_cast<float>(i) / static_cast<float>(head_dim));
        const double wavelen = 2 * M_PI / freq;
        if (wavelen < hi_wavelen) {
            out.push_back(1.0f);
        } else if (wavelen > lo_wavelen) {
            out.push_back(static_cast<float>(factor));
        } else {
            const double smooth = (old_ctx / wavelen - lo) / (hi - lo);
            out.push_back(static_cast<float>(1.0 / ((1 - smooth) / factor + smooth)));
        }
    }
    return out;
}

std::optional<kernels::RopeScaling> llama3_scaling_from_factors(const std::vector<float>& factors,
                                                                int head_dim, double theta) {
    float biggest = 0;
    for (float f : factors) biggest = std::max(biggest, f);
    kernels::RopeScaling s;
    if (biggest == 1.0f) {
        bool ones = true;
        for (float f : factors) ones = ones && f == 1.0f;
        if (ones) return s;
    }
    s.kind = kernels::RopeScaling::Kind::kLlama3;
    s.factor = biggest;
    for (float lo : {1.0f, 2.0f}) {
        for (float hi : {4.0f, 8.0f, 2.0f}) {
            for (int ctx : {8192, 4096, 2048, 16384, 32768, 65536, 131072}) {
                s.low_freq_factor = lo;
                s.high_freq_factor = hi;
                s.original_max_position = ctx;
                std::vector<float> want = llama3_rope_factors(head_dim, theta, s);
                bool same = want.size() == factors.size();
                for (size_t i = 0; same && i < want.size(); ++i) {
                    same = std::fabs(want[i] - factors[i]) <= 1e-5f * std::fabs(want[i]);
                }
                if (same) return s;
            }
        }
    }
    return std::nullopt;
}

Tensor to_dtype(const Tensor& t, DType want, DType fallback, const std::string& name,
                std::vector<std::string>* notes) {
    DType target = want;
    if (!tensor::row_fits(want, t.cols())) {
        target = fallback;
        if (notes != nullptr) {
            notes->push_back(fmt::format("{}: rows of {} are not whole {} blocks; kept as {}", name,
                                         t.cols(), tensor::dtype_name(want),
                                         tensor::dtype_name(fallback)));
        }
    }
    if (t.dtype() == target) return t;
    return t.convert(target);
}

}  // namespace jenny::model
