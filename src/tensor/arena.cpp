#include "jenny/tensor/arena.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "jenny/base/check.h"

namespace jenny::tensor {
namespace {

size_t round_up(size_t bytes) { return (bytes + kAlignment - 1) / kAlignment * kAlignment; }

}  // namespace

void AlignedFree::operator()(void* p) const { std::free(p); }

std::unique_ptr<uint8_t[], AlignedFree> aligned_alloc_bytes(size_t bytes) {
    // std::aligned_alloc wants a whole number of alignments, and a zero-byte request must still
    // give a distinct non-null pointer (an empty tensor is defined()).
    const size_t rounded = std::max(round_up(bytes), kAlignment);
    void* p = std::aligned_alloc(kAlignment, rounded);
    JENNY_CHECK(p != nullptr, "aligned_alloc_bytes: out of memory allocating {} bytes", rounded);
    std::memset(p, 0, rounded);
    return std::unique_ptr<uint8_t[], AlignedFree>(static_cast<uint8_t*>(p));
}

Arena::Arena(size_t capacity) { reserve(capacity); }

void Arena::reserve(size_t capacity) {
    used_ = 0;
    if (capacity <= capacity_ && base_) return;
    capacity_ = round_up(capacity);
    base_ = aligned_alloc_bytes(capacity_);
}

void* Arena::alloc_bytes(size_t bytes) {
    const size_t rounded = round_up(bytes);
    JENNY_CHECK(rounded <= capacity_ - used_,
                "Arena: request of {} bytes with {} of {} used; reserve() a larger capacity", bytes,
                used_, capacity_);
    void* p = base_.get() + used_;
    used_ += rounded;
    high_water_ = std::max(high_water_, used_);
    return p;
}

}  // namespace jenny::tensor
