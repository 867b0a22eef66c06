// jenny validate-sft: checks an SFT JSONL file line by line (docs/formats/sft.md).
#include <cstdio>

#include "cli/command.h"
#include "jenny/data/sft_dataset.h"

namespace jenny::cli {

Command register_validate_sft(CLI::App& root) {
    CLI::App* cmd = root.add_subcommand(
        "validate-sft",
        "Check an SFT JSONL file (chat or prompt/completion) against a model's chat template: a "
        "line-numbered report and token counts");
    auto flags = std::make_shared<ConfigFlags>(cmd);
    flags->flag("--model", "model", "model directory, tokenizer_config.json or .gguf")
        ->type_name("PATH");
    flags->flag("--max-tokens", "max_tokens", "longest example (default: model context or 2048)")
        ->type_name("N");
    flags->flag("--epochs", "epochs", "epochs, for the token estimate (default 1)")->type_name("E");
    flags->toggle("--last-turn-only", "last_turn_only", "train only the last assistant message");
    auto json = std::make_shared<bool>(false);
    cmd->add_flag("--json", *json, "print the report as JSON");
    auto input = std::make_shared<std::string>();
    cmd->add_option("file", *input, "SFT JSONL file")->type_name("FILE");
    return {cmd, [=]() {
                auto config = flags->resolve<data::SftValidateConfig>(
                    input->empty() ? std::vector<std::string>{}
                                   : std::vector<std::string>{"input=" + *input});
                if (!config.ok()) {
                    std::fprintf(stderr, "jenny validate-sft: %s\n",
                                 config.status().message().c_str());
                    return kExitUsage;
                }
                if (config->max_tokens < 0 || !(config->epochs > 0)) {
                    std::fprintf(stderr,
                                 "jenny validate-sft: --max-tokens must be >= 0 and --epochs > "
                                 "0\n");
                    return kExitUsage;
                }
                print_config("validate-sft", base::config_to_yaml(*config));
                auto report = data::validate_sft_file(*config);
                if (!report.ok()) {
                    std::fprintf(stderr, "jenny validate-sft: %s\n",
                                 report.status().to_string().c_str());
                    return kExitFailure;
                }
                const std::string text =
                    *json ? data::sft_report_json(*report) : data::format_sft_report(*report);
                std::fputs(text.c_str(), stdout);
                return report->ok() ? kExitOk : kExitFailure;
            }};
}

}  // namespace jenny::cli
