// CheckpointStore: the training checkpoints of one run, one directory each, written so that a
// crash (kill -9, power loss after the fsyncs), a full disk or a failed rename at any moment
// leaves every earlier checkpoint intact and never leaves a half-written one where resume looks.
// The layout is in docs/formats/checkpoint.md:
//
//   <root>/step-00001000/{config.json, model.safetensors, ..., manifest.json}
//   <root>/.tmp-step-00002000-<pid>/   (being written; removed by the next save if stale)
//
//   JENNY_ASSIGN_OR_RETURN(auto store, CheckpointStore::open(run_dir + "/checkpoints", 3));
//   JENNY_ASSIGN_OR_RETURN(auto saved, store.save(step, {{"model.safetensors", write_model},
//                                                         {"trainer_state.json", write_state}}));
//   JENNY_ASSIGN_OR_RETURN(auto resume, store.latest_valid());  // nullopt: start fresh
//
// save() streams every file through its callback into a temporary directory while hashing it
// (xxh3-128), fsyncs each file, writes manifest.json last (step, every file's name, size and
// checksum), renames the directory into place, re-reads it from disk against the manifest and
// only then deletes the checkpoints beyond keep_last. A checkpoint is valid when its manifest
// parses and every file it lists has the listed size and checksum; resume takes the newest
// valid one and warns about (and skips) every newer one that is not.
//
// One writer per root (the trainer's rank 0): save() removes every stale .tmp-* directory it
// finds. Readers (latest_valid, verify, list) may run in other processes at any time: they
// never see a partial checkpoint under a step-* name. A CheckpointStore is not thread-safe;
// it is movable.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "jenny/base/env.h"
#include "jenny/base/result.h"

namespace jenny::checkpoint {

// One file of a checkpoint.
struct CheckpointFile {
    // A plain file name inside the checkpoint directory ("model.safetensors"): not empty, no
    // '/', not starting with '.', not "manifest.json", unique within a save.
    std::string name;
    // Streams the content into the file; called once. Files can be GBs: append in pieces, never
    // build the whole file in memory. Return the first error (an append's Status as is, or
    // your own); save() fails with it. The store syncs and closes the file afterwards.
    std::function<base::Status(base::WritableFile&)> write;
};

struct CheckpointInfo {
    int64_t step = 0;
    std::string path;  // the checkpoint directory: <root>/step-<step, zero-padded to 8 digits>
};

class CheckpointStore {
public:
    // The manifest's name inside every checkpoint directory, and its checksum algorithm.
    static constexpr const char* kManifestName = "manifest.json";
    static constexpr const char* kChecksumAlgorithm = "xxh3-128";

    // root: the run's checkpoint folder, created (mkdir -p) when missing. keep_last >= 1: how
    // many valid checkpoints save() keeps. Errors: kInvalidArgument (keep_last < 1, empty root),
    // those of Env::create_dirs.
    static base::Result<CheckpointStore> open(const std::string& root, int keep_last,
                                              base::Env* env = base::Env::Default());

    // Writes checkpoint `step` (>= 0) as described above and returns its info. An existing
    // step-<step> directory (e.g. a corrupt one resume skipped) is replaced only once the new
    // one is complete. After the new checkpoint verifies, every checkpoint with a smaller step
    // is deleted once keep_last valid checkpoints (the new one included) are newer than it;
    // corrupt ones inside that window and ones with a larger step are left alone. Failing to
    // delete an old checkpoint is a warning, not an error.
    // On any error the temporary directory is removed, no step-<step> directory is created (or
    // the previous one with that name is restored) and every existing checkpoint is untouched;
    // the Status keeps the Env's code (kResourceExhausted for a full disk) and says which file
    // failed, the OS error ("No space left on device") and what to do.
    base::Result<CheckpointInfo> save(int64_t step, const std::vector<CheckpointFile>& files);

    // The newest checkpoint whose manifest verifies (sizes and checksums: reads every file), or
    // nullopt when there is none. Every newer step-* directory that does not verify is skipped
    // with a warning through base log naming the directory and what is wrong. Errors: the
    // root cannot be listed.
    base::Result<std::optional<CheckpointInfo>> latest_valid();

    // kOk when checkpoint_dir holds a manifest.json that parses and every file it lists exists
    // with the listed size and checksum; otherwise kCorruption (kNotFound when the directory
    // itself is missing) naming the directory, the file and what is wrong.
    base::Status verify(const std::string& checkpoint_dir);

    // Every step-<digits> directory under root, verified or not, oldest (smallest step) first.
    // Empty when the root cannot be listed.
    std::vector<CheckpointInfo> list() const;

    const std::string& root() const { return root_; }
    int keep_last() const { return keep_last_; }

private:
    CheckpointStore(std::string root, int keep_last, base::Env* env)
        : root_(std::move(root)), keep_last_(keep_last), env_(env) {}

    base::Result<std::vector<CheckpointInfo>> list_checked() const;
    base::Status remove_stale_temporaries();
    base::Status write_files(const std::string& dir, int64_t step,
                             const std::vector<CheckpointFile>& files);
    void prune(const CheckpointInfo& kept);

    std::string root_;
    int keep_last_;
    base::Env* env_;
    // Checkpoint directories this store has verified (saved or checked while pruning), so
    // pruning reads each older checkpoint at most once per process.
    std::set<std::string> known_valid_;
};

}  // namespace jenny::checkpoint
