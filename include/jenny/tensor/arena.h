// Arena: one aligned allocation carved into scratch buffers by bumping a pointer, so a forward
// pass allocates nothing per token. Sized up front (the model budgets its scratch from the
// largest batch it accepts); alloc() beyond capacity is a programmer error (JENNY_CHECK) that
// names the capacity and the request.
//
//   Arena arena(bytes);
//   float* x = arena.alloc<float>(n * C);   // 64-byte aligned
//   ...
//   arena.reset();                           // everything handed out is free again
//
// Not thread-safe: one arena per thread or per forward call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace jenny::tensor {

constexpr size_t kAlignment = 64;

// 64-byte aligned heap memory, zeroed; freed with the returned pointer.
struct AlignedFree {
    void operator()(void* p) const;
};
std::unique_ptr<uint8_t[], AlignedFree> aligned_alloc_bytes(size_t bytes);

class Arena {
public:
    explicit Arena(size_t capacity = 0);

    // Grows the arena to at least `capacity` bytes (rounded up to 64) when it is smaller, with
    // fresh zeroed memory; in every case used() drops to 0 and everything handed out is
    // invalidated.
    void reserve(size_t capacity);
    // `bytes` rounded up to 64, 64-byte aligned; not zeroed again after reset(). Beyond
    // capacity() is a JENNY_CHECK failure.
    void* alloc_bytes(size_t bytes);
    template <typename T>
    T* alloc(size_t n) {
        return static_cast<T*>(alloc_bytes(n * sizeof(T)));
    }
    void reset() { used_ = 0; }

    size_t capacity() const { return capacity_; }
    size_t used() const { return used_; }
    size_t high_water() const { return high_water_; }

private:
    std::unique_ptr<uint8_t[], AlignedFree> base_;
    size_t capacity_ = 0;
    size_t used_ = 0;
    size_t high_water_ = 0;
};

}  // namespace jenny::tensor
