#include "jenny/train/sft_source.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "jenny/data/sft_dataset.h"
#include "jenny/tokenizer/chat_model.h"
#include "jenny/tokenizer/fingerprint.h"

namespace jenny::train {

namespace {

using base::Status;

// Bumped when the packed layout changes, so older caches are rebuilt.
constexpr int kSftCacheVersion = 1;

std::string fnv1a64(std::string_view bytes) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : bytes) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    return fmt::format("{:016x}", h);
}

base::Result<std::string> file_checksum(const std::string& path, base::Env* env) {
    auto mapped = env->map_file(path);
    if (!mapped.ok()) return mapped.status();
    const auto& m = **mapped;
    return fnv1a64(std::string_view(reinterpret_cast<const char*>(m.data()), m.size()));
}

}  // namespace

base::Result<TrainConfig> prepare_sft_sources(const TrainConfig& config,
                                              const std::string& chat_model, bool resume,
                                              const std::function<void(std::string_view)>& print,
                                              base::Env* env) {
    TrainConfig out = config;
    if (!config.data.any_sft()) return out;
    if (chat_model.empty())
        return Status::invalid_argument(
            "data: format sft renders conversations with the model's chat template: set "
            "model.init_from (or model.tokenizer to a directory with a chat template)");
    auto cm = tokenizer::load_chat_model(chat_model, env);
    if (!cm.ok()) return cm.status().with_context("data: the chat template of " + chat_model);
    const std::string tok_hash = tokenizer::tokenizer_fingerprint(*cm->tokenizer);
    const std::string template_hash = fnv1a64(cm->chat_template.source());
    JENNY_RETURN_IF_ERROR(env->create_dirs(config.out_dir + "/sft"));

    auto prepare = [&](DataSource& src, const std::string& list, size_t i) -> Status {
        if (src.format != "sft") return Status();
        const std::string name = list + std::to_string(i);
        const std::string where = fmt::format("data.{}[{}] ({})", list, i, src.path);
        if (!env->file_exists(src.path))
            return Status::not_found(where + ": no such file");
        JENNY_ASSIGN_OR_RETURN(std::string sum, file_checksum(src.path, env));
        const nlohmann::ordered_json key = {
            {"version", kSftCacheVersion},      {"input", src.path},
            {"input_checksum", sum},            {"tokenizer", tok_hash},
            {"chat_template", template_hash},   {"seq_len", config.batch.seq_len},
            {"last_turn_only", config.data.last_turn_only}};
        const std::string prefix = config.out_dir + "/sft/" + name;
        const std::string key_path = prefix + ".sft.json";
        const bool cached = env->file_exists(data::token_dataset_meta_path(prefix));
        if (cached) {
            auto old = env->read_file(key_path);
            nlohmann::ordered_json old_key;
            if (old.ok()) old_key = nlohmann::ordered_json::parse(*old, nullptr, false);
            if (old_key == key) {
                print(fmt::format("data: {} reuses {} (its key matches)\n", where, prefix));
                src.path = prefix;
                src.format = "tokens";
                return Status();
            }
            if (resume)
                return Status::failed_precondition(fmt::format(
                    "{}: the SFT data changed since this run started (cached {} was made from "
                    "{}, now {}): restore the file, or train in a new out_dir",
                    where, prefix, old.ok() ? *old : std::string("an unknown key"), key.dump()));
        }
        data::SftDatasetConfig dc;
        dc.input = src.path;
        dc.model = chat_model;
        dc.output = prefix;
        dc.last_turn_only = config.data.last_turn_only;
        dc.overwrite = true;
        dc.pack_window = config.batch.seq_len;
        (void)env->remove_file(key_path);
        auto made = data::run_sft_dataset(dc, env);
        if (!made.ok()) return made.status().with_context(where);
        if (!made->written)
            return Status::invalid_argument(fmt::format(
                "{}: the SFT file has errors; training refuses it (check it with jenny "
                "validate-sft {} --model {}):\n{}",
                where, src.path, chat_model, data::format_sft_report(made->report)));
        const data::SftStats& st = made->report.stats;
        print(fmt::format(
            "data: {}: {} examples, {} tokens ({} trained) packed into {} windows of {} "
            "({} padding tokens) -> {}\n",
            where, st.n_examples, st.total_tokens, st.trained_tokens, made->n_windows,
            config.batch.seq_len, made->pad_tokens, prefix));
        JENNY_RETURN_IF_ERROR(env->write_file_atomic(key_path, key.dump(2) + "\n"));
        src.path = prefix;
        src.format = "tokens";
        return Status();
    };
    for (size_t i = 0; i < out.data.train.size(); ++i)
        JENNY_RETURN_IF_ERROR(prepare(out.data.train[i], "train", i));
    for (size_t i = 0; i < out.data.val.size(); ++i)
        JENNY_RETURN_IF_ERROR(prepare(out.data.val[i], "val", i));
    return out;
}

}  // namespace jenny::train
