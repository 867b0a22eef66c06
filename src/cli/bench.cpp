// jenny bench generate: inference speed as llama-bench measures it (pp / tg tok/s, peak RSS).
#include <cstdio>

#include "cli/command.h"
#include "jenny/model/bench_command.h"

namespace jenny::cli {

Command register_bench(CLI::App& root) {
    CLI::App* cmd = root.add_subcommand("bench", "Benchmarks");
    cmd->require_subcommand(1);
    CLI::App* gen = cmd->add_subcommand(
        "generate", "Prompt (pp) and decode (tg) tokens per second of a model, as llama-bench");
    auto flags = std::make_shared<ConfigFlags>(gen);
    flags->flag("--model,-m", "model", "HF directory, .gguf or llama2.c .bin")->type_name("PATH");
    flags->flag("--pp", "pp", "prompt tokens in one batch (default 512, 0: skip)")->type_name("N");
    flags->flag("--tg", "tg", "tokens decoded one at a time (default 64, 0: skip)")->type_name("N");
    flags->flag("--tg-prompt", "tg_prompt", "tokens in the cache before decoding (default 8)")
        ->type_name("N");
    flags->flag("--threads,-t", "threads", "threads (0: all cores)")->type_name("N");
    flags->flag("--reps,-r", "reps", "timed repetitions (default 3)")->type_name("N");
    flags->flag("--kv-dtype", "kv_dtype", "f16 | f32 | q8_0")->type_name("TYPE");
    flags->flag("--seed", "seed", "seed of the random token ids")->type_name("N");
    flags->toggle("--json", "json", "print one JSON object");
    return {cmd, [=]() {
                auto config = flags->resolve<model::BenchGenerateConfig>();
                if (!config.ok()) {
                    std::fprintf(stderr, "jenny bench generate: %s\n",
                                 config.status().message().c_str());
                    return kExitUsage;
                }
                print_config("bench generate", base::config_to_yaml(*config));
                base::Status s = model::run_bench_generate(*config, stdout, stderr);
                if (!s.ok()) {
                    std::fprintf(stderr, "jenny bench generate: %s\n", s.to_string().c_str());
                    return s.code() == base::StatusCode::kInvalidArgument ? kExitUsage
                                                                          : kExitFailure;
                }
                return kExitOk;
            }};
}

}  // namespace jenny::cli
