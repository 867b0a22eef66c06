// libFuzzer: arbitrary bytes parsed as GGUF, then loaded as a tokenizer.ggml.* vocabulary.
// Every input must give a tokenizer or an error Status; a loaded tokenizer must encode and
// decode a fixed text without crashing.
#include <cstdint>
#include <span>

#include "jenny/checkpoint/gguf.h"
#include "tokenizer/loaders.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto file =
        jenny::checkpoint::GgufFile::parse(std::span<const uint8_t>(data, size), "fuzz.gguf");
    if (!file.ok()) return 0;
    auto tok = jenny::tokenizer::load_gguf_vocab(**file);
    if (!tok.ok()) return 0;
    auto ids = (*tok)->encode("Hello world, 你好 🦙 <s> 12345\n\n  x");
    if (ids.ok()) (void)(*tok)->decode(*ids);
    return 0;
}
