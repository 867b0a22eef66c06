#include "jenny/tensor/tensor.h"

#include <fmt/format.h>

#include <cstring>

#include "jenny/base/check.h"
#include "jenny/tensor/arena.h"
#include "jenny/tensor/quant.h"

namespace jenny::tensor {

Shape::Shape(std::initializer_list<int64_t> dims) {
    JENNY_CHECK(dims.size() <= static_cast<size_t>(kMaxDims), "Shape: {} dimensions, at most {}",
                dims.size(), kMaxDims);
    for (int64_t d : dims) {
        JENNY_CHECK(d >= 0, "Shape: negative dimension {}", d);
        dims_[ndim_++] = d;
    }
}

int64_t Shape::numel() const {
    int64_t n = 1;
    for (int i = 0; i < ndim_; ++i) n *= dims_[i];
    return n;
}

bool Shape::operator==(const Shape& o) const {
    if (ndim_ != o.ndim_) return false;
    for (int i = 0; i < ndim_; ++i) {
        if (dims_[i] != o.dims_[i]) return false;
    }
    return true;
}

std::string Shape::str() const {
    std::string s = "(";
    for (int i = 0; i < ndim_; ++i) {
        if (i > 0) s += ", ";
        s += std::to_string(dims_[i]);
    }
    return s + ")";
}

Tensor Tensor::empty(DType dtype, Shape shape) {
    JENNY_CHECK(row_fits(dtype, shape.cols()), "Tensor::empty: shape {} is not whole {} blocks",
                shape.str(), dtype_name(dtype));
    Tensor t;
    t.dtype_ = dtype;
    t.shape_ = shape;
    std::shared_ptr<uint8_t> bytes(aligned_alloc_bytes(t.nbytes()).release(), AlignedFree{});
    t.data_ = bytes.get();
    t.owner_ = std::move(bytes);
    t.writable_ = true;
    return t;
}

Tensor Tensor::view(DType dtype, Shape shape, const void* data, std::shared_ptr<const void> owner) {
    JENNY_CHECK(data != nullptr, "Tensor::view: null data for shape {}", shape.str());
    JENNY_CHECK(row_fits(dtype, shape.cols()), "Tensor::view: shape {} is not whole {} blocks",
                shape.str(), dtype_name(dtype));
    Tensor t;
    t.dtype_ = dtype;
    t.shape_ = shape;
    t.data_ = data;
    t.owner_ = std::move(owner);
    return t;
}

size_t Tensor::row_bytes() const { return tensor::row_bytes(dtype_, cols()); }

void* Tensor::mutable_data() const {
    JENNY_CHECK(writable_, "Tensor::mutable_data: {} {} is a read-only view", dtype_name(dtype_),
                shape_.str());
    return const_cast<void*>(data_);
}

Tensor Tensor::reshape(Shape shape) const {
    JENNY_CHECK(shape.numel() == numel(), "Tensor::reshape: {} to {} changes the element count",
                shape_.str(), shape.str());
    JENNY_CHECK(row_fits(dtype_, shape.cols()), "Tensor::reshape: {} rows are not whole {} blocks",
                shape.str(), dtype_name(dtype_));
    Tensor t = *this;
    t.shape_ = shape;
    return t;
}

Tensor Tensor::slice_rows(int64_t begin, int64_t end) const {
    JENNY_CHECK(0 <= begin && begin <= end && end <= rows(),
                "Tensor::slice_rows: [{}, {}) outside the {} rows of {}", begin, end, rows(),
                shape_.str());
    Tensor t = *this;
    t.shape_ = Shape{end - begin, cols()};
    t.data_ = row(begin);
    return t;
}

Tensor Tensor::to_f32() const {
    JENNY_CHECK(defined(), "Tensor::to_f32: undefined tensor");
    Tensor out = empty(DType::kF32, shape_);
    float* dst = out.mutable_data_as<float>();
    const int64_t n = cols();
    for (int64_t r = 0; r < rows(); ++r) {
        if (dtype_ == DType::kI32) {
            const auto* src = reinterpret_cast<const int32_t*>(row(r));
            for (int64_t i = 0; i < n; ++i) dst[r * n + i] = static_cast<float>(src[i]);
        } else {
            dequantize_row(dtype_, row(r), dst + r * n, n);
        }
    }
    return out;
}

Tensor Tensor::convert(DType dtype) const {
    JENNY_CHECK(defined(), "Tensor::convert: undefined tensor");
    JENNY_CHECK(can_quantize(dtype), "Tensor::convert: cannot produce {}", dtype_name(dtype));
    JENNY_CHECK(row_fits(dtype, cols()), "Tensor::convert: rows of {} are not whole {} blocks",
                shape_.str(), dtype_name(dtype));
    if (dtype == dtype_) {
        Tensor out = empty(dtype, shape_);
        std::memcpy(out.mutable_data(), data_, nbytes());
        return out;
    }
    const Tensor f32 = dtype_ == DType::kF32 ? *this : to_f32();
    Tensor out = empty(dtype, shape_);
    const int64_t n = cols();
    for (int64_t r = 0; r < rows(); ++r) {
        quantize_row(dtype, f32.data_as<float>() + r * n,
                     out.mutable_data_as<uint8_t>() + r * out.row_bytes(), n);
    }
    return out;
}

}  // namespace jenny::tensor
