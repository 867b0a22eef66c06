// jenny train CONFIG.yaml: pretrain or continue training a LLaMA-family model (src/train).
#include <cstdio>

#include "cli/command.h"
#include "jenny/train/collective.h"
#include "jenny/train/trainer.h"

namespace jenny::cli {

Command register_train(CLI::App& root) {
    CLI::App* cmd = root.add_subcommand(
        "train", "Pretrain or continue training a LLaMA-family model from a YAML config");
    struct Args {
        std::string config;
        std::vector<std::string> sets;
        bool resume = false, dry_run = false;
        int64_t max_steps = 0;
    };
    auto args = std::make_shared<Args>();
    cmd->add_option("config", args->config, "training config (YAML or JSON); see docs/train.md")
        ->required()
        ->type_name("CONFIG");
    cmd->add_option("--set", args->sets, "override a config key, e.g. --set optim.lr_max=1e-3")
        ->type_name("KEY=VALUE");
    cmd->add_flag("--resume", args->resume,
                  "continue from the newest valid checkpoint in out_dir/checkpoints");
    cmd->add_flag("--dry-run", args->dry_run,
                  "print the memory and time estimate, then stop without training");
    cmd->add_option("--max-steps", args->max_steps,
                    "stop (with a checkpoint) after this many steps of this invocation")
        ->type_name("N");
    return {cmd, [=]() {
                auto node = base::load_config_file(args->config);
                if (!node.ok()) {
                    std::fprintf(stderr, "jenny train: %s\n", node.status().message().c_str());
                    return kExitUsage;
                }
                for (const std::string& s : args->sets) {
                    base::Status st = base::apply_override(*node, s);
                    if (!st.ok()) {
                        std::fprintf(stderr, "jenny train: %s\n", st.message().c_str());
                        return kExitUsage;
                    }
                }
                auto config = base::bind_config<train::TrainConfig>(*node);
                if (!config.ok()) {
                    std::fprintf(stderr, "jenny train: %s\n", config.status().message().c_str());
                    return kExitUsage;
                }
                // Under mpirun / srun the ranks share one terminal: rank 0 prints.
                if (train::Collective::launched_rank() == 0)
                    print_config("train", base::config_to_yaml(*config));
                train::install_stop_signal_handlers();
                train::TrainOptions options;
                options.resume = args->resume;
                options.dry_run = args->dry_run;
                options.max_steps = args->max_steps;
                auto outcome = train::run_training(*config, options);
                if (!outcome.ok()) {
                    std::fprintf(stderr, "jenny train: %s\n", outcome.status().to_string().c_str());
                    return outcome.status().code() == base::StatusCode::kInvalidArgument
                               ? kExitUsage
                               : kExitFailure;
                }
                switch (outcome->end) {
                    case train::TrainOutcome::End::kNonFinite:
                        return train::kExitNonFinite;
                    case train::TrainOutcome::End::kSignal:
                        return train::kExitRequeue;
                    default:
                        return kExitOk;
                }
            }};
}

}  // namespace jenny::cli
