// libFuzzer target: Llama2cFile::parse over arbitrary bytes must return an error or a model
// whose every tensor lies inside the input (ASan checks the reads of each tensor's first and
// last element). Seeds: fuzz/llama2c_fuzz/ (tiny version 0 and 1 models).
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "jenny/checkpoint/llama2c.h"

namespace {

float ends(const jenny::tensor::Tensor& t) {
    if (!t.defined() || t.numel() == 0) return 0;
    const auto* f = t.data_as<float>();
    return f[0] + f[t.numel() - 1];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::vector<uint8_t> bytes(data, data + size);
    auto file = jenny::checkpoint::Llama2cFile::parse(bytes, "fuzz.bin");
    if (!file.ok()) return 0;
    const auto& m = **file;
    float sum = ends(m.tok_embeddings()) + ends(m.rms_final()) + ends(m.wcls()) +
                ends(m.freq_cis_real()) + ends(m.freq_cis_imag());
    for (const auto& l : m.layers()) {
        sum += ends(l.rms_att) + ends(l.wq) + ends(l.wk) + ends(l.wv) + ends(l.wo) +
               ends(l.rms_ffn) + ends(l.w1) + ends(l.w2) + ends(l.w3);
    }
    volatile float sink = sum;
    (void)sink;
    return 0;
}
