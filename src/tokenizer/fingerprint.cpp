#include "jenny/tokenizer/fingerprint.h"

#include <fmt/format.h>

#include <optional>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace jenny::tokenizer {
namespace {

// The canonical bytes are streamed into the hash in pieces; the layout is documented in
// docs/formats/tokens.md so other implementations can reproduce the digest.
class Hasher {
public:
    Hasher() : state_(XXH3_createState()) { XXH3_128bits_reset(state_); }
    ~Hasher() { XXH3_freeState(state_); }
    Hasher(const Hasher&) = delete;
    Hasher& operator=(const Hasher&) = delete;

    void bytes(std::string_view s) { XXH3_128bits_update(state_, s.data(), s.size()); }
    void u8(uint8_t v) { bytes(std::string_view(reinterpret_cast<const char*>(&v), 1)); }
    void u32(uint32_t v) {
        char b[4];
        for (int i = 0; i < 4; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
        bytes(std::string_view(b, 4));
    }
    void str(std::string_view s) {
        u32(static_cast<uint32_t>(s.size()));
        bytes(s);
    }
    void id(const std::optional<TokenId>& t) { u32(t ? static_cast<uint32_t>(*t) : 0xffffffffu); }
    std::string hex() const {
        XXH128_hash_t h = XXH3_128bits_digest(state_);
        return fmt::format("{:016x}{:016x}", h.high64, h.low64);
    }

private:
    XXH3_state_t* state_;
};

}  // namespace

std::string tokenizer_fingerprint(const Tokenizer& tok) {
    Hasher h;
    h.str("jenny-tokenizer-fingerprint-v1");
    h.str(tok.type_name());
    h.u32(static_cast<uint32_t>(tok.vocab_size()));
    for (TokenId id = 0; id < tok.vocab_size(); ++id) {
        h.str(tok.token_text(id));
        h.u8(static_cast<uint8_t>(tok.token_kind(id)));
        h.str(tok.token_to_piece(id));
    }
    const SpecialTokens& s = tok.special();
    h.id(s.bos);
    h.id(s.eos);
    h.id(s.unk);
    h.id(s.pad);
    h.id(s.eot);
    h.u8(s.add_bos ? 1 : 0);
    h.u8(s.add_eos ? 1 : 0);
    return h.hex();
}

}  // namespace jenny::tokenizer
