// What `jenny data run pipeline.yaml` does, as a library call: corpus files -> blocks
// (normalisers, filters, scrubbers, dedup) -> kept documents (JSONL) and, with a `tokenize`
// block, token datasets that `jenny train` reads. The file format is docs/formats/pipeline.md.
//
// Work is split into `tasks`: the sorted input files are dealt round-robin (file k goes to
// task k mod tasks), and each task writes only its own files, so tasks run as local threads,
// separate processes, MPI ranks or a Slurm job array with the same pipeline file.
//
// A task commits every `commit_every` input documents: the part's output files are renamed
// into place, then the task's cursor (state/task_NNNNN.json: input position, part number and
// the report counters so far) is replaced atomically. A killed task rerun with the same
// pipeline continues from its cursor, and its outputs are byte-identical to an uninterrupted
// run's.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "jenny/base/config_node.h"
#include "jenny/base/env.h"
#include "jenny/base/result.h"

namespace jenny::data {

struct PipelineInput {
    std::string path;                 // a file, a directory or a glob ("raw/*.jsonl.gz")
    std::string format = "auto";      // auto | jsonl | text | warc
    std::string text_field = "text";  // JSONL: the field with the document
    std::string id_field = "id";      // JSONL: the field with the id ("" or absent: file:line)
    std::string separator;            // text: the line between documents ("" = whole file)
    template <class V>
    void visit(V& v) {
        v.required("path", path, "input file, directory or glob");
        v.one_of("format", format, {"auto", "jsonl", "text", "warc"},
                 "auto: from the extension (.jsonl/.json, .warc/.warc.gz, else text)");
        v.field("text_field", text_field, "JSONL field holding the text");
        v.field("id_field", id_field, "JSONL field holding the document id");
        v.field("separator", separator, "text files: the line separating documents");
    }
};

// The settings outside the block list.
struct PipelineSettings {
    std::vector<PipelineInput> inputs;
    std::string output;              // output directory
    int tasks = 1;                   // how many tasks the inputs are split into
    int64_t commit_every = 10000;    // input documents per committed part
    bool write_excluded = true;      // dropped documents to excluded/<block>/, with the reason
    double dedup_wait_minutes = 60;  // a dedup block waits this long for the other tasks
    template <class V>
    void visit(V& v) {
        v.field("inputs", inputs, "input files, directories or globs");
        v.required("output", output, "output directory");
        v.field("tasks", tasks, "number of tasks the input files are dealt to");
        v.field("commit_every", commit_every, "input documents per committed part (resume unit)");
        v.field("write_excluded", write_excluded, "write dropped documents with their reason");
        v.field("dedup_wait_minutes", dedup_wait_minutes,
                "how long a dedup block waits for every task to reach it");
    }
};

// One block as the file names it: `- gopher_quality: {min_doc_words: 30}`.
struct PipelineBlockSpec {
    std::string name;       // "gopher_quality"
    base::ConfigNode args;  // its parameters (a map, or null for the defaults)
};

struct PipelineSpec {
    PipelineSettings settings;
    std::vector<PipelineBlockSpec> blocks;
    base::ConfigNode resolved;  // the whole file with every default filled in (printed, hashed)
};

// Parses and validates a pipeline: settings, every block name (unknown ones get a "did you
// mean"), every block's parameters (bound to its options, defaults filled in). Errors are
// kInvalidArgument naming the key and its file:line.
base::Result<PipelineSpec> parse_pipeline(const base::ConfigNode& root);

// The names of the blocks a pipeline may use, in documentation order.
std::vector<std::string> pipeline_block_names();

struct PipelineRunOptions {
    std::vector<int> tasks;  // which tasks this process runs (empty: all of them)
    int workers = 0;         // tasks run at once in this process (0: cores, at most tasks)
    bool show_progress = true;
    bool overwrite = false;  // start again in an output dir a different pipeline wrote
};

// The tasks this process should run when the command line names none, from the launcher's
// environment: a Slurm job array element runs task SLURM_ARRAY_TASK_ID (minus
// SLURM_ARRAY_TASK_MIN); rank r of n MPI ranks (OMPI_COMM_WORLD_RANK/SIZE, PMIX_RANK/
// PMI_RANK with PMI_SIZE, or srun's SLURM_PROCID/SLURM_STEP_NUM_TASKS) runs tasks r, r+n,
// r+2n, ... (none when r >= tasks); nullopt without a launcher (all tasks, here). `*who`
// describes the choice for the log. kInvalidArgument when an array task id is not below
// `tasks`.
base::Result<std::optional<std::vector<int>>> pipeline_tasks_from_env(
    int tasks, std::string* who, base::Env* env = base::Env::Default());

// Per-block counts, summed over the tasks that ran (or were already done).
struct BlockReport {
    std::string name;
    int64_t docs_in = 0, docs_out = 0, bytes_in = 0, bytes_out = 0;
    std::map<std::string, int64_t> dropped;   // reason -> documents
    std::map<std::string, int64_t> counters;  // block-specific (PII replacements by kind, ...)
    // Time spent in the block, summed over tasks (a dedup block: hashing / signing documents
    // at the end of the stage before it, and filtering; not the cross-task dedup step).
    double seconds = 0;
};

struct PipelineReport {
    int64_t files = 0, docs_read = 0, bytes_read = 0, docs_written = 0, bytes_written = 0;
    int64_t tokens = 0;                            // with a tokenize block
    std::map<std::string, int64_t> read_errors;    // reason -> count (bad JSON, invalid UTF-8...)
    std::vector<std::string> read_error_examples;  // "file:line: what", the first few
    std::vector<BlockReport> blocks;
    int tasks_done = 0, tasks_total = 0;
    double seconds = 0;
};

// Runs the tasks in `options.tasks`. A task whose cursor says done is skipped (its report
// counts). Errors: kInvalidArgument for a bad pipeline or no input files; kFailedPrecondition
// when the output directory holds a different pipeline's state (pass overwrite to replace
// it); kIoError from the filesystem. Bad records are never errors: they are skipped and
// counted in the report. When every task is done, output/report.json holds the whole report.
base::Result<PipelineReport> run_pipeline(const PipelineSpec& spec,
                                          const PipelineRunOptions& options,
                                          base::Env* env = base::Env::Default());

// The terminal summary: per block docs in/out, bytes, top drop reasons, read errors.
std::string format_pipeline_report(const PipelineReport& report);

}  // namespace jenny::data
