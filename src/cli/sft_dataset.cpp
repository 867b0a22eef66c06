// jenny sft-dataset: an SFT JSONL file to a masked token dataset (docs/formats/sft.md).
#include <cstdio>

#include "cli/command.h"
#include "jenny/data/sft_dataset.h"

namespace jenny::cli {

Command register_sft_dataset(CLI::App& root) {
    CLI::App* cmd = root.add_subcommand(
        "sft-dataset",
        "Validate an SFT JSONL file, then render it with the model's chat template into a token "
        "dataset whose mask covers the assistant tokens");
    auto flags = std::make_shared<ConfigFlags>(cmd);
    flags->flag("--model", "model", "model directory, tokenizer_config.json or .gguf")
        ->type_name("PATH");
    flags->flag("--output", "output", "output dataset prefix")->type_name("PREFIX");
    flags->flag("--max-tokens", "max_tokens", "longest example (default: model context or 2048)")
        ->type_name("N");
    flags->toggle("--last-turn-only", "last_turn_only", "train only the last assistant message");
    flags->toggle("--overwrite", "overwrite", "replace an existing dataset at PREFIX");
    auto input = std::make_shared<std::string>();
    cmd->add_option("file", *input, "SFT JSONL file")->type_name("FILE");
    return {
        cmd, [=]() {
            auto config = flags->resolve<data::SftDatasetConfig>(
                input->empty() ? std::vector<std::string>{}
                               : std::vector<std::string>{"input=" + *input});
            if (!config.ok()) {
                std::fprintf(stderr, "jenny sft-dataset: %s\n", config.status().message().c_str());
                return kExitUsage;
            }
            if (config->max_tokens < 0) {
                std::fprintf(stderr, "jenny sft-dataset: --max-tokens must be >= 0\n");
                return kExitUsage;
            }
            print_config("sft-dataset", base::config_to_yaml(*config));
            auto summary = data::run_sft_dataset(*config);
            if (!summary.ok()) {
                std::fprintf(stderr, "jenny sft-dataset: %s\n",
                             summary.status().to_string().c_str());
                return kExitFailure;
            }
            std::fputs(data::format_sft_report(summary->report).c_str(), stdout);
            if (!summary->written) {
                std::fprintf(stderr,
                             "jenny sft-dataset: %s has errors; nothing was written. Fix the "
                             "lines above (jenny validate-sft checks a file).\n",
                             config->input.c_str());
                return kExitFailure;
            }
            const auto& m = summary->meta;
            std::printf("wrote %lld examples, %lld tokens (%s, mask) with tokenizer %s:\n",
                        static_cast<long long>(m.n_documents), static_cast<long long>(m.n_tokens),
                        m.token_dtype.c_str(), m.tokenizer_hash.c_str());
            for (const auto& f : summary->outputs) std::printf("  %s\n", f.c_str());
            return kExitOk;
        }};
}

}  // namespace jenny::cli
