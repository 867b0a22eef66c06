// Batch: the unit of work of LlamaModel::forward — any mix of prompt chunks and decoding
// steps of several sequences, as flat per-token arrays (llama.cpp's llama_batch, vLLM's
// flattened scheduler output). Token i belongs to sequence seq[i] and sits at position pos[i];
// logits are computed only for tokens with want_logits[i].
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace jenny::model {

struct Batch {
    std::vector<int32_t> tokens;
    std::vector<int32_t> pos;
    std::vector<int32_t> seq;
    std::vector<uint8_t> want_logits;

    int64_t size() const { return static_cast<int64_t>(tokens.size()); }
    int64_t n_outputs() const;
    void clear();
    void add(int32_t token, int32_t position, int32_t sequence, bool logits);
    // Tokens [start, start + n) of one sequence; logits for the last one only, or all.
    void add_sequence(std::span<const int32_t> tokens, int32_t start, int32_t sequence,
                      bool all_logits = false);
};

}  // namespace jenny::model
