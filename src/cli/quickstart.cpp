// jenny quickstart: the newcomer's tour. It runs every stage of the chain this build has, on
// data the setup installs, and names the stages still to come, so its output grows as jenny
// does. Each stage is a library call; nothing here is specific to the tour but the order.
#include <cstdio>

#include "cli/command.h"
#include "jenny/base/paths.h"
#include "jenny/base/system_report.h"
#include "jenny/checkpoint/gguf.h"
#include "jenny/model/generate_command.h"
#include "jenny/tokenizer/bpe_trainer.h"
#include "jenny/tokenizer/chat_template.h"
#include "jenny/tokenizer/tokenizer.h"

namespace jenny::cli {
namespace {

constexpr const char* kQuickstartQuestion = "Name three colors.";

struct QuickstartConfig {
    std::string workdir = "quickstart-out";
    std::string corpus = "/usr/share/games/fortunes";  // English text from Debian's fortunes
    int64_t vocab_size = 4096;
    template <class V>
    void visit(V& v) {
        v.field("workdir", workdir, "where the tour writes what it makes");
        v.field("corpus", corpus, "text files or folders to train the tokenizer on");
        v.field("vocab_size", vocab_size, "vocabulary of the trained tokenizer");
    }
};

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

    std::printf("\n== 2. train a byte-level BPE tokenizer on %s\n", config.corpus.c_str());
    tokenizer::BpeTrainerConfig train;
    train.input = {config.corpus};
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

    std::printf("\n== 3. the real model's tokenizer and chat template (SmolLM2-135M-Instruct)\n");
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

    std::printf("\n== 4. chat with SmolLM2-135M-Instruct (greedy, streamed)\nuser: %s\nassistant: ",
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
        "\n== 5. still to come in this build: clean a corpus into shards, pretrain a tiny model, "
        "evaluate it, serve it\n");
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
