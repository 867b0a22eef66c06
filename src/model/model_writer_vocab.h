// The tokenizer half of the model writers (internal to src/model): a loaded model's vocabulary
// as GGUF tokenizer.* keys, and where a llama2.c model's tokenizer.bin is.
#pragma once

#include <string>
#include <vector>

#include "jenny/base/env.h"
#include "jenny/base/result.h"
#include "jenny/checkpoint/gguf_writer.h"
#include "jenny/model/model_loader.h"

namespace jenny::model {

// tokenizer.bin beside a llama2.c model, else the one tok*.bin there (as the loader looks).
base::Result<std::string> find_llama2c_tokenizer(const std::string& model_path, base::Env* env);

// Adds the tokenizer.* keys for m's vocabulary to `w` (see save_gguf in model_writer.h for
// which sources become what). n_vocab: the embedding rows; a shorter vocabulary is padded
// with "[PAD<i>]" unused tokens as llama.cpp's converter does. A source without tokenizer
// files adds nothing and a note. Errors: kUnsupported for HF tokenizer kinds not handled;
// read errors naming the file.
base::Status add_gguf_tokenizer(const LoadedModel& m, int n_vocab, checkpoint::GgufWriter* w,
                                base::Env* env, std::vector<std::string>* notes);

// A GGUF source's tokenizer.* keys copied verbatim (used for tokenizer.gguf too).
base::Status copy_gguf_tokenizer_keys(const std::string& gguf_path, checkpoint::GgufWriter* w,
                                      base::Env* env);

}  // namespace jenny::model
