// AtomicFile: a file written sequentially under a temporary name beside its destination and
// renamed over it by commit(), so readers see the old file or the complete new one, never a
// half-written one (the streaming twin of Env::write_file_atomic, for files too large to build
// in memory first). Internal to src/checkpoint. Not thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "jenny/base/env.h"

namespace jenny::checkpoint {

class AtomicFile {
public:
    // Creates "<path>.tmp.<pid>.<random>". Errors: those of Env::new_writable_file.
    static base::Result<std::unique_ptr<AtomicFile>> create(const std::string& path,
                                                            base::Env* env);
    // Removes the temporary file unless commit() succeeded.
    ~AtomicFile();

    base::Status append(std::string_view data);
    // Appends n zero bytes.
    base::Status append_zeros(size_t n);
    uint64_t size() const { return size_; }
    // fsync, close, rename over the destination. On failure the temporary file is removed and
    // the destination is untouched; the message names the destination.
    base::Status commit();

private:
    AtomicFile(std::string path, std::string tmp, base::Env* env,
               std::unique_ptr<base::WritableFile> file)
        : path_(std::move(path)), tmp_(std::move(tmp)), env_(env), file_(std::move(file)) {}

    std::string path_;
    std::string tmp_;
    base::Env* env_;
    std::unique_ptr<base::WritableFile> file_;
    uint64_t size_ = 0;
    bool committed_ = false;
};

}  // namespace jenny::checkpoint
