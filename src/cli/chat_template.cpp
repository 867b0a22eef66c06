// jenny chat-template render: a model's chat template over a conversation, as transformers'
// apply_chat_template renders it.
#include <cstdio>
#include <iostream>
#include <iterator>

#include "cli/command.h"
#include "jenny/tokenizer/chat_template_command.h"

namespace jenny::cli {

Command register_chat_template(CLI::App& root) {
    CLI::App* group = root.add_subcommand("chat-template", "Chat templates of models");
    group->require_subcommand(1);
    CLI::App* cmd =
        group->add_subcommand("render", "Render a conversation with a model's chat template");
    auto flags = std::make_shared<ConfigFlags>(cmd);
    flags->flag("--model", "model", "model directory or tokenizer_config.json")->type_name("PATH");
    flags->flag("--messages", "messages", "messages JSON file (- for stdin)")->type_name("FILE");
    flags->toggle("--add-generation-prompt", "add_generation_prompt",
                  "end with the assistant header");
    flags->flag("--template-name", "template_name", "which named template")->type_name("NAME");
    flags->toggle("--tokenize", "tokenize", "print token ids of the rendered prompt");
    return {cmd, [flags]() {
                auto config = flags->resolve<tokenizer::ChatTemplateRenderConfig>();
                if (!config.ok()) {
                    std::fprintf(stderr, "jenny chat-template render: %s\n",
                                 config.status().message().c_str());
                    return kExitUsage;
                }
                print_config("chat-template render", base::config_to_yaml(*config));
                std::string input;
                if (config->messages == "-") {
                    input.assign(std::istreambuf_iterator<char>(std::cin), {});
                }
                auto out = tokenizer::run_chat_template_render(*config, input);
                if (!out.ok()) {
                    std::fprintf(stderr, "jenny chat-template render: %s\n",
                                 out.status().to_string().c_str());
                    return kExitFailure;
                }
                std::fwrite(out->data(), 1, out->size(), stdout);
                return kExitOk;
            }};
}

}  // namespace jenny::cli
