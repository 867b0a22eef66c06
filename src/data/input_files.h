// Finding and reading the corpus files `jenny tokenize-dataset` takes (private to src/data).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jenny/base/env.h"
#include "jenny/base/result.h"

namespace jenny::data {

enum class InputKind { kJsonl, kText };
enum class Compression { kNone, kGzip, kZstd };

struct InputFile {
    std::string path;
    InputKind kind = InputKind::kText;
    Compression compression = Compression::kNone;
    uint64_t disk_bytes = 0;
};

// Expands files and directories (recursed, sorted by name) into the files to read, in
// order. A named file is always taken; inside directories only corpus extensions (.jsonl,
// .json, .txt, .md, .text, optionally .gz/.zst) are, and hidden entries are skipped.
// kNotFound names a missing input.
base::Result<std::vector<InputFile>> list_input_files(const std::vector<std::string>& inputs,
                                                      base::Env* env);

// The (decompressed) bytes of one input: a memory map for plain files, a buffer otherwise.
class InputBytes {
public:
    // With `lenient`, a damaged .gz / .zst (truncated, corrupt) is not an error: data() holds
    // what decoded before the damage and damage() says what was wrong.
    static base::Result<std::unique_ptr<InputBytes>> open(const InputFile& file, base::Env* env,
                                                          bool lenient = false);
    std::string_view data() const { return data_; }
    const std::string& damage() const { return damage_; }  // "" when the input was whole

private:
    std::unique_ptr<base::MappedFile> map_;
    std::string buffer_;
    std::string_view data_;
    std::string damage_;
};

}  // namespace jenny::data
