// libFuzzer target: GgufFile::parse over arbitrary bytes must return an error or a file whose
// every view stays inside the input (ASan checks the reads). Seeds: fuzz/gguf_fuzz/ (tiny
// valid GGUFs written by tools/oracle/gguf_dump.py --write-samples).
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "jenny/checkpoint/gguf.h"

namespace {

// Reads everything a parsed file exposes, element by element.
size_t touch_everything(const jenny::checkpoint::GgufFile& f) {
    using jenny::checkpoint::GgufKv;
    using jenny::checkpoint::GgufType;
    using jenny::checkpoint::GgufValue;
    size_t sum = 0;
    auto visit = [&](const GgufValue& v, auto&& self) -> void {
        sum += v.type_name().size();
        if (auto s = v.as_string()) sum += s->empty() ? 0 : static_cast<uint8_t>(s->back());
        if (!v.is_array()) return;
        for (const GgufValue& child : v.arrays()) self(child, self);
        if (v.array_type() == GgufType::kArray) return;
        for (uint64_t i = 0; i < v.array_size(); ++i) {
            GgufValue e = v.element(i);
            if (auto s = e.as_string()) sum += s->size() ? static_cast<uint8_t>((*s)[0]) : 0;
            if (auto u = e.as_u64()) sum += *u;
        }
    };
    for (const GgufKv& kv : f.metadata()) {
        visit(kv.value, visit);
        sum += f.get_u32(kv.key).ok() + f.get_string(kv.key).ok() + f.get_f32(kv.key).ok();
        if (auto a = f.get_i32_array(kv.key); a.ok()) sum += a->size();
        if (auto a = f.get_f32_array(kv.key); a.ok()) sum += a->size();
        if (auto a = f.get_string_array(kv.key); a.ok()) sum += a->size();
        if (f.find(kv.key) != &kv.value) __builtin_trap();
    }
    for (const auto& t : f.tensors()) {
        if (f.find_tensor(t.name) != &t) __builtin_trap();
        sum += t.data[0] + t.data[t.n_bytes - 1];
    }
    return sum;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // A copy of exactly `size` bytes, so any read past the end is caught.
    std::vector<uint8_t> bytes(data, data + size);
    auto file = jenny::checkpoint::GgufFile::parse(bytes, "fuzz.gguf");
    if (file.ok()) {
        volatile size_t sink = touch_everything(**file);
        (void)sink;
    }
    return 0;
}
