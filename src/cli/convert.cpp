// jenny convert / jenny quantize: write a model as an HF directory or a GGUF file.
#include <cstdio>

#include "cli/command.h"
#include "jenny/model/convert_command.h"

namespace jenny::cli {

namespace {

int run(const char* name, const base::Result<model::ConvertConfig>& config) {
    if (!config.ok()) {
        std::fprintf(stderr, "jenny %s: %s\n", name, config.status().message().c_str());
        return kExitUsage;
    }
    print_config(name, base::config_to_yaml(*config));
    base::Status s = model::run_convert(*config, stdout, stderr);
    if (!s.ok()) {
        std::fprintf(stderr, "jenny %s: %s\n", name, s.to_string().c_str());
        return s.code() == base::StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
    }
    return kExitOk;
}

}  // namespace

Command register_convert(CLI::App& root) {
    CLI::App* cmd = root.add_subcommand(
        "convert", "Convert a model (HF directory, GGUF, llama2.c) to an HF directory or GGUF");
    auto flags = std::make_shared<ConfigFlags>(cmd);
    auto in = std::make_shared<std::string>(), out = std::make_shared<std::string>();
    cmd->add_option("IN", *in, "model to read: HF directory, .gguf or llama2.c .bin");
    cmd->add_option("OUT", *out, "directory (--to hf) or .gguf file (--to gguf) to write");
    flags->flag("--to", "to", "hf | gguf")->type_name("FORMAT");
    flags->flag("--dtype", "dtype", "auto | f32 | f16 | bf16 | q8_0 | q4_0")->type_name("TYPE");
    flags->flag("--tokenizer", "tokenizer", "tokenizer override")->type_name("PATH");
    flags->flag("--threads,-t", "threads", "threads (0: all cores)")->type_name("N");
    return {cmd, [=]() {
                std::vector<std::string> extra;
                if (!in->empty()) extra.push_back("input=" + *in);
                if (!out->empty()) extra.push_back("output=" + *out);
                return run("convert", flags->resolve<model::ConvertConfig>(extra));
            }};
}

Command register_quantize(CLI::App& root) {
    CLI::App* cmd =
        root.add_subcommand("quantize", "Write a model as a GGUF file with quantised weights");
    auto flags = std::make_shared<ConfigFlags>(cmd);
    auto in = std::make_shared<std::string>(), out = std::make_shared<std::string>();
    cmd->add_option("IN", *in, "model to read: HF directory, .gguf or llama2.c .bin");
    cmd->add_option("OUT", *out, ".gguf file to write");
    flags->flag("--type", "dtype", "q8_0 | q4_0 (or f32 | f16 | bf16)")->type_name("TYPE");
    flags->flag("--threads,-t", "threads", "threads (0: all cores)")->type_name("N");
    return {cmd, [=]() {
                std::vector<std::string> extra = {"to=gguf"};
                if (!in->empty()) extra.push_back("input=" + *in);
                if (!out->empty()) extra.push_back("output=" + *out);
                return run("quantize", flags->resolve<model::ConvertConfig>(extra));
            }};
}

}  // namespace jenny::cli
