// libFuzzer: load arbitrary bytes as a Hugging Face tokenizer.json. Every input must give a
// tokenizer or an error Status; a loaded tokenizer must encode a fixed text without crashing.
#include <cstdint>
#include <string_view>

#include "tokenizer/loaders.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view json(reinterpret_cast<const char*>(data), size);
    auto tok = jenny::tokenizer::load_hf_json(json, "fuzz.json");
    if (!tok.ok()) return 0;
    auto ids = (*tok)->encode("Hello world, 你好 🦙 <s> 12345\n\n  x");
    if (ids.ok()) (void)(*tok)->decode(*ids);
    return 0;
}
