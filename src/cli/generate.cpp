// jenny generate: stream text from a model.
#include <cstdio>

#include "cli/command.h"
#include "jenny/model/generate_command.h"

namespace jenny::cli {

Command register_generate(CLI::App& root) {
    CLI::App* cmd = root.add_subcommand("generate", "Generate text with a model, streamed");
    auto flags = std::make_shared<ConfigFlags>(cmd);
    flags->flag("--model,-m", "model", "HF directory, .gguf or llama2.c .bin")->type_name("PATH");
    flags->flag("--tokenizer", "tokenizer", "tokenizer override")->type_name("PATH");
    flags->flag("--lora", "lora", "LoRA adapter directory (PEFT layout), applied at run time")
        ->type_name("DIR");
    flags->flag("--prompt,-p", "prompt", "prompt text (the user message with --chat)")
        ->type_name("TEXT");
    flags->toggle("--chat", "chat", "use the model's chat template");
    flags->flag("--system", "system", "system message (with --chat)")->type_name("TEXT");
    flags->flag("--threads,-t", "threads", "threads (0: all cores)")->type_name("N");
    flags->flag("--kv-dtype", "kv_dtype", "f16 | f32 | q8_0")->type_name("TYPE");
    flags->flag("--max-tokens,-n", "sampling.max_tokens", "most tokens to generate")
        ->type_name("N");
    flags->flag("--temperature,--temp", "sampling.temperature", "0 is greedy")->type_name("T");
    flags->flag("--top-k", "sampling.top_k", "keep the k most likely")->type_name("K");
    flags->flag("--top-p", "sampling.top_p", "nucleus mass")->type_name("P");
    flags->flag("--min-p", "sampling.min_p", "min-p truncation")->type_name("P");
    flags->flag("--repetition-penalty", "sampling.repetition_penalty", "CTRL penalty")
        ->type_name("X");
    flags->flag("--presence-penalty", "sampling.presence_penalty", "OpenAI presence penalty")
        ->type_name("X");
    flags->flag("--frequency-penalty", "sampling.frequency_penalty", "OpenAI frequency penalty")
        ->type_name("X");
    flags->flag("--seed", "sampling.seed", "random seed")->type_name("N");
    auto no_stats = std::make_shared<bool>(false);
    cmd->add_flag("--no-stats", *no_stats, "do not print speed");
    return {cmd, [=]() {
                std::vector<std::string> extra;
                if (*no_stats) extra.push_back("stats=false");
                auto config = flags->resolve<model::GenerateConfig>(extra);
                if (!config.ok()) {
                    std::fprintf(stderr, "jenny generate: %s\n", config.status().message().c_str());
                    return kExitUsage;
                }
                print_config("generate", base::config_to_yaml(*config));
                base::Status s = model::run_generate(*config, stdout, stderr);
                if (!s.ok()) {
                    std::fprintf(stderr, "jenny generate: %s\n", s.to_string().c_str());
                    return s.code() == base::StatusCode::kInvalidArgument ? kExitUsage
                                                                          : kExitFailure;
                }
                return kExitOk;
            }};
}

}  // namespace jenny::cli
