// jenny inspect: what a model file holds (format, config, tokenizer, tensors, sizes).
#include <cstdio>

#include "cli/command.h"
#include "jenny/model/inspect_command.h"

namespace jenny::cli {

Command register_inspect(CLI::App& root) {
    CLI::App* cmd = root.add_subcommand(
        "inspect", "Describe a model: format, config, tokenizer, tensors, sizes, KV bytes");
    auto flags = std::make_shared<ConfigFlags>(cmd);
    flags->flag("path", "model", "HF directory, .gguf or llama2.c .bin")->type_name("PATH");
    flags->toggle("--json", "json", "print one JSON object");
    auto no_tensors = std::make_shared<bool>(false);
    cmd->add_flag("--no-tensors", *no_tensors, "leave out the tensor table");
    return {cmd, [=]() {
                std::vector<std::string> extra;
                if (*no_tensors) extra.push_back("tensors=false");
                auto config = flags->resolve<model::InspectConfig>(extra);
                if (!config.ok()) {
                    std::fprintf(stderr, "jenny inspect: %s\n", config.status().message().c_str());
                    return kExitUsage;
                }
                print_config("inspect", base::config_to_yaml(*config));
                base::Status s = model::run_inspect(*config, stdout);
                if (!s.ok()) {
                    std::fprintf(stderr, "jenny inspect: %s\n", s.to_string().c_str());
                    return kExitFailure;
                }
                return kExitOk;
            }};
}

}  // namespace jenny::cli
