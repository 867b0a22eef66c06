// The loaders behind Tokenizer::load, one per file format (each in its own .cpp).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "jenny/checkpoint/gguf.h"
#include "jenny/tokenizer/tokenizer.h"

namespace jenny::tokenizer {

// Hugging Face tokenizer.json (hf_tokenizer.cpp). `name` labels errors.
base::Result<std::unique_ptr<Tokenizer>> load_hf_json(std::string_view json,
                                                      const std::string& name);
// With `with_config` (a model directory was given) the tokenizer_config.json beside it adds
// its added_tokens_decoder entries and names bos/eos/pad/unk, as transformers does; without
// it the file alone decides, as the tokenizers library does.
base::Result<std::unique_ptr<Tokenizer>> load_hf_json_file(const std::string& path, base::Env* env,
                                                           bool with_config);
// SentencePiece .model (sentencepiece_tokenizer.cpp).
base::Result<std::unique_ptr<Tokenizer>> load_sentencepiece_model(const std::string& path,
                                                                  base::Env* env);
// tokenizer.ggml.* keys of a GGUF file (gguf_tokenizer.cpp).
base::Result<std::unique_ptr<Tokenizer>> load_gguf_vocab(const std::string& path, base::Env* env);
// The same from a GGUF already open (the model loader reads weights and vocabulary from one).
base::Result<std::unique_ptr<Tokenizer>> load_gguf_vocab(const checkpoint::GgufFile& file);
// llama2.c tokenizer.bin (llama2c_tokenizer.cpp).
base::Result<std::unique_ptr<Tokenizer>> load_llama2c_vocab(const std::string& path,
                                                            base::Env* env);

}  // namespace jenny::tokenizer
