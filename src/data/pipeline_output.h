// What `jenny data run` writes (private to src/data): document lines (docs/formats/
// pipeline.md, "Output directory") and part files committed by fsync + rename.
#pragma once

#include <string>
#include <string_view>

#include "jenny/base/status.h"
#include "jenny/data/document.h"

namespace jenny::data {

// Appends one JSONL line for `d`: id, (reason, for excluded documents), text, source, offset,
// and url / language / language_score when set.
void append_document_line(std::string& out, const Document& d, std::string_view reason);

// A file written as PATH.tmp and renamed to PATH on commit (after fsync), so a reader never
// sees half of it. Empty files are not created.
class PartFile {
public:
    explicit PartFile(std::string path) : path_(std::move(path)) {}
    ~PartFile() { discard(); }
    // What the next flush writes; append to it.
    std::string& buffer() { return buf_; }
    // Writes the buffer to PATH.tmp once it holds 4 MiB or more. kIoError from the OS.
    base::Status flush_if_big();
    // Writes the rest, fsyncs and renames PATH.tmp to PATH (nothing when nothing was written).
    base::Status commit();
    // Closes and removes PATH.tmp, forgets the buffer.
    void discard();

private:
    base::Status flush();

    std::string path_;
    std::string buf_;
    int fd_ = -1;
};

}  // namespace jenny::data
