// jenny lora merge BASE ADAPTER OUT / jenny lora logits: LoRA adapters (PEFT layout) outside
// training. `jenny generate --lora DIR` applies one at run time.
#include <cstdio>
#include <sstream>

#include "cli/command.h"
#include "jenny/model/lora_command.h"

namespace jenny::cli {

namespace {

int finish(const char* name, const base::Status& s) {
    if (s.ok()) return kExitOk;
    std::fprintf(stderr, "jenny lora %s: %s\n", name, s.to_string().c_str());
    return s.code() == base::StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
}

}  // namespace

Command register_lora(CLI::App& root) {
    CLI::App* cmd = root.add_subcommand("lora", "LoRA adapters: merge into a model, logits");
    cmd->require_subcommand(1);
    CLI::App* merge = cmd->add_subcommand(
        "merge", "Merge an adapter into its base: W' = W + (alpha/r) B A, written as an HF dir");
    auto base = std::make_shared<std::string>(), adapter = std::make_shared<std::string>(),
         out = std::make_shared<std::string>(), dtype = std::make_shared<std::string>("f32");
    merge->add_option("BASE", *base, "base model: HF directory, .gguf or llama2.c .bin")
        ->required();
    merge
        ->add_option("ADAPTER", *adapter,
                     "adapter directory (adapter_config.json + "
                     "adapter_model.safetensors)")
        ->required();
    merge->add_option("OUT", *out, "HF directory to write")->required();
    merge->add_option("--dtype", *dtype, "f32 | f16 | bf16 (default f32)");
    CLI::App* logits = cmd->add_subcommand(
        "logits", "Every position's logits of a token list as raw f32 (n, V), base + adapter");
    auto lmodel = std::make_shared<std::string>(), llora = std::make_shared<std::string>(),
         tokens = std::make_shared<std::string>(), output = std::make_shared<std::string>();
    auto threads = std::make_shared<int>(0);
    logits->add_option("--model,-m", *lmodel, "base model")->required();
    logits->add_option("--lora", *llora, "adapter directory (none: the base alone)");
    logits->add_option("--tokens", *tokens, "token ids, separated by spaces or commas")->required();
    logits->add_option("--output,-o", *output, "file to write (n x V little-endian f32)")
        ->required();
    logits->add_option("--threads,-t", *threads, "threads (0: all cores)");
    return {cmd, [=]() {
                if (merge->parsed())
                    return finish("merge",
                                  model::run_lora_merge(*base, *adapter, *out, *dtype, stderr));
                std::string text = *tokens;
                for (char& c : text)
                    if (c == ',') c = ' ';
                std::istringstream in(text);
                std::vector<int32_t> ids;
                std::string word;
                while (in >> word) {
                    try {
                        size_t used = 0;
                        const long v = std::stol(word, &used);
                        if (used != word.size() || v < 0) throw std::invalid_argument(word);
                        ids.push_back(static_cast<int32_t>(v));
                    } catch (const std::exception&) {
                        std::fprintf(stderr,
                                     "jenny lora logits: --tokens: '%s' is not a token "
                                     "id\n",
                                     word.c_str());
                        return kExitUsage;
                    }
                }
                return finish("logits",
                              model::run_lora_logits(*lmodel, *llora, ids, *output, *threads));
            }};
}

}  // namespace jenny::cli
