// jenny data run PIPELINE.yaml: the corpus pipeline (src/data, docs/formats/pipeline.md).
#include <cstdio>
#include <sstream>

#include "cli/command.h"
#include "jenny/data/fasttext_classifier.h"
#include "jenny/data/pipeline.h"

namespace jenny::cli {

namespace {

// "3", "0,2,5" or "0-3" -> task numbers.
bool parse_task_list(const std::string& text, std::vector<int>* out) {
    std::stringstream ss(text);
    std::string part;
    while (std::getline(ss, part, ',')) {
        try {
            size_t used = 0;
            const size_t dash = part.find('-', 1);
            if (dash == std::string::npos) {
                const int v = std::stoi(part, &used);
                if (used != part.size() || v < 0) return false;
                out->push_back(v);
            } else {
                const int a = std::stoi(part.substr(0, dash), &used);
                if (used != dash) return false;
                const std::string rest = part.substr(dash + 1);
                const int b = std::stoi(rest, &used);
                if (used != rest.size() || a < 0 || b < a) return false;
                for (int v = a; v <= b; ++v) out->push_back(v);
            }
        } catch (const std::exception&) {
            return false;
        }
    }
    return !out->empty();
}

}  // namespace

Command register_data(CLI::App& root) {
    CLI::App* cmd = root.add_subcommand(
        "data", "The corpus pipeline: raw text -> filtered, deduplicated documents and tokens");
    cmd->require_subcommand(1);
    CLI::App* run =
        cmd->add_subcommand("run",
                            "Run a pipeline file (readers, filters, dedup, tokenize; see "
                            "docs/formats/pipeline.md)");
    struct Args {
        std::string pipeline, tasks;
        std::vector<std::string> sets;
        int workers = 0;
        bool overwrite = false, no_progress = false;
    };
    auto args = std::make_shared<Args>();
    run->add_option("pipeline", args->pipeline, "pipeline file (YAML or JSON)")
        ->required()
        ->type_name("PIPELINE");
    run->add_option("--set", args->sets, "override a key, e.g. --set tasks=8")
        ->type_name("KEY=VALUE");
    run->add_option("--task", args->tasks,
                    "the task(s) this process runs: 3, 0,2 or 0-3 (default: from "
                    "SLURM_ARRAY_TASK_ID / MPI rank, else all)")
        ->type_name("LIST");
    run->add_option("--workers", args->workers, "tasks run at once here (default: cores)")
        ->type_name("N");
    run->add_flag("--overwrite", args->overwrite,
                  "discard the state a different pipeline left in the output directory");
    run->add_flag("--no-progress", args->no_progress, "no progress bar");
    CLI::App* blocks = cmd->add_subcommand("blocks", "List the block kinds a pipeline can use");
    CLI::App* train = cmd->add_subcommand(
        "train-classifier",
        "Train a fastText quality classifier from positive and negative documents (for the "
        "fasttext_quality block)");
    auto tflags = std::make_shared<ConfigFlags>(train);
    tflags
        ->flag("--positive", "positive", "positive (high-quality) documents: JSONL or one per line")
        ->type_name("FILE");
    tflags->flag("--negative", "negative", "negative documents: JSONL or one per line")
        ->type_name("FILE");
    tflags->flag("--output", "output", "the model to write (.bin)")->type_name("FILE");
    tflags->flag("--epochs", "epochs", "passes over the data (default 5)")->type_name("N");
    tflags->flag("--threads", "threads", "training threads (1 = deterministic)")->type_name("N");
    return {cmd, [=]() {
                if (train->parsed()) {
                    auto o = tflags->resolve<data::QualityClassifierTrainOptions>();
                    if (!o.ok()) {
                        std::fprintf(stderr, "jenny data train-classifier: %s\n",
                                     o.status().message().c_str());
                        return kExitUsage;
                    }
                    print_config("data train-classifier", base::config_to_yaml(*o));
                    auto r = data::train_quality_classifier(*o, base::Env::Default());
                    if (!r.ok()) {
                        std::fprintf(stderr, "jenny data train-classifier: %s\n",
                                     r.status().to_string().c_str());
                        return r.status().code() == base::StatusCode::kInternal ? kExitFailure
                                                                                : kExitUsage;
                    }
                    std::printf(
                        "jenny data train-classifier: %llu positive, %llu negative "
                        "documents; %llu train / %llu validation examples; validation "
                        "accuracy %.4f -> %s\n",
                        static_cast<unsigned long long>(r->positives),
                        static_cast<unsigned long long>(r->negatives),
                        static_cast<unsigned long long>(r->train_examples),
                        static_cast<unsigned long long>(r->validation_examples),
                        r->validation_accuracy, o->output.c_str());
                    return kExitOk;
                }
                if (blocks->parsed()) {
                    for (const std::string& n : data::pipeline_block_names())
                        std::printf("%s\n", n.c_str());
                    return kExitOk;
                }
                auto node = base::load_config_file(args->pipeline);
                if (!node.ok()) {
                    std::fprintf(stderr, "jenny data run: %s\n", node.status().message().c_str());
                    return kExitUsage;
                }
                for (const std::string& s : args->sets) {
                    base::Status st = base::apply_override(*node, s);
                    if (!st.ok()) {
                        std::fprintf(stderr, "jenny data run: %s\n", st.message().c_str());
                        return kExitUsage;
                    }
                }
                auto spec = data::parse_pipeline(*node);
                if (!spec.ok()) {
                    std::fprintf(stderr, "jenny data run: %s\n", spec.status().message().c_str());
                    return kExitUsage;
                }
                data::PipelineRunOptions o;
                o.workers = args->workers;
                o.overwrite = args->overwrite;
                o.show_progress = !args->no_progress;
                std::string who;
                if (!args->tasks.empty()) {
                    if (!parse_task_list(args->tasks, &o.tasks)) {
                        std::fprintf(stderr,
                                     "jenny data run: --task %s: give task numbers like 3, 0,2 "
                                     "or 0-3\n",
                                     args->tasks.c_str());
                        return kExitUsage;
                    }
                    who = "tasks " + args->tasks + " (--task)";
                } else {
                    auto from_env = data::pipeline_tasks_from_env(spec->settings.tasks, &who);
                    if (!from_env.ok()) {
                        std::fprintf(stderr, "jenny data run: %s\n",
                                     from_env.status().message().c_str());
                        return kExitUsage;
                    }
                    if (*from_env) {
                        o.tasks = **from_env;
                        if (o.tasks.empty()) {
                            std::fprintf(stderr, "jenny data run: %s: nothing to do here\n",
                                         who.c_str());
                            return kExitOk;
                        }
                    }
                }
                print_config("data run", spec->resolved.to_yaml());
                std::fprintf(stderr, "jenny data run: %s\n", who.c_str());
                auto report = data::run_pipeline(*spec, o);
                if (!report.ok()) {
                    std::fprintf(stderr, "jenny data run: %s\n",
                                 report.status().to_string().c_str());
                    return report.status().code() == base::StatusCode::kInvalidArgument ||
                                   report.status().code() == base::StatusCode::kFailedPrecondition
                               ? kExitUsage
                               : kExitFailure;
                }
                std::fputs(data::format_pipeline_report(*report).c_str(), stdout);
                if (report->tasks_done == report->tasks_total)
                    std::printf("  report: %s/report.json\n", spec->settings.output.c_str());
                return kExitOk;
            }};
}

}  // namespace jenny::cli
