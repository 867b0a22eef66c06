// TrainState and the training checkpoint: what a checkpoint directory holds besides the Hugging
// Face model files, and how a run is restored from one (docs/formats/training_state.md).
//
//   step-00000100/  config.json  generation_config.json  model.safetensors  tokenizer files
//                   optimizer.safetensors  (m.<name>, v.<name> per parameter; AdamW step)
//                   trainer_state.json     (step, tokens, data cursor, guards, loss history)
//                   manifest.json          (CheckpointStore: sizes and checksums)
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "jenny/base/env.h"
#include "jenny/base/result.h"
#include "jenny/checkpoint/checkpoint_store.h"
#include "jenny/train/adamw.h"
#include "jenny/train/train_model.h"

namespace jenny::train {

struct TrainState {
    int64_t step = 0;         // optimiser steps done; the next step's data starts at
                              // global sample step * global_batch
    int64_t tokens_seen = 0;
    int64_t global_batch = 0;  // samples per step (any number of ranks); 0: not recorded
    int64_t skipped_steps = 0;
    int consecutive_bad = 0;
    std::deque<double> loss_window;                          // loss-spike guard window
    std::vector<std::pair<int64_t, double>> loss_history;    // (step, train loss)
    std::vector<std::pair<int64_t, double>> val_history;     // (step, val loss)
    std::string last_checkpoint;                             // not saved
};

// The files of a checkpoint: every file of static_dir except model.safetensors (config,
// tokenizer, generation config, written once per run), model.safetensors from tm's params
// (HF names, f32), optimizer.safetensors, trainer_state.json. Nothing is copied into memory:
// the writers stream from the live buffers.
base::Result<std::vector<checkpoint::CheckpointFile>> checkpoint_files(
    const TrainModel& tm, const AdamW& adamw, const TrainState& state,
    const std::string& static_dir, base::Env* env);

// Restores params, AdamW state and TrainState from a checkpoint directory. Errors name the
// file and tensor: a parameter missing or of another shape (the config changed since the
// checkpoint: kFailedPrecondition), unreadable files.
base::Status load_checkpoint(const std::string& dir, TrainModel* tm, AdamW* adamw,
                             TrainState* state, base::Env* env);

// Peak f32 FMA throughput of `threads` threads on this machine in FLOP/s, measured once per
// process (~0.1 s of independent FMA chains); the denominator of MFU.
double flops_peak_estimate(int threads);

}  // namespace jenny::train
