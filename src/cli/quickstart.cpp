// jenny quickstart: the newcomer's tour. It runs every stage of the chain this build has, on
// data the setup installs, and names the stages still to come, so its output grows as jenny
// does. Each stage is a library call; nothing here is specific to the tour but the order.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "cli/command.h"
#include "jenny/base/paths.h"
#include "jenny/base/system_report.h"
#include "jenny/checkpoint/gguf.h"
#include "jenny/data/tokenize_dataset.h"
#include "jenny/model/generate_command.h"
#include "jenny/tokenizer/bpe_trainer.h"
#include "jenny/tokenizer/chat_template.h"
#include "jenny/tokenizer/tokenizer.h"
#include "jenny/train/trainer.h"

namespace jenny::cli {
namespace {

constexpr const char* kQuickstartQuestion = "Name three colors.";

struct QuickstartConfig {
    std::string workdir = "quickstart-out";
    // English and Chinese text from Debian's fortunes and fortunes-zh (the UTF-8 .u8 files).
    std::string corpus = "/usr/share/games/fortunes";
    int64_t vocab_size = 8192;
    int64_t train_steps = 1500;      // at most this many optimiser steps (a probe sizes the run)
    double train_minutes = 6;        // stop earlier (with a checkpoint) after this long
    int threads = 0;
    template <class V>
    void visit(V& v) {
        v.field("workdir", workdir, "where the tour writes what it makes");
        v.field("corpus", corpus, "a fortunes folder (its *.u8 files) or text files");
        v.field("vocab_size", vocab_size, "vocabulary of the trained tokenizer");
        v.field("train_steps", train_steps, "optimiser steps of the tiny model");
        v.field("train_minutes", train_minutes, "stop pretraining after this long");
        v.field("threads", threads, "threads (0: all cores)");
    }
};

// The corpus files: a fortunes folder's UTF-8 (.u8) files, or the path itself.
std::vector<std::string> corpus_files(const std::string& corpus, base::Env* env) {
    auto names = env->list_dir(corpus);
    if (!names.ok()) return {corpus};
    std::vector<std::string> files;
    for (const std::string& n : *names)
        if (n.size() > 3 && n.ends_with(".u8")) files.push_back(corpus + "/" + n);
    if (files.empty()) files.push_back(corpus);
    return files;
}

int fail(const std::string& what, const base::Status& s) {
    std::fprintf(stderr, "jenny quickstart: %s: %s\n", what.c_str(), s.to_string().c_str());
    return kExitFailure;
}

std::string ids_text(const std::vector<tokenizer::TokenId>& ids, size_t max = 24) {
    std::string out;
    for (size_t i = 0; i < ids.size() && i < max; ++i)
        out += (i ? " " : "") + std::to_string(ids[i]);
    if (ids.size() > max) out += " ...";
    return out;
}

int run(const QuickstartConfig& config) {
    base::Env* env = base::Env::Default();
    std::printf("== 1. the machine\n%s", base::system_report({}, env).c_str());
    base::Status made = env->create_dirs(config.workdir);
    if (!made.ok()) return fail("creating " + config.workdir, made);

    const std::vector<std::string> files = corpus_files(config.corpus, env);
    std::printf("\n== 2. train a %lld-token byte-level BPE tokenizer on %s (%zu files, English "
                "and Chinese)\n",
                static_cast<long long>(config.vocab_size), config.corpus.c_str(), files.size());
    tokenizer::BpeTrainerConfig train;
    train.input = files;
    train.out = config.workdir + "/tokenizer";
    train.vocab_size = config.vocab_size;
    train.invalid_utf8 = "skip";
    train.progress = false;
    auto report = tokenizer::train_bpe(train, env);
    if (!report.ok()) return fail("training the tokenizer", report.status());
    std::printf("%lld bytes from %lld files -> %lld tokens (%lld merges) in %.1f s: %s\n",
                static_cast<long long>(report->input_bytes),
                static_cast<long long>(report->input_files),
                static_cast<long long>(report->vocab_size), static_cast<long long>(report->merges),
                report->total_seconds, report->tokenizer_json.c_str());
    auto trained = tokenizer::Tokenizer::load(train.out);
    if (!trained.ok()) return fail("loading the trained tokenizer", trained.status());
    const std::string sample = "The quick brown fox jumps over the lazy dog.";
    auto sample_ids = (*trained)->encode(sample);
    if (!sample_ids.ok()) return fail("encoding", sample_ids.status());
    std::printf("\"%s\" -> %zu tokens: %s\n", sample.c_str(), sample_ids->size(),
                ids_text(*sample_ids).c_str());

    std::printf("\n== 3. tokenize the corpus into training shards (one document per fortune)\n");
    data::TokenizeDatasetConfig shards;
    shards.tokenizer = train.out;
    shards.output = config.workdir + "/data/fortunes";
    shards.inputs = files;
    shards.separator = "%";
    shards.overwrite = true;
    shards.threads = config.threads;
    auto summary = data::run_tokenize_dataset(shards, env, true);
    if (!summary.ok()) return fail("tokenizing the corpus", summary.status());
    std::printf("%s", data::format_tokenize_dataset_summary(*summary).c_str());

    std::printf("\n== 4. pretrain a small LLaMA on it (2 cores: a few minutes; val loss should "
                "fall from ~ln(V))\n");
    train::TrainConfig tc;
    tc.model.tokenizer = train.out;
    tc.model.hidden_size = 192;
    tc.model.intermediate_size = 512;
    tc.model.num_hidden_layers = 4;
    tc.model.num_attention_heads = 4;
    tc.model.num_key_value_heads = 2;
    tc.model.max_position_embeddings = 256;
    tc.model.tie_word_embeddings = true;
    tc.data.train = {{shards.output, 1.0}};
    tc.data.val_fraction = 0.02;
    tc.batch.micro_batch = 8;
    tc.batch.seq_len = 128;
    tc.optim.lr_max = 3e-3;
    tc.optim.lr_min = 3e-4;
    tc.schedule.kind = "cosine";
    tc.schedule.warmup_steps = std::max<int64_t>(1, config.train_steps / 20);
    tc.schedule.total_steps = std::max<int64_t>(1, config.train_steps);
    tc.eval.every = std::max<int64_t>(1, config.train_steps / 8);
    tc.eval.batches = 8;
    tc.checkpoint.every_steps = std::max<int64_t>(1, config.train_steps / 4);
    tc.checkpoint.keep_last = 2;
    tc.threads = config.threads;
    tc.out_dir = config.workdir + "/run";
    tc.log_every = std::max<int64_t>(1, config.train_steps / 40);
    tc.max_minutes = config.train_minutes;
    // As many steps as fit in train_minutes on this machine (a probe micro-batch says how
    // fast it is), at most train_steps, so the schedule ends where the tour does.
    train::TrainOptions probe;
    probe.dry_run = true;
    probe.print = [](std::string_view) {};
    auto probed = train::run_training(tc, probe);
    if (!probed.ok()) return fail("sizing the pretraining run", probed.status());
    const double tokens_per_step = double(tc.batch.micro_batch) * tc.batch.seq_len;
    const int64_t fit = static_cast<int64_t>(0.85 * config.train_minutes * 60 *
                                             probed->probe_tokens_per_s / tokens_per_step);
    const int64_t steps = std::clamp<int64_t>(fit, 1, std::max<int64_t>(1, config.train_steps));
    tc.schedule.total_steps = steps;
    tc.schedule.warmup_steps = std::max<int64_t>(1, steps / 20);
    tc.eval.every = std::max<int64_t>(1, steps / 8);
    tc.checkpoint.every_steps = std::max<int64_t>(1, steps / 4);
    tc.log_every = std::max<int64_t>(1, steps / 40);
    std::printf("model L=4 C=192 H=4 Hkv=2 F=512 (tied), B=8 T=128, AdamW lr %.0e cosine; "
                "%.0f tokens/s here -> %lld steps (%.1f M tokens) in about %.1f minutes\n",
                tc.optim.lr_max, probed->probe_tokens_per_s, static_cast<long long>(steps),
                steps * tokens_per_step / 1e6,
                steps * tokens_per_step / std::max(1.0, probed->probe_tokens_per_s) / 60);
    std::fflush(stdout);
    train::TrainOptions topt;
    auto trained_run = train::run_training(tc, topt);
    if (!trained_run.ok()) return fail("pretraining", trained_run.status());
    if (trained_run->first_val_loss > 0 && trained_run->last_val_loss > 0)
        std::printf("val loss %.3f -> %.3f (perplexity %.0f -> %.0f)\n",
                    trained_run->first_val_loss, trained_run->last_val_loss,
                    std::exp(trained_run->first_val_loss), std::exp(trained_run->last_val_loss));
    std::string model_dir = trained_run->model_dir;
    if (model_dir.empty()) model_dir = trained_run->last_checkpoint;  // stopped by the time limit

    std::printf("\n== 5. generate from the model you just trained (temperature 0.8)\n");
    for (const char* start : {"The ", "A man ", "人生"}) {
        model::GenerateConfig g;
        g.model = model_dir;
        g.prompt = start;
        g.sampling.temperature = 0.8f;
        g.sampling.seed = 7;
        g.sampling.max_tokens = 40;
        g.stats = false;
        g.threads = config.threads;
        std::printf("> ");
        std::fflush(stdout);
        base::Status said = model::run_generate(g, stdout, stderr, env);
        if (!said.ok()) return fail("generating from " + model_dir, said);
        std::printf("\n");
    }

    std::printf("\n== 6. the real model's tokenizer and chat template (SmolLM2-135M-Instruct)\n");
    auto model = base::smollm2_gguf_path(env);
    if (!model.ok()) return fail("finding the model", model.status());
    auto tok = tokenizer::Tokenizer::load(*model);
    if (!tok.ok()) return fail("loading its tokenizer", tok.status());
    auto gguf = checkpoint::GgufFile::open(*model, env);
    if (!gguf.ok()) return fail("reading " + *model, gguf.status());
    auto source = (*gguf)->get_string("tokenizer.chat_template");
    if (!source.ok()) return fail("reading its chat template", source.status());
    auto tmpl = tokenizer::ChatTemplate::parse(*source);
    if (!tmpl.ok()) return fail("parsing its chat template", tmpl.status());
    nlohmann::ordered_json messages = nlohmann::ordered_json::parse(
        R"([{"role": "user", "content": "What is the capital of France?"}])");
    tokenizer::ChatRenderOptions options;
    options.add_generation_prompt = true;
    auto prompt = tmpl->render(messages, options);
    if (!prompt.ok()) return fail("rendering the chat template", prompt.status());
    tokenizer::EncodeOptions plain;
    plain.add_special = false;
    auto prompt_ids = (*tok)->encode(*prompt, plain);
    if (!prompt_ids.ok()) return fail("encoding the prompt", prompt_ids.status());
    std::printf("%s (%d tokens in its vocabulary)\nprompt:\n%s-> %zu tokens: %s\n", model->c_str(),
                (*tok)->vocab_size(), prompt->c_str(), prompt_ids->size(),
                ids_text(*prompt_ids, 40).c_str());

    std::printf("\n== 7. chat with SmolLM2-135M-Instruct (greedy, streamed)\nuser: %s\nassistant: ",
                kQuickstartQuestion);
    std::fflush(stdout);
    model::GenerateConfig chat;
    chat.model = *model;
    chat.prompt = kQuickstartQuestion;
    chat.chat = true;
    chat.sampling.temperature = 0;
    chat.sampling.max_tokens = 64;
    base::Status said = model::run_generate(chat, stdout, stdout, env);
    if (!said.ok()) return fail("generating", said);

    std::printf(
        "\n\n== 8. where everything is\n"
        "  tokenizer      %s/tokenizer.json\n"
        "  token shards   %s.{bin,idx,meta.json}  (docs/formats/tokens.md)\n"
        "  run            %s: metrics.jsonl, loss_curve.svg, checkpoints/\n"
        "  trained model  %s  (Hugging Face layout)\n"
        "next:\n"
        "  jenny generate -m %s --prompt \"The \" --temperature 0.8 --max-tokens 60\n"
        "  jenny train CONFIG.yaml            (docs/train.md; --resume continues a run)\n"
        "  jenny tokenize-dataset --tokenizer %s --output data/mine --separator %% FILES\n"
        "  jenny generate -m %s --chat --prompt \"Tell me a joke.\"\n",
        train.out.c_str(), shards.output.c_str(), tc.out_dir.c_str(), model_dir.c_str(),
        model_dir.c_str(), train.out.c_str(), model->c_str());
    return kExitOk;
}

}  // namespace

Command register_quickstart(CLI::App& root) {
    CLI::App* cmd = root.add_subcommand("quickstart", "Run the whole chain on a small example");
    auto flags = std::make_shared<ConfigFlags>(cmd);
    flags->flag("--workdir", "workdir", "output folder")->type_name("DIR");
    flags->flag("--corpus", "corpus", "text to train the tokenizer on")->type_name("PATH");
    flags->flag("--vocab-size", "vocab_size", "trained vocabulary size")->type_name("N");
    return {cmd, [flags]() {
                base::Result<QuickstartConfig> config = flags->resolve<QuickstartConfig>();
                if (!config.ok()) {
                    std::fprintf(stderr, "jenny quickstart: %s\n",
                                 config.status().message().c_str());
                    return kExitUsage;
                }
                print_config("quickstart", base::config_to_yaml(*config));
                return run(*config);
            }};
}

}  // namespace jenny::cli
