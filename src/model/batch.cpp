#include "jenny/model/batch.h"

namespace jenny::model {

int64_t Batch::n_outputs() const {
    int64_t n = 0;
    for (uint8_t w : want_logits) n += w != 0;
    return n;
}

void Batch::clear() {
    tokens.clear();
    pos.clear();
    seq.clear();
    want_logits.clear();
}

void Batch::add(int32_t token, int32_t position, int32_t sequence, bool logits) {
    tokens.push_back(token);
    pos.push_back(position);
    seq.push_back(sequence);
    want_logits.push_back(logits ? 1 : 0);
}

void Batch::add_sequence(std::span<const int32_t> toks, int32_t start, int32_t sequence,
                         bool all_logits) {
    for (size_t i = 0; i < toks.size(); ++i) {
        add(toks[i], start + static_cast<int32_t>(i), sequence, all_logits || i + 1 == toks.size());
    }
}

}  // namespace jenny::model
