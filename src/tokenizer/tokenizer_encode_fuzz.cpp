// libFuzzer: encode arbitrary bytes with the shared-data tokenizers. Valid UTF-8 must encode
// and (for Llama-3's lossless byte-level vocabulary) decode back to the same bytes, streamed
// or not; invalid UTF-8 must be an error. Any crash, sanitizer report or abort is a bug.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "jenny/base/utf8.h"
#include "jenny/tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

using namespace jenny::tokenizer;

namespace {

const Tokenizer& get(int which) {
    static std::unique_ptr<Tokenizer> toks[3];
    static const char* names[3] = {"hf-llama3/tokenizer.json", "hf-qwen2_5/tokenizer.json",
                                   "hf-internlm2"};
    if (!toks[which]) {
        auto r = Tokenizer::load(std::string(JENNY_SHARED_DATA "/tokenizers/") + names[which]);
        if (!r.ok()) std::abort();
        toks[which] = std::move(*r);
    }
    return *toks[which];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const int which = data[0] % 3;
    std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
    const Tokenizer& tok = get(which);
    EncodeOptions options;
    options.add_special = (data[0] & 4) != 0;
    options.parse_special = (data[0] & 8) != 0;
    auto ids = tok.encode(text, options);
    const bool valid = jenny::base::find_invalid_utf8(text) == std::string::npos;
    if (ids.ok() != valid) std::abort();
    if (!valid) return 0;
    std::string decoded = tok.decode(*ids);
    if (which == 0 && !options.add_special && decoded != text) std::abort();
    StreamDecoder stream(tok);
    std::string streamed;
    for (TokenId id : *ids) streamed += stream.push(id);
    streamed += stream.flush();
    if (streamed != decoded) std::abort();
    return 0;
}
