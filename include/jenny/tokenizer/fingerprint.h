// A stable identity for a tokenizer, recorded in token datasets (meta.json "tokenizer_hash")
// so training can refuse data made by a different vocabulary.
#pragma once

#include <string>

#include "jenny/tokenizer/tokenizer.h"

namespace jenny::tokenizer {

// 32 lower-case hex digits: XXH3-128 over a canonical byte string of the tokenizer's type
// name, every id's vocabulary piece, kind and decoded bytes, and its special tokens (see
// docs/formats/tokens.md, "Tokenizer hash", for the exact bytes). The same vocabulary loaded
// from the same file always gives the same hash, on any machine; changing any piece, kind or
// special id changes it. Merge rules and normalizers are not part of it. Thread-safe.
std::string tokenizer_fingerprint(const Tokenizer& tokenizer);

}  // namespace jenny::tokenizer
