// TrainConfig: everything `jenny train config.yaml` reads, as typed sections. The field lists
// (visit) drive parsing, the printed resolved config and the docs (docs/train.md).
//
//   model:    {init_from: DIR|GGUF|BIN}  or a new model's HF-style hyper-parameters
//   data:     {train: [{path, weight, format}], val: [{path}], val_fraction, synthetic,
//              attention_reset, last_turn_only}
//   batch:    {micro_batch, seq_len, grad_accum, global_batch}
//   optim:    {lr_max, lr_min, weight_decay, beta1, beta2, eps, grad_clip, ...}
//   schedule: {kind: cosine|wsd|linear|constant, warmup_steps, total_steps, decay_fraction}
//   eval:     {every, batches}
//   checkpoint: {every_steps, every_minutes, keep_last}
//   guards:   {max_bad_steps, spike_zscore, spike_window}
//   lora:     {rank, alpha, dropout, targets, base_dtype}   (LoRA / QLoRA; rank 0: off)
//   dist:     {timeout_s, bucket_mb}   (data parallel over mpirun / srun ranks)
//   seed, threads, out_dir, log_every
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "jenny/base/status.h"
#include "jenny/train/adamw.h"
#include "jenny/train/lr_schedule.h"

namespace jenny::train {

struct ModelSection {
    std::string init_from;  // continue training this model (HF dir, GGUF, llama2.c .bin)
    std::string tokenizer;  // a new model's tokenizer (file or dir); init_from brings its own
    // A new model (ignored with init_from), Hugging Face config.json names.
    std::string arch = "llama";
    int vocab_size = 0;  // 0: the tokenizer's vocabulary size
    int hidden_size = 256;
    int intermediate_size = 688;
    int num_hidden_layers = 4;
    int num_attention_heads = 4;
    int num_key_value_heads = 0;  // 0: num_attention_heads
    int head_dim = 0;             // 0: hidden_size / num_attention_heads
    int max_position_embeddings = 2048;
    double rope_theta = 10000.0;
    double rms_norm_eps = 1e-5;
    bool tie_word_embeddings = false;
    double init_std = 0.02;
    bool recompute = false;  // recompute activations per layer in backward (less memory)

    template <class V>
    void visit(V& v) {
        v.field("init_from", init_from, "continue training this model (HF dir, GGUF, .bin)");
        v.field("tokenizer", tokenizer, "tokenizer of a new model (tokenizer.json or dir)");
        v.one_of("arch", arch, {"llama", "mistral", "qwen2"}, "architecture of a new model");
        v.field("vocab_size", vocab_size, "0: the tokenizer's vocabulary size");
        v.field("hidden_size", hidden_size, "C");
        v.field("intermediate_size", intermediate_size, "F, the SwiGLU hidden size");
        v.field("num_hidden_layers", num_hidden_layers, "L");
        v.field("num_attention_heads", num_attention_heads, "H");
        v.field("num_key_value_heads", num_key_value_heads, "Hkv (GQA); 0: H");
        v.field("head_dim", head_dim, "D; 0: hidden_size / num_attention_heads");
        v.field("max_position_embeddings", max_position_embeddings, "context length");
        v.field("rope_theta", rope_theta, "RoPE base");
        v.field("rms_norm_eps", rms_norm_eps, "RMSNorm epsilon");
        v.field("tie_word_embeddings", tie_word_embeddings, "LM head shares the embeddings");
        v.field("init_std", init_std, "std of the normal init of a new model's weights");
        v.field("recompute", recompute, "recompute activations in backward (saves memory)");
    }
};

struct DataSource {
    std::string path;  // token dataset prefix (docs/formats/tokens.md), or an SFT JSONL file
    double weight = 1.0;
    std::string format = "tokens";  // "sft": path is chat / prompt-completion JSONL
    template <class V>
    void visit(V& v) {
        v.required("path", path,
                   "token dataset prefix (jenny tokenize-dataset --output), or with format: sft "
                   "an SFT JSONL file");
        v.field("weight", weight, "mixture weight");
        v.one_of("format", format, {"tokens", "sft"},
                 "tokens: a token dataset; sft: chat JSONL rendered with the model's template "
                 "(docs/formats/sft.md)");
    }
};

struct DataSection {
    std::vector<DataSource> train;
    std::vector<DataSource> val;
    double val_fraction = 0.01;  // held out from each train source when val is empty
    bool synthetic = false;      // uniform random tokens (benchmarks; no files)
    // Packed documents attend only to themselves, with RoPE positions from 0 (unset: on when
    // any source is SFT, off otherwise).
    std::optional<bool> attention_reset;
    bool last_turn_only = false;  // SFT: train only each conversation's last assistant turn
    template <class V>
    void visit(V& v) {
        v.field("train", train, "token datasets to train on, with mixture weights");
        v.field("val", val, "token datasets for validation (default: hold out val_fraction)");
        v.field("val_fraction", val_fraction, "share of each train source held out for val");
        v.field("synthetic", synthetic, "random tokens instead of data (benchmarks)");
        v.field("attention_reset", attention_reset,
                "documents in a window attend only to themselves, positions from 0 (default: "
                "on with SFT sources, else off)");
        v.field("last_turn_only", last_turn_only,
                "SFT: train only the last assistant message of each conversation");
    }
    bool any_sft() const {
        for (const auto* list : {&train, &val})
            for (const DataSource& s : *list)
                if (s.format == "sft") return true;
        return false;
    }
    bool reset_attention() const { return attention_reset.value_or(any_sft()); }
};

struct BatchSection {
    int micro_batch = 8;  // B sequences per forward/backward
    int seq_len = 256;    // T
    int grad_accum = 1;   // micro-batches per optimiser step (per rank)
    int64_t global_batch = 0;  // samples per optimiser step over all ranks (0: see below)
    template <class V>
    void visit(V& v) {
        v.field("micro_batch", micro_batch, "B: sequences per forward/backward");
        v.field("seq_len", seq_len, "T: tokens per sequence");
        v.field("grad_accum", grad_accum, "micro-batches per optimiser step (per rank)");
        v.field("global_batch", global_batch,
                "samples per optimiser step over all ranks; sets each rank's accumulation "
                "(0: micro_batch x grad_accum x ranks of the first start)");
    }
};

struct OptimSection {
    AdamWConfig adamw;
    double lr_max = 3e-4;
    double lr_min = 3e-5;
    template <class V>
    void visit(V& v) {
        v.field("lr_max", lr_max, "peak learning rate");
        v.field("lr_min", lr_min, "final learning rate of decaying schedules");
        adamw.visit(v);
    }
};

struct ScheduleSection {
    std::string kind = "cosine";
    int64_t warmup_steps = 0;
    int64_t total_steps = 1000;
    double decay_fraction = 0.2;
    template <class V>
    void visit(V& v) {
        v.one_of("kind", kind, {"cosine", "wsd", "linear", "constant"}, "learning-rate schedule");
        v.field("warmup_steps", warmup_steps, "linear warmup steps");
        v.field("total_steps", total_steps, "optimiser steps of the whole run");
        v.field("decay_fraction", decay_fraction, "wsd: share of the steps spent decaying");
    }
};

struct EvalSection {
    int64_t every = 100;  // steps; 0: only at the end
    int batches = 4;      // micro-batches of val data per evaluation
    template <class V>
    void visit(V& v) {
        v.field("every", every, "evaluate val loss every N steps (0: at the end only)");
        v.field("batches", batches, "micro-batches of val data per evaluation");
    }
};

struct CheckpointSection {
    int64_t every_steps = 500;   // 0: off
    double every_minutes = 0;    // 0: off
    int keep_last = 3;
    template <class V>
    void visit(V& v) {
        v.field("every_steps", every_steps, "checkpoint every N steps (0: off)");
        v.field("every_minutes", every_minutes, "checkpoint every M minutes (0: off)");
        v.field("keep_last", keep_last, "checkpoints kept (older ones deleted once verified)");
    }
};

struct GuardSection {
    int max_bad_steps = 5;       // consecutive non-finite steps before aborting
    double spike_zscore = 0;     // skip the update when the loss is this many std above the
                                 // window's mean (0: off)
    int spike_window = 50;
    template <class V>
    void visit(V& v) {
        v.field("max_bad_steps", max_bad_steps, "abort after this many non-finite steps in a row");
        v.field("spike_zscore", spike_zscore, "skip updates whose loss z-score exceeds this (0: off)");
        v.field("spike_window", spike_window, "steps in the loss-spike window");
    }
};

// Data parallelism over ranks (mpirun / srun; data_parallel.h).
struct DistSection {
    double timeout_s = 600;  // a collective waiting longer ends the job (a rank died or hangs)
    double bucket_mb = 25;   // gradient all-reduce bucket size
    template <class V>
    void visit(V& v) {
        v.field("timeout_s", timeout_s,
                "seconds a collective may wait for the other ranks before the job ends");
        v.field("bucket_mb", bucket_mb, "MB of gradients per all-reduce bucket");
    }
};

// LoRA / QLoRA fine-tuning of model.init_from (train/lora.h): rank 0 trains every weight.
struct LoraSection {
    int rank = 0;
    double alpha = 16;
    double dropout = 0;
    std::vector<std::string> targets = {"q", "v"};  // PEFT's default for LLaMA
    std::string base_dtype = "f32";
    template <class V>
    void visit(V& v) {
        v.field("rank", rank, "r of the adapters (0: off, train every weight)");
        v.field("alpha", alpha, "lora_alpha: the side path is scaled by alpha / rank");
        v.field("dropout", dropout, "dropout on the adapters' input while training");
        v.field("targets", targets,
                "projections to adapt: q k v o gate up down (or q_proj ... down_proj)");
        v.one_of("base_dtype", base_dtype, {"f32", "q8_0", "q4_0"},
                 "the frozen base's layer projections held as (QLoRA-style memory saving)");
    }
};

struct TrainConfig {
    ModelSection model;
    DataSection data;
    BatchSection batch;
    OptimSection optim;
    ScheduleSection schedule;
    EvalSection eval;
    CheckpointSection checkpoint;
    GuardSection guards;
    LoraSection lora;
    DistSection dist;
    uint64_t seed = 1234;
    int threads = 0;
    std::string out_dir = "runs/train";
    int64_t log_every = 1;
    double max_minutes = 0;  // stop (with a checkpoint) after this long; 0: no limit

    template <class V>
    void visit(V& v) {
        v.field("model", model);
        v.field("data", data);
        v.field("batch", batch);
        v.field("optim", optim);
        v.field("schedule", schedule);
        v.field("eval", eval);
        v.field("checkpoint", checkpoint);
        v.field("guards", guards);
        v.field("lora", lora);
        v.field("dist", dist);
        v.field("seed", seed, "seed of the init, the data order and dropout");
        v.field("threads", threads, "compute threads (0: all cores)");
        v.field("out_dir", out_dir, "run directory: checkpoints, metrics, final model");
        v.field("log_every", log_every, "print a progress line every N steps");
        v.field("max_minutes", max_minutes, "stop with a checkpoint after this long (0: off)");
    }

    // Cross-field checks (kInvalidArgument naming the key).
    base::Status validate() const;
    LrSchedule lr_schedule() const;
};

}  // namespace jenny::train
