// jenny tokenize / jenny detokenize: text on stdin to ids on stdout, and back.
#include <cstdio>
#include <iostream>
#include <iterator>

#include "cli/command.h"
#include "jenny/tokenizer/tokenize_command.h"

namespace jenny::cli {
namespace {

std::string read_stdin() {
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

}  // namespace

Command register_tokenize(CLI::App& root) {
    CLI::App* cmd =
        root.add_subcommand("tokenize", "Text on stdin to token ids (or pieces, or a count)");
    auto flags = std::make_shared<ConfigFlags>(cmd);
    flags
        ->flag("--tokenizer", "tokenizer",
               "model dir, tokenizer.json, .model, .gguf or llama2.c .bin")
        ->type_name("PATH");
    flags->flag("--output", "output", "ids | pieces | count")->type_name("KIND");
    flags->flag("--input-format", "input_format", "text | jsonl ({\"text\": ...} per line)")
        ->type_name("FORMAT");
    flags->flag("--threads", "threads", "threads for jsonl input")->type_name("N");
    // Shorthands.
    struct Shorthands {
        bool ids = false, pieces = false, count = false, no_special = false, jsonl = false;
    };
    auto sh = std::make_shared<Shorthands>();
    cmd->add_flag("--ids", sh->ids, "print ids (default)");
    cmd->add_flag("--pieces", sh->pieces, "print the vocabulary pieces");
    cmd->add_flag("--count", sh->count, "print the number of tokens");
    cmd->add_flag("--no-special", sh->no_special,
                  "add no BOS/EOS; read special-token text as text");
    cmd->add_flag("--jsonl", sh->jsonl, "same as --input-format jsonl");
    return {cmd, [=]() {
                std::vector<std::string> extra;
                if (sh->pieces) extra.push_back("output=pieces");
                if (sh->count) extra.push_back("output=count");
                if (sh->ids) extra.push_back("output=ids");
                if (sh->jsonl) extra.push_back("input_format=jsonl");
                if (sh->no_special) {
                    extra.push_back("add_special=false");
                    extra.push_back("parse_special=false");
                }
                auto config = flags->resolve<tokenizer::TokenizeConfig>(extra);
                if (!config.ok()) {
                    std::fprintf(stderr, "jenny tokenize: %s\n", config.status().message().c_str());
                    return kExitUsage;
                }
                print_config("tokenize", base::config_to_yaml(*config));
                auto out = tokenizer::run_tokenize(*config, read_stdin());
                if (!out.ok()) {
                    std::fprintf(stderr, "jenny tokenize: %s\n", out.status().to_string().c_str());
                    return kExitFailure;
                }
                std::fwrite(out->data(), 1, out->size(), stdout);
                return kExitOk;
            }};
}

Command register_detokenize(CLI::App& root) {
    CLI::App* cmd = root.add_subcommand("detokenize", "Token ids on stdin back to text");
    auto flags = std::make_shared<ConfigFlags>(cmd);
    flags->flag("--tokenizer", "tokenizer", "tokenizer path")->type_name("PATH");
    flags->toggle("--skip-special", "skip_special", "drop control tokens");
    return {
        cmd, [flags]() {
            auto config = flags->resolve<tokenizer::DetokenizeConfig>();
            if (!config.ok()) {
                std::fprintf(stderr, "jenny detokenize: %s\n", config.status().message().c_str());
                return kExitUsage;
            }
            print_config("detokenize", base::config_to_yaml(*config));
            auto out = tokenizer::run_detokenize(*config, read_stdin());
            if (!out.ok()) {
                std::fprintf(stderr, "jenny detokenize: %s\n", out.status().to_string().c_str());
                return kExitFailure;
            }
            std::fwrite(out->data(), 1, out->size(), stdout);
            return kExitOk;
        }};
}

}  // namespace jenny::cli
