// Tensor: a typed, shaped, contiguous block of memory, row-major with the last dimension
// contiguous (PyTorch / Hugging Face order: a linear layer's weight is (out, in)). A Tensor is
// a cheap handle: copies share the same bytes, which stay alive as long as any handle (or the
// owner it was built with — a memory-mapped file, an arena) does.
//
//   Tensor w = Tensor::view(DType::kQ4_0, {M, K}, gguf_bytes, mapping_owner);
//   Tensor x = Tensor::empty(DType::kF32, {N, K});            // 64-byte aligned, owned
//   const uint8_t* row = w.row(m);                            // row_bytes(kQ4_0, K) bytes
//
// For block types the last dimension must be a whole number of blocks. Rows are therefore
// always addressable, which is all the kernels need. Thread-safety: as for a raw pointer.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>

#include "jenny/tensor/dtype.h"

namespace jenny::tensor {

constexpr int kMaxDims = 4;

class Shape {
public:
    Shape() = default;
    Shape(std::initializer_list<int64_t> dims);

    int ndim() const { return ndim_; }
    int64_t operator[](int i) const { return dims_[i]; }
    int64_t& operator[](int i) { return dims_[i]; }
    int64_t numel() const;
    int64_t cols() const { return ndim_ == 0 ? 1 : dims_[ndim_ - 1]; }  // last dimension
    int64_t rows() const {  // the product of all the others (1 for 0 or 1 dimensions)
        int64_t n = 1;
        for (int i = 0; i + 1 < ndim_; ++i) n *= dims_[i];
        return n;
    }
    bool operator==(const Shape& o) const;
    bool operator!=(const Shape& o) const { return !(*this == o); }
    std::string str() const;  // "(4, 64)"

private:
    int ndim_ = 0;
    std::array<int64_t, kMaxDims> dims_{};
};

class Tensor {
public:
    Tensor() = default;

    // Fresh zeroed memory, 64-byte aligned, owned by the tensor.
    static Tensor empty(DType dtype, Shape shape);
    // A view of bytes that `owner` keeps alive (nullptr: the caller guarantees lifetime).
    static Tensor view(DType dtype, Shape shape, const void* data,
                       std::shared_ptr<const void> owner = nullptr);

    bool defined() const { return data_ != nullptr; }
    DType dtype() const { return dtype_; }
    const Shape& shape() const { return shape_; }
    int64_t numel() const { return shape_.numel(); }
    int64_t rows() const { return shape_.rows(); }
    int64_t cols() const { return shape_.cols(); }
    size_t row_bytes() const;
    size_t nbytes() const { return row_bytes() * static_cast<size_t>(rows()); }

    const void* data() const { return data_; }
    // Writable access; only for tensors made by empty() (JENNY_CHECK).
    void* mutable_data() const;
    template <typename T>
    const T* data_as() const {
        return static_cast<const T*>(data_);
    }
    template <typename T>
    T* mutable_data_as() const {
        return static_cast<T*>(mutable_data());
    }
    const uint8_t* row(int64_t r) const {
        return static_cast<const uint8_t*>(data_) + static_cast<size_t>(r) * row_bytes();
    }

    // The same bytes with another shape of equal numel and the same last-dimension blocking.
    Tensor reshape(Shape shape) const;
    // Rows [begin, end) of the flattened (rows, cols) view, as a tensor of shape (end-begin, cols).
    Tensor slice_rows(int64_t begin, int64_t end) const;

    // The whole tensor as f32 (dequantised / widened); a copy.
    Tensor to_f32() const;
    // Converted to `dtype` (f32 input rows quantised with quantize_row); a copy. dtype must
    // satisfy can_quantize() and the row length must fit its blocks.
    Tensor convert(DType dtype) const;

private:
    DType dtype_ = DType::kF32;
    Shape shape_;
    const void* data_ = nullptr;
    bool writable_ = false;
    std::shared_ptr<const void> owner_;
};

}  // namespace jenny::tensor
