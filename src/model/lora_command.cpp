// jenny lora merge / jenny lora logits, and attaching an adapter to a loaded model
// (lora_command.h).
#include "jenny/model/lora_command.h"

#include <fmt/format.h>

#include "jenny/model/kv_cache.h"
#include "jenny/model/lora_adapter.h"
#include "jenny/model/model_writer.h"

namespace jenny::model {

using base::Status;

Status attach_lora(LoadedModel& m, const std::string& dir, base::Env* env) {
    JENNY_ASSIGN_OR_RETURN(LoraAdapter ad, load_lora_adapter(dir, m.model->config(), env));
    return m.model->set_lora(std::make_shared<LoraAdapter>(std::move(ad)));
}

Status run_lora_merge(const std::string& base, const std::string& adapter, const std::string& out,
                      const std::string& dtype, std::FILE* log, base::Env* env) {
    const auto dt = tensor::dtype_from_name(dtype);
    if (!dt ||
        (*dt != tensor::DType::kF32 && *dt != tensor::DType::kF16 && *dt != tensor::DType::kBF16))
        return Status::invalid_argument("--dtype " + dtype + ": use f32, f16 or bf16");
    LoadOptions lo;
    lo.n_threads = 1;
    JENNY_ASSIGN_OR_RETURN(LoadedModel m, load_model(base, lo, env));
    JENNY_ASSIGN_OR_RETURN(LoraAdapter ad, load_lora_adapter(adapter, m.model->config(), env));
    LlamaWeights w = m.model->weights();
    JENNY_RETURN_IF_ERROR(merge_lora(&w, ad, m.model->config()));
    JENNY_ASSIGN_OR_RETURN(m.model, LlamaModel::create(m.model->config(), std::move(w), 1));
    JENNY_RETURN_IF_ERROR(save_hf(m, out, *dt, env));
    if (log)
        std::fprintf(log, "jenny lora merge: %s + %s (r %d, alpha %g) -> %s (%s)\n", base.c_str(),
                     adapter.c_str(), ad.config.rank, ad.config.alpha, out.c_str(), dtype.c_str());
    return Status();
}

Status run_lora_logits(const std::string& base, const std::string& adapter,
                       const std::vector<int32_t>& tokens, const std::string& output, int threads,
                       base::Env* env) {
    if (tokens.empty()) return Status::invalid_argument("--tokens: give at least one token id");
    LoadOptions lo;
    lo.n_threads = threads;
    lo.load_tokenizer = false;
    JENNY_ASSIGN_OR_RETURN(LoadedModel m, load_model(base, lo, env));
    if (!adapter.empty()) JENNY_RETURN_IF_ERROR(attach_lora(m, adapter, env));
    LlamaModel& model = *m.model;
    const int n = static_cast<int>(tokens.size());
    JENNY_ASSIGN_OR_RETURN(
        auto kv, KvCache::create(model.kv_config(tensor::DType::kF32, (n + 15) / 16 + 1, 16)));
    JENNY_RETURN_IF_ERROR(kv->add_sequence(0));
    JENNY_RETURN_IF_ERROR(kv->append(0, n));
    Batch b;
    b.add_sequence(tokens, 0, 0, /*all_logits=*/true);
    std::vector<float> logits(static_cast<size_t>(n) * model.config().vocab_size);
    JENNY_RETURN_IF_ERROR(model.forward(b, *kv, logits.data()));
    auto f = env->new_writable_file(output);
    if (!f.ok()) return f.status();
    JENNY_RETURN_IF_ERROR((*f)->append(std::string_view(
        reinterpret_cast<const char*>(logits.data()), logits.size() * sizeof(float))));
    return (*f)->close();
}

}  // namespace jenny::model
