// jenny tokenize-dataset: JSONL / text corpora to a token dataset (docs/formats/tokens.md).
#include <cstdio>

#include "cli/command.h"
#include "jenny/data/tokenize_dataset.h"

namespace jenny::cli {

Command register_tokenize_dataset(CLI::App& root) {
    CLI::App* cmd = root.add_subcommand(
        "tokenize-dataset",
        "Tokenize JSONL / text files into a token dataset (PREFIX.bin, .idx, .meta.json)");
    auto flags = std::make_shared<ConfigFlags>(cmd);
    flags
        ->flag("--tokenizer", "tokenizer",
               "model dir, tokenizer.json, .model, .gguf or llama2.c .bin")
        ->type_name("PATH");
    flags->flag("--output", "output", "output dataset prefix")->type_name("PREFIX");
    flags->flag("--text-field", "text_field", "JSONL field with the text (default text)")
        ->type_name("NAME");
    flags->flag("--threads", "threads", "encoding threads (default: all cores)")->type_name("N");
    // Taken verbatim, not through the config parser, which reads "%" as YAML.
    auto separator = std::make_shared<std::string>();
    cmd->add_option("--separator", *separator, "text files: line separating documents, e.g. %")
        ->type_name("LINE");
    flags->toggle("--parse-special", "parse_special",
                  "read special-token text (<|endoftext|>) as control tokens");
    flags->toggle("--overwrite", "overwrite", "replace an existing dataset at PREFIX");
    auto no_eos = std::make_shared<bool>(false);
    cmd->add_flag("--no-eos", *no_eos, "append no EOS after each document");
    auto inputs = std::make_shared<std::vector<std::string>>();
    cmd->add_option("inputs", *inputs, "JSONL / text files or directories")->type_name("INPUT");
    return {cmd, [=]() {
                std::vector<std::string> extra;
                if (*no_eos) extra.push_back("eos=false");
                auto config = flags->resolve<data::TokenizeDatasetConfig>(extra);
                if (!config.ok()) {
                    std::fprintf(stderr, "jenny tokenize-dataset: %s\n",
                                 config.status().message().c_str());
                    return kExitUsage;
                }
                config->inputs.insert(config->inputs.end(), inputs->begin(), inputs->end());
                if (!separator->empty()) config->separator = *separator;
                if (config->inputs.empty()) {
                    std::fprintf(stderr,
                                 "jenny tokenize-dataset: name at least one INPUT file or "
                                 "directory. Run 'jenny tokenize-dataset --help' to see the "
                                 "usage.\n");
                    return kExitUsage;
                }
                print_config("tokenize-dataset", base::config_to_yaml(*config));
                auto summary = data::run_tokenize_dataset(*config);
                if (!summary.ok()) {
                    std::fprintf(stderr, "jenny tokenize-dataset: %s\n",
                                 summary.status().to_string().c_str());
                    return kExitFailure;
                }
                std::fputs(data::format_tokenize_dataset_summary(*summary).c_str(), stdout);
                return kExitOk;
            }};
}

}  // namespace jenny::cli
