// What every jenny subcommand shares: how flags become a typed config, and how a command is
// registered and run. A subcommand file is thin: it declares flags, resolves its subsystem's
// config struct and calls the library.
//
// Config resolution order (later wins): the struct's defaults, --config FILE (YAML or JSON),
// the command's own flags, then --set key=value overrides in the order given.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include "jenny/base/config_bind.h"

namespace jenny::cli {

// Exit codes: 0 success, 1 the work failed, 2 the command line or config is wrong.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

class ConfigFlags {
public:
    // Adds --config and --set to `cmd`.
    explicit ConfigFlags(CLI::App* cmd);

    // A flag that sets config key `key` (dotted path) to its value, e.g.
    // flag("--lr-max", "optim.lr_max", "peak learning rate").
    CLI::Option* flag(const std::string& name, const std::string& key, const std::string& help);
    // A switch that sets `key` to true when present.
    CLI::Option* toggle(const std::string& name, const std::string& key, const std::string& help);

    // Loads --config, applies flags then --set, binds to T. Errors are kInvalidArgument.
    // `extra` are key=value overrides from shorthand flags, applied after the mapped flags
    // and before --set.
    template <class T>
    base::Result<T> resolve(const std::vector<std::string>& extra = {}) const {
        JENNY_ASSIGN_OR_RETURN(base::ConfigNode root, build_tree(extra));
        return base::bind_config<T>(root);
    }

private:
    base::Result<base::ConfigNode> build_tree(const std::vector<std::string>& extra) const;

    CLI::App* cmd_;
    std::string config_path_;
    std::vector<std::string> sets_;
    std::vector<std::pair<std::string, std::string>> flag_overrides_;  // (flag name, key=value)
};

// Prints "jenny <command>: configuration" and the resolved config as YAML to stderr.
void print_config(const std::string& command, const std::string& yaml);

// A registered subcommand: its CLI11 app and what to run once the command line parsed.
struct Command {
    CLI::App* app = nullptr;
    std::function<int()> run;
};

// One per subcommand file.
Command register_info(CLI::App& root);
Command register_quickstart(CLI::App& root);
Command register_tokenizer_train(CLI::App& root);
Command register_tokenize(CLI::App& root);
Command register_detokenize(CLI::App& root);
Command register_tokenize_dataset(CLI::App& root);
Command register_validate_sft(CLI::App& root);
Command register_sft_dataset(CLI::App& root);
Command register_chat_template(CLI::App& root);
Command register_convert(CLI::App& root);
Command register_quantize(CLI::App& root);
Command register_generate(CLI::App& root);
Command register_inspect(CLI::App& root);
Command register_perplexity(CLI::App& root);
Command register_bench(CLI::App& root);
Command register_train(CLI::App& root);
Command register_lora(CLI::App& root);
Command register_data(CLI::App& root);

}  // namespace jenny::cli
