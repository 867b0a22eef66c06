// XXH3-64 checksums of the token dataset files (the hash also used by the tokenizer
// fingerprint, from Debian's libxxhash header).
#include <fmt/format.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "data/token_dataset_format.h"

namespace jenny::data::format {
namespace {

std::string hex64(uint64_t v) { return fmt::format("xxh3-64:{:016x}", v); }

}  // namespace

std::string checksum(std::string_view data) { return hex64(XXH3_64bits(data.data(), data.size())); }

Checksum::Checksum() : state_(XXH3_createState()) {
    XXH3_64bits_reset(static_cast<XXH3_state_t*>(state_));
}
Checksum::~Checksum() { XXH3_freeState(static_cast<XXH3_state_t*>(state_)); }
void Checksum::update(std::string_view data) {
    XXH3_64bits_update(static_cast<XXH3_state_t*>(state_), data.data(), data.size());
}
std::string Checksum::hex() const {
    return hex64(XXH3_64bits_digest(static_cast<const XXH3_state_t*>(state_)));
}

}  // namespace jenny::data::format
