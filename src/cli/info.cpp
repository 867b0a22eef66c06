// jenny info: what this build is and what the machine offers (cores, SIMD, memory, GPUs, MPI,
// data and model cache).
#include <cstdio>

#include "cli/command.h"
#include "jenny/base/system_report.h"

namespace jenny::cli {

Command register_info(CLI::App& root) {
    CLI::App* cmd =
        root.add_subcommand("info", "Show the build, the machine, and where data and models are");
    auto flags = std::make_shared<ConfigFlags>(cmd);
    flags->toggle("--json", "json", "print JSON instead of text");
    flags->flag("--data-dir", "data_dir", "shared data folder")->type_name("DIR");
    flags->flag("--cache-dir", "cache_dir", "model cache folder")->type_name("DIR");
    return {cmd, [flags]() {
                base::Result<base::InfoConfig> config = flags->resolve<base::InfoConfig>();
                if (!config.ok()) {
                    std::fprintf(stderr, "jenny info: %s\n", config.status().message().c_str());
                    return kExitUsage;
                }
                print_config("info", base::config_to_yaml(*config));
                std::fputs(base::system_report(*config).c_str(), stdout);
                return kExitOk;
            }};
}

}  // namespace jenny::cli
