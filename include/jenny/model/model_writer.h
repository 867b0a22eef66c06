// Writing a loaded model in another format: a Hugging Face model directory (save_hf) or a GGUF
// file llama.cpp loads (save_gguf). The inverses of the loaders in model_loader.h, so any
// model jenny loads (HF directory, GGUF, llama2.c) can be written as either.
//
//   JENNY_ASSIGN_OR_RETURN(LoadedModel m, load_model("stories260K.bin"));
//   JENNY_RETURN_IF_ERROR(save_gguf(m, "stories260K.gguf", tensor::DType::kF32));
//
// Weights are dequantised/converted to the requested dtype (2-D weights; norms, biases and
// rope_freqs stay f32). Q and K rows are re-ordered between RoPE pairings where the target's
// convention differs from the source's: HF checkpoints use rotate_half order, GGUF "llama" and
// "internlm2" llama.cpp's interleaved order (convert_hf_to_gguf.py's permute), GGUF "qwen2"
// rotate_half. InternLM2's packed wqkv is split for GGUF and packed again for HF.
//
// Tensors are held in memory while a file is written (converted copies, or views of the
// source when nothing changes): peak memory is about the output's size. Not thread-safe
// with respect to `m` (reads its weights only).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "jenny/base/env.h"
#include "jenny/base/result.h"
#include "jenny/model/model_loader.h"
#include "jenny/tensor/dtype.h"

namespace jenny::model {

// What a save wrote, for the caller's report.
struct SaveReport {
    int64_t n_tensors = 0;
    uint64_t bytes = 0;              // of the weights file (model.safetensors or the .gguf)
    std::vector<std::string> files;  // paths written
    std::vector<std::string> notes;  // fallbacks and caveats ("... kept as f16", "no tokenizer")
};

// Writes into directory `dir` (created if missing; files already there with the same names
// are replaced, each atomically): config.json, generation_config.json, model.safetensors
// (HF tensor names; lm_head.weight unless tied; InternLM2 keeps its own names and packed
// wqkv), the tokenizer and tokenizer_config.json (chat_template, when known). The tokenizer:
// an HF source's tokenizer files are copied; a llama2.c source's tokenizer.bin is copied as
// tokenizer.bin; a GGUF source's vocabulary goes into tokenizer.gguf (its tokenizer.* keys,
// no tensors). Tokenizer::load(dir) reads all three; transformers reads only the first.
// dtype: f32, f16 or bf16. Errors: kInvalidArgument for another dtype; kUnsupported for a
// GGUF rope_freqs tensor that is not a llama3 scaling HF can express; Env errors naming the
// file.
base::Status save_hf(const LoadedModel& m, const std::string& dir, tensor::DType dtype,
                     base::Env* env = base::Env::Default(), SaveReport* report = nullptr);

// Writes a GGUF v3 file at `path` (atomically: a temporary file renamed over it) with
// general.architecture llama (for llama and mistral), qwen2 or internlm2, the <arch>.*
// hyper-parameters llama.cpp reads, llama.cpp's tensor names, llama3 rope scaling as a
// rope_freqs.weight tensor, and the tokenizer as tokenizer.ggml.* keys (a GGUF source's
// copied verbatim; a llama2.c tokenizer.bin as a "llama" vocabulary; an HF byte-level BPE
// tokenizer.json as a "gpt2" vocabulary with merges and a tokenizer.ggml.pre chosen from its
// pre-tokenizer). dtype: f32, f16, bf16, q8_0 or q4_0 for 2-D weights; a weight whose rows are
// not whole blocks is written as f16 (noted in the report). A model without a tokenizer is
// written without tokenizer keys (noted: llama.cpp will not load it). Errors:
// kInvalidArgument for another dtype; kUnsupported for an HF tokenizer kind not handled
// (SentencePiece-style tokenizer.json or tokenizer.model); Env errors naming the file.
base::Status save_gguf(const LoadedModel& m, const std::string& path, tensor::DType dtype,
                       base::Env* env = base::Env::Default(), SaveReport* report = nullptr);

}  // namespace jenny::model
