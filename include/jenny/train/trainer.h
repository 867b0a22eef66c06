// run_training: the loop behind `jenny train config.yaml`.
//
// Per optimiser step s (0-based): zero the gradients; read the step's A micro-batches of B
// samples (global samples [s·A·B, (s+1)·A·B), batch_source.h); count the real targets of
// the whole step; forward+backward each micro-batch with grad_scale = 1 / n_targets (the
// loss is the mean over the step's real target tokens); guard (non-finite loss or gradient:
// skip the update; loss spike: skip); clip the global gradient norm; AdamW with the
// schedule's lr(s). Every eval.every steps the val loss; every checkpoint.every_steps (or
// every_minutes) a checkpoint (docs/formats/training_state.md). Each step appends one JSON
// line to out_dir/metrics.jsonl; the end writes out_dir/loss_curve.svg and the final model
// as an HF directory in out_dir/model.
//
// Exit codes (docs/exit_codes.md): the CLI maps TrainOutcome to kExitOk, kExitNonFinite
// (too many bad steps in a row), kExitRequeue (SIGTERM / SIGUSR1: checkpointed, run again
// with --resume, e.g. sbatch --signal=B:USR1@120 --requeue).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "jenny/base/env.h"
#include "jenny/base/result.h"
#include "jenny/train/train_config.h"

namespace jenny::train {

inline constexpr int kExitNonFinite = 3;  // max_bad_steps non-finite steps in a row
inline constexpr int kExitRequeue = 75;   // stopped by SIGTERM/SIGUSR1 after a checkpoint

struct TrainOptions {
    bool resume = false;   // continue from the newest valid checkpoint in out_dir/checkpoints
    bool dry_run = false;  // print the memory and time estimate, then stop
    int64_t max_steps = 0;  // stop after this many steps of this invocation (0: no limit)
    std::function<void(std::string_view)> print;  // progress and reports (default: stdout)
    base::Env* env = base::Env::Default();
    // For tests only (fault injection): called every step after the backward pass, before the
    // guards, with the 1-based number of the step being computed, its loss (mean over the
    // step's targets) and the gradients (n_params floats); it may overwrite both, e.g. put a
    // NaN in the gradients or a spike in the loss. Null in real runs.
    std::function<void(int64_t step, double* loss, float* grads, int64_t n_params)>
        after_backward;
};

struct TrainOutcome {
    enum class End { kFinished, kDryRun, kStepLimit, kTimeLimit, kSignal, kNonFinite };
    End end = End::kFinished;
    int64_t steps_done = 0;       // optimiser steps completed (total, counting resumed ones)
    double last_loss = 0;
    double last_val_loss = -1;    // < 0: never evaluated
    int64_t skipped_steps = 0;
    std::string model_dir;        // the final HF directory (empty if none written)
    std::string last_checkpoint;  // newest checkpoint directory (empty if none)
    double first_val_loss = -1;   // before the first step of a fresh run (< 0: none)
    double probe_tokens_per_s = 0;  // dry run: the probe micro-batch's speed
};

// Errors: kInvalidArgument for a config that does not validate; kFailedPrecondition for data
// that does not fit the model, a memory estimate above what is available, a corrupt resume;
// Env errors (disk full while checkpointing: the previous checkpoints stay intact).
base::Result<TrainOutcome> run_training(const TrainConfig& config, const TrainOptions& options);

// Installs SIGTERM and SIGUSR1 handlers that ask the running loop to checkpoint and stop
// after the current step. Called by the CLI; idempotent.
void install_stop_signal_handlers();

}  // namespace jenny::train
