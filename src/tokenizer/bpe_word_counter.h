// Word counting for the BPE trainer: reads text files, pre-tokenizes them in parallel and
// counts the distinct pieces ("words"). Internal to src/tokenizer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "jenny/base/env.h"
#include "jenny/base/result.h"
#include "tokenizer/regex.h"

namespace jenny::tokenizer {

struct WordCount {
    std::string word;  // the piece's raw bytes (valid UTF-8)
    uint64_t count = 0;
};

struct WordCounterOptions {
    const Regex* regex = nullptr;             // the pre-tokenizer pattern (Split, Isolated)
    std::vector<std::string> special_tokens;  // cut out of the text, never counted
    int threads = 1;                          // >= 1
    int64_t max_input_bytes = 0;              // 0: no limit
    bool skip_invalid_utf8 = false;           // false: invalid UTF-8 is an error
    size_t chunk_bytes = size_t{1} << 20;     // target chunk size
    bool progress = false;
};

struct WordCounts {
    std::vector<WordCount> words;  // distinct pieces, sorted by their bytes
    int64_t input_files = 0;
    int64_t input_bytes = 0;
    int64_t skipped_bytes = 0;
    int64_t pieces = 0;
};

// Expands `inputs` (files, or directories whose files are taken recursively in name order)
// and counts the pieces of all their text. Errors name the path: kNotFound/kIoError when a file
// cannot be read, kCorruption with the byte offset for invalid UTF-8 unless skipped. The
// result is independent of options.threads.
base::Result<WordCounts> count_words(const std::vector<std::string>& inputs,
                                     const WordCounterOptions& options, base::Env* env);

// Offsets where `text` is cut into chunks of about `chunk_bytes`: just after a '\n' that is
// followed by a printable ASCII character other than space (a piece boundary for the GPT-2 and
// Llama-3 patterns). Always starts with 0 and ends with text.size(); strictly increasing.
std::vector<size_t> chunk_boundaries(std::string_view text, size_t chunk_bytes);

}  // namespace jenny::tokenizer
