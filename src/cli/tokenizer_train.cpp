// jenny tokenizer train: learn a byte-level BPE vocabulary from text files and write a Hugging
// Face tokenizer.json + tokenizer_config.json.
#include <cstdio>

#include "cli/command.h"
#include "jenny/tokenizer/bpe_trainer.h"

namespace jenny::cli {
namespace {

// The `jenny tokenizer` group, created by whichever tokenizer command registers first.
CLI::App* tokenizer_group(CLI::App& root) {
    for (CLI::App* sub : root.get_subcommands({})) {
        if (sub->get_name() == "tokenizer") return sub;
    }
    CLI::App* group = root.add_subcommand("tokenizer", "Train and inspect tokenizers");
    group->require_subcommand(1);
    return group;
}

}  // namespace

Command register_tokenizer_train(CLI::App& root) {
    CLI::App* cmd = tokenizer_group(root)->add_subcommand(
        "train", "Train a byte-level BPE tokenizer (Hugging Face tokenizer.json) on text files");
    auto flags = std::make_shared<ConfigFlags>(cmd);
    flags->flag("--input", "input", "text files or directories, comma-separated")
        ->type_name("FILE[,FILE...]");
    flags->flag("--vocab-size", "vocab_size", "total vocabulary size, specials included")
        ->type_name("N");
    flags->flag("--out", "out", "output directory")->type_name("DIR");
    flags->flag("--min-frequency", "min_frequency", "minimum pair count to merge")->type_name("N");
    flags->flag("--special-tokens", "special_tokens", "special tokens, comma-separated")
        ->type_name("TOK[,TOK...]");
    flags->flag("--regex", "pretokenizer_regex", "pre-tokenizer pattern (default: Llama 3's)")
        ->type_name("PATTERN");
    flags->flag("--threads", "threads", "worker threads (0: all cores)")->type_name("N");
    flags->flag("--max-input-bytes", "max_input_bytes", "read at most this many bytes")
        ->type_name("N");
    flags->toggle("--add-bos", "add_bos", "prepend the BOS token when encoding");
    return {cmd, [flags]() {
                const char* name = "jenny tokenizer train";
                base::Result<tokenizer::BpeTrainerConfig> config =
                    flags->resolve<tokenizer::BpeTrainerConfig>();
                if (!config.ok()) {
                    std::fprintf(stderr, "%s: %s\n", name, config.status().message().c_str());
                    return kExitUsage;
                }
                base::Status valid = tokenizer::validate_bpe_trainer_config(*config);
                if (!valid.ok()) {
                    std::fprintf(stderr, "%s: %s\n", name, valid.message().c_str());
                    return kExitUsage;
                }
                print_config("tokenizer train", base::config_to_yaml(*config));
                base::Result<tokenizer::TrainReport> report =
                    tokenizer::train_bpe(*config, base::Env::Default());
                if (!report.ok()) {
                    std::fprintf(stderr, "%s: %s\n", name, report.status().to_string().c_str());
                    return kExitFailure;
                }
                const tokenizer::TrainReport& r = *report;
                std::printf(
                    "read %lld files, %lld bytes (%lld skipped), %lld pieces, %lld distinct\n"
                    "vocab %lld tokens (%lld learned, %lld merges)\n"
                    "time: count %.2fs, merges %.2fs, total %.2fs\n"
                    "wrote %s\nwrote %s\n",
                    static_cast<long long>(r.input_files), static_cast<long long>(r.input_bytes),
                    static_cast<long long>(r.skipped_bytes), static_cast<long long>(r.pieces),
                    static_cast<long long>(r.unique_words), static_cast<long long>(r.vocab_size),
                    static_cast<long long>(r.learned_tokens), static_cast<long long>(r.merges),
                    r.count_seconds, r.merge_seconds, r.total_seconds, r.tokenizer_json.c_str(),
                    r.tokenizer_config.c_str());
                if (r.vocab_size < config->vocab_size) {
                    std::printf(
                        "note: the vocabulary has %lld of the %lld tokens asked for: no pair "
                        "occurs min_frequency (%lld) times any more; give more text or lower "
                        "--min-frequency\n",
                        static_cast<long long>(r.vocab_size),
                        static_cast<long long>(config->vocab_size),
                        static_cast<long long>(config->min_frequency));
                }
                return kExitOk;
            }};
}

}  // namespace jenny::cli
