// jenny perplexity: a model's perplexity over a text file, computed as llama-perplexity does.
#include <cstdio>

#include "cli/command.h"
#include "jenny/model/perplexity.h"

namespace jenny::cli {

Command register_perplexity(CLI::App& root) {
    CLI::App* cmd = root.add_subcommand(
        "perplexity", "Perplexity of a model over a text file (as llama.cpp's llama-perplexity)");
    auto flags = std::make_shared<ConfigFlags>(cmd);
    flags->flag("--model,-m", "model", "HF directory, .gguf or llama2.c .bin")->type_name("PATH");
    flags->flag("--file,-f", "file", "UTF-8 text file")->type_name("PATH");
    flags->flag("--ctx,-c", "ctx", "tokens per chunk (default 512)")->type_name("N");
    flags->flag("--threads,-t", "threads", "threads (0: all cores)")->type_name("N");
    flags->flag("--chunks", "chunks", "only the first N chunks (0: all)")->type_name("N");
    flags->flag("--kv-dtype", "kv_dtype", "f16 | f32 | q8_0")->type_name("TYPE");
    flags->toggle("--json", "json", "print one JSON object at the end");
    return {
        cmd, [=]() {
            auto config = flags->resolve<model::PerplexityConfig>();
            if (!config.ok()) {
                std::fprintf(stderr, "jenny perplexity: %s\n", config.status().message().c_str());
                return kExitUsage;
            }
            print_config("perplexity", base::config_to_yaml(*config));
            base::Status s = model::run_perplexity(*config, stdout, stderr);
            if (!s.ok()) {
                std::fprintf(stderr, "jenny perplexity: %s\n", s.to_string().c_str());
                return s.code() == base::StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
            }
            return kExitOk;
        }};
}

}  // namespace jenny::cli
