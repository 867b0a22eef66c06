// libFuzzer target: SafetensorsFile::parse over arbitrary bytes must return an error or a file
// whose every tensor lies inside the input (ASan checks the reads), and HfDirectory-style
// lookups and tensor views must work on it. Seeds: fuzz/safetensors_fuzz/ (files written by
// the reference implementation: tools/oracle/checkpoint_oracle.py --write-fixtures).
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "jenny/checkpoint/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // A copy of exactly `size` bytes, so any read past the end is caught.
    std::vector<uint8_t> bytes(data, data + size);
    auto file = jenny::checkpoint::SafetensorsFile::parse(bytes, "fuzz.safetensors");
    if (!file.ok()) return 0;
    size_t sum = (*file)->metadata().size();
    for (const auto& t : (*file)->tensors()) {
        if ((*file)->find(t.name) != &t) __builtin_trap();
        if (t.end > t.begin) sum += t.data[0] + t.data[t.end - t.begin - 1];
        auto view = (*file)->tensor(t);
        if (view.ok() && view->nbytes() != t.end - t.begin) __builtin_trap();
    }
    volatile size_t sink = sum;
    (void)sink;
    return 0;
}
