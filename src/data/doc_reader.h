// Reading one input file of `jenny data run` as Documents (private to src/data): JSONL and
// plain text here; WARC through warc_reader.h. Bad records are skipped and reported, never
// errors: a malformed JSON line, a missing or non-string text field, invalid UTF-8, a damaged
// .gz / .zst (what decoded before the damage is read).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/input_files.h"
#include "jenny/base/env.h"
#include "jenny/base/result.h"
#include "jenny/data/document.h"
#include "jenny/data/pipeline.h"

namespace jenny::data {

// A skipped record: a reason key for the report ("bad_json", "missing_text_field",
// "invalid_utf8", "truncated_input", ...) and where, "file:line: what".
struct ReadIssue {
    std::string reason;
    std::string where;
};

class DocReader {
public:
    virtual ~DocReader() = default;

    // `format` is the input's format resolved from "auto" (jsonl, text or warc). With
    // `pipeline_part` the file is one the pipeline wrote itself (a stage's documents part):
    // its source, offset, language and language_score fields are kept too. Errors: only
    // when the file cannot be read at all (kNotFound, kIoError).
    static base::Result<std::unique_ptr<DocReader>> open(const std::string& path,
                                                         const std::string& format,
                                                         const PipelineInput& input, base::Env* env,
                                                         bool pipeline_part = false);

    // The next good document, or false at the end. Every record read, good or bad, counts
    // in records(); bad ones add a ReadIssue.
    virtual bool next(Document* doc) = 0;
    // Skips `n` records (good or bad) without reporting issues: resuming at a cursor.
    virtual void skip(int64_t n) = 0;

    int64_t records() const { return records_; }
    // Decompressed bytes consumed so far, and in all (for progress).
    virtual uint64_t position() const = 0;
    virtual uint64_t size() const = 0;
    std::vector<ReadIssue> take_issues() { return std::move(issues_); }

protected:
    int64_t records_ = 0;
    std::vector<ReadIssue> issues_;
};

// "jsonl", "text" or "warc" for a path, from its name (.gz / .zst ignored).
std::string detect_input_format(const std::string& path);

// The files of a pipeline's inputs, in order: each input's glob matches (sorted), directories
// walked (sorted), files as named; a path named twice is read once. Errors: kNotFound for an
// input that matches nothing.
base::Result<std::vector<std::pair<std::string, int>>> expand_pipeline_inputs(
    const std::vector<PipelineInput>& inputs, base::Env* env);

}  // namespace jenny::data
