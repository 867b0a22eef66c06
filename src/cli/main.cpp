// The jenny binary: parses the command line, dispatches to one subcommand, maps outcomes to
// exit codes (0 ok, 1 the work failed, 2 usage or config error). Holds no logic of its own.
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cli/command.h"
#include "jenny/base/config_bind.h"
#include "jenny/base/system_report.h"
#include "jenny/kernels/blas_core.h"

namespace {

using jenny::cli::Command;

// The deepest subcommand the user named, for messages ("jenny info: ...").
CLI::App* deepest(CLI::App* app) {
    for (CLI::App* sub : app->get_subcommands()) return deepest(sub);
    return app;
}

std::string command_path(CLI::App* root, CLI::App* app) {
    std::string path;
    for (CLI::App* a = app; a != nullptr && a != root; a = a->get_parent()) {
        path = a->get_name() + (path.empty() ? "" : " " + path);
    }
    return path.empty() ? "jenny" : "jenny " + path;
}

int usage_error(CLI::App& root, const CLI::ParseError& e, int argc, char** argv) {
    CLI::App* where = deepest(&root);
    const std::string name = command_path(&root, where);
    const std::string help = name + " --help";
    if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
        std::vector<std::string> extras = where->remaining();
        std::string first = extras.empty() ? "" : extras.front();
        if (where == &root && !first.empty() && first[0] != '-') {
            std::vector<std::string> names;
            for (CLI::App* sub : root.get_subcommands({})) names.push_back(sub->get_name());
            std::string hint = jenny::base::config_detail::closest_key(first, names);
            std::string list;
            for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
            std::fprintf(
                stderr,
                "jenny: unknown command '%s'.%s Commands: %s. Run 'jenny --help' for details.\n",
                first.c_str(), hint.empty() ? "" : (" Did you mean 'jenny " + hint + "'?").c_str(),
                list.c_str());
            return jenny::cli::kExitUsage;
        }
        if (!first.empty() && first[0] == '-') {
            std::fprintf(stderr, "%s: unknown option '%s'. Run '%s' to see the options.\n",
                         name.c_str(), first.c_str(), help.c_str());
            return jenny::cli::kExitUsage;
        }
        std::fprintf(stderr, "%s: unexpected argument '%s'. Run '%s' to see the usage.\n",
                     name.c_str(), first.c_str(), help.c_str());
        return jenny::cli::kExitUsage;
    }
    (void)argc;
    (void)argv;
    std::fprintf(stderr, "%s: %s. Run '%s' to see the usage.\n", name.c_str(), e.what(),
                 help.c_str());
    return jenny::cli::kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
    // OpenBLAS chose SSE3 kernels on a CPU it does not recognise: run again with the ones the
    // CPU has (it reads OPENBLAS_CORETYPE only when it loads; see kernels/blas_core.h). If the
    // exec fails we go on with the slow kernels.
    if (const std::string core = jenny::kernels::blas_core_override(); !core.empty()) {
        ::setenv("OPENBLAS_CORETYPE", core.c_str(), 1);
        ::execv("/proc/self/exe", argv);
    }
    CLI::App root{
        "jenny: one binary for the large-model factory (data, tokenizers, training, "
        "evaluation, serving, labelling, platform)",
        "jenny"};
    root.set_version_flag("--version", jenny::base::version_text());
    root.require_subcommand(0, 1);
    root.allow_extras(false);

    std::vector<Command> commands;
    commands.push_back(jenny::cli::register_info(root));
    commands.push_back(jenny::cli::register_quickstart(root));
    commands.push_back(jenny::cli::register_tokenizer_train(root));
    commands.push_back(jenny::cli::register_tokenize(root));
    commands.push_back(jenny::cli::register_detokenize(root));
    commands.push_back(jenny::cli::register_tokenize_dataset(root));
    commands.push_back(jenny::cli::register_validate_sft(root));
    commands.push_back(jenny::cli::register_sft_dataset(root));
    commands.push_back(jenny::cli::register_chat_template(root));
    commands.push_back(jenny::cli::register_convert(root));
    commands.push_back(jenny::cli::register_quantize(root));
    commands.push_back(jenny::cli::register_generate(root));
    commands.push_back(jenny::cli::register_inspect(root));
    commands.push_back(jenny::cli::register_perplexity(root));
    commands.push_back(jenny::cli::register_bench(root));
    commands.push_back(jenny::cli::register_train(root));
    commands.push_back(jenny::cli::register_lora(root));
    commands.push_back(jenny::cli::register_data(root));

    try {
        root.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return root.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return root.exit(e);
    } catch (const CLI::CallForVersion& e) {
        std::fputs(jenny::base::version_text().c_str(), stdout);
        return jenny::cli::kExitOk;
    } catch (const CLI::ParseError& e) {
        return usage_error(root, e, argc, argv);
    }
    for (const Command& c : commands) {
        if (c.app->parsed()) return c.run();
    }
    std::fputs(root.help().c_str(), stderr);
    std::fputs("\njenny: name a command, e.g. 'jenny info'.\n", stderr);
    return jenny::cli::kExitUsage;
}
