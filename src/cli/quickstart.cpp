// jenny quickstart: the newcomer's tour. It runs every stage of the chain that exists in this
// build and names the ones still to come, so its output grows as jenny does.
#include <cstdio>

#include "cli/command.h"
#include "jenny/base/paths.h"
#include "jenny/base/system_report.h"

namespace jenny::cli {
namespace {

struct QuickstartConfig {
    std::string workdir = "quickstart-out";
    template <class V>
    void visit(V& v) {
        v.field("workdir", workdir, "where the tour writes what it makes");
    }
};

}  // namespace

Command register_quickstart(CLI::App& root) {
    CLI::App* cmd = root.add_subcommand("quickstart", "Run the whole chain on a small example");
    auto flags = std::make_shared<ConfigFlags>(cmd);
    flags->flag("--workdir", "workdir", "output folder")->type_name("DIR");
    return {
        cmd, [flags]() {
            base::Result<QuickstartConfig> config = flags->resolve<QuickstartConfig>();
            if (!config.ok()) {
                std::fprintf(stderr, "jenny quickstart: %s\n", config.status().message().c_str());
                return kExitUsage;
            }
            print_config("quickstart", base::config_to_yaml(*config));
            base::Env* env = base::Env::Default();
            std::printf("== 1. the machine\n%s", base::system_report({}, env).c_str());
            base::Status made = env->create_dirs(config->workdir);
            if (!made.ok()) {
                std::fprintf(stderr, "jenny quickstart: %s\n", made.to_string().c_str());
                return kExitFailure;
            }
            base::Result<std::string> model = base::smollm2_gguf_path(env);
            if (!model.ok()) {
                std::fprintf(stderr, "jenny quickstart: %s\n", model.status().message().c_str());
                return kExitFailure;
            }
            auto size = env->file_size(*model);
            std::printf("== 2. the real model\nSmolLM2-135M-Instruct: %s (%.1f MB)\n",
                        model->c_str(), size.ok() ? static_cast<double>(*size) / 1e6 : 0.0);
            std::printf(
                "== 3. still to come in this build: clean a corpus, train a tokenizer, "
                "pretrain a tiny model, evaluate, serve, chat\n");
            return kExitOk;
        }};
}

}  // namespace jenny::cli
