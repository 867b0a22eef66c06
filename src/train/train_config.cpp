#include "jenny/train/train_config.h"

#include "jenny/model/lora_adapter.h"

namespace jenny::train {

base::Status TrainConfig::validate() const {
    auto bad = [](const std::string& m) { return base::Status::invalid_argument(m); };
    if (batch.micro_batch < 1) return bad("batch.micro_batch: must be >= 1");
    if (batch.seq_len < 1) return bad("batch.seq_len: must be >= 1");
    if (batch.grad_accum < 1) return bad("batch.grad_accum: must be >= 1");
    if (batch.global_batch < 0)
        return bad("batch.global_batch: must be >= 0 (0: micro_batch x grad_accum x ranks)");
    if (!(dist.timeout_s > 0)) return bad("dist.timeout_s: must be > 0 seconds");
    if (!(dist.bucket_mb > 0)) return bad("dist.bucket_mb: must be > 0");
    if (eval.every < 0) return bad("eval.every: must be >= 0");
    if (eval.batches < 0) return bad("eval.batches: must be >= 0");
    if (checkpoint.every_steps < 0) return bad("checkpoint.every_steps: must be >= 0");
    if (checkpoint.every_minutes < 0) return bad("checkpoint.every_minutes: must be >= 0");
    if (checkpoint.keep_last < 1) return bad("checkpoint.keep_last: must be >= 1");
    if (guards.max_bad_steps < 1) return bad("guards.max_bad_steps: must be >= 1");
    if (guards.spike_zscore < 0) return bad("guards.spike_zscore: must be >= 0 (0: off)");
    if (guards.spike_window < 2) return bad("guards.spike_window: must be >= 2");
    if (threads < 0) return bad("threads: must be >= 0");
    if (out_dir.empty()) return bad("out_dir: must name a directory");
    if (log_every < 1) return bad("log_every: must be >= 1");
    if (data.val_fraction < 0 || data.val_fraction >= 1)
        return bad("data.val_fraction: must be in [0, 1)");
    for (const DataSource& s : data.train)
        if (!(s.weight >= 0)) return bad("data.train: weight of " + s.path + " must be >= 0");
    if (model.init_from.empty()) {
        if (model.tokenizer.empty() && !data.synthetic)
            return bad("model.tokenizer: a new model needs a tokenizer (the one its data was "
                       "tokenized with), or set model.init_from to continue a model");
        if (model.tokenizer.empty() && model.vocab_size < 1)
            return bad("model.vocab_size: set it (or model.tokenizer) for a new model");
        if (model.hidden_size < 1 || model.num_hidden_layers < 1 ||
            model.num_attention_heads < 1 || model.intermediate_size < 1)
            return bad("model: hidden_size, intermediate_size, num_hidden_layers and "
                       "num_attention_heads must be >= 1");
        if (batch.seq_len > model.max_position_embeddings)
            return bad("batch.seq_len (" + std::to_string(batch.seq_len) +
                       ") exceeds model.max_position_embeddings (" +
                       std::to_string(model.max_position_embeddings) + ")");
    }
    if (lora.rank < 0) return bad("lora.rank: must be >= 0 (0: off)");
    if (lora.rank > 0) {
        if (model.init_from.empty())
            return bad("lora.rank > 0 needs model.init_from: LoRA adapts an existing model "
                       "(an HF directory, GGUF or .bin); set it, or lora.rank: 0 to train a "
                       "new model");
        if (!(lora.alpha > 0)) return bad("lora.alpha: must be > 0");
        if (!(lora.dropout >= 0 && lora.dropout < 1)) return bad("lora.dropout: must be in [0, 1)");
        if (lora.targets.empty())
            return bad("lora.targets: name at least one of q k v o gate up down");
        for (const std::string& t : lora.targets)
            if (!model::lora_target_from_name(t))
                return bad("lora.targets: unknown target module \"" + t +
                           "\" (use q k v o gate up down, or q_proj ... down_proj)");
    }
    JENNY_RETURN_IF_ERROR(optim.adamw.validate());
    return lr_schedule().validate();
}

LrSchedule TrainConfig::lr_schedule() const {
    LrSchedule s;
    s.kind = schedule.kind;
    s.lr_max = optim.lr_max;
    s.lr_min = optim.lr_min;
    s.warmup_steps = schedule.warmup_steps;
    s.total_steps = schedule.total_steps;
    s.decay_fraction = schedule.decay_fraction;
    return s;
}

}  // namespace jenny::train
