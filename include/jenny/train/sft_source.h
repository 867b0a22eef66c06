// SFT sources of a training run: data.train / data.val entries with `format: sft` are chat or
// prompt/completion JSONL files (docs/formats/sft.md). Before training, each is validated with
// the model's own tokenizer and chat template (data::validate_sft_file's checks; any error
// refuses the run with the line-numbered report) and rendered into a masked token dataset
// packed for the run's windows (data::pack_sft_examples: no example crosses a window), cached
// under out_dir/sft/ with a key file (the JSONL's checksum, the tokenizer's fingerprint, the
// chat template's checksum, seq_len, last_turn_only), so a --resume reuses it.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "jenny/base/env.h"
#include "jenny/base/result.h"
#include "jenny/train/train_config.h"

namespace jenny::train {

// Returns `config` with every SFT source replaced by its packed token dataset (format
// tokens, path out_dir/sft/train<i> or val<i>); a config without SFT sources comes back as
// it is. chat_model: the model directory / tokenizer whose chat template renders the
// conversations (model.init_from, else model.tokenizer). A cached dataset is reused when its
// key matches; otherwise it is rebuilt — except on `resume`, where a changed key is
// kFailedPrecondition (the run's data would change under it). Errors: kInvalidArgument with
// the report when the file has errors (or no chat model is configured); the file's and
// model's load errors; I/O errors.
base::Result<TrainConfig> prepare_sft_sources(const TrainConfig& config,
                                              const std::string& chat_model, bool resume,
                                              const std::function<void(std::string_view)>& print,
                                              base::Env* env = base::Env::Default());

}  // namespace jenny::train
