// SFT data: OpenAI fine-tuning JSONL -> chat-template rendering -> tokens with a loss mask on
// the assistant tokens -> a masked token dataset (token_dataset.h). The accepted JSONL and how
// masks are derived are in docs/formats/sft.md.
//
//   std::vector<SftIssue> issues;
//   std::optional<SftExample> ex = parse_sft_example(line, /*line_no=*/7, &issues);
//   JENNY_ASSIGN_OR_RETURN(auto m, tokenizer::load_chat_model("models/qwen2.5"));
//   JENNY_ASSIGN_OR_RETURN(SftTokens t, render_sft_example(*ex, *m.tokenizer, m.chat_template,
//   {}));
//   // t.tokens: the whole rendered conversation; t.mask[i] == 1 for assistant tokens
//
// What `jenny validate-sft` and `jenny sft-dataset` do is validate_sft_file / run_sft_dataset.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "jenny/base/env.h"
#include "jenny/base/result.h"
#include "jenny/data/token_dataset.h"
#include "jenny/tokenizer/chat_template.h"
#include "jenny/tokenizer/tokenizer.h"

namespace jenny::data {

// ---- one example ----

// A parsed line: a conversation the chat template can render.
struct SftExample {
    // The messages as given, minus each message's `weight` key (null-valued keys are kept:
    // the template drops them). Roles are system, developer, user, assistant, tool, function.
    // A prompt/completion line becomes [{user: prompt}, {assistant: completion}].
    nlohmann::ordered_json messages = nlohmann::ordered_json::array();
    // Per message: 1 for an assistant message to train on, 0 for every other message and for
    // assistant messages with "weight": 0.
    std::vector<uint8_t> train;
    nlohmann::ordered_json tools;  // the line's `tools` array; null when absent
    bool prompt_completion = false;
};

enum class SftSeverity { kError, kWarning };

enum class SftIssueKind {
    kBadJson,              // not JSON, or not an object
    kBadFormat,            // neither "messages" nor "prompt" + "completion"; wrong field types
    kMissingRole,          // a message without a string "role"
    kUnknownRole,          // a role outside system, developer, user, assistant, tool, function
    kEmptyContent,         // content missing, not a string, empty or only whitespace
    kNoAssistant,          // no assistant message
    kBadWeight,            // weight not 0/1, or on a message that is not the assistant's
    kNoTrainedTokens,      // every assistant message has weight 0 (or --last-turn-only's has)
    kBadTools,             // tools is not an array of objects
    kTemplateError,        // the chat template refused the conversation (raise_exception, ...)
    kTemplateUnsupported,  // the template's rendering is not incremental for this example
    kTooLong,              // more tokens than the limit
    kDuplicate,            // warning: the same example as an earlier line
    kEmptyFile,            // no examples at all
};

// "bad_json", "bad_format", "missing_role", "unknown_role", "empty_content", "no_assistant",
// "bad_weight", "no_trained_tokens", "bad_tools", "template_error", "template_unsupported",
// "too_long", "duplicate", "empty_file".
std::string_view sft_issue_kind_name(SftIssueKind kind);

struct SftIssue {
    int64_t line = 0;  // 1-based line of the file; 0 for the file as a whole
    SftIssueKind kind = SftIssueKind::kBadJson;
    SftSeverity severity = SftSeverity::kError;
    std::string message;  // e.g. "message 3: role \"bot\" is not one of system, user, ..."
};

// Parses and checks one JSONL line (without its newline). Appends every problem found to
// *issues, each tagged with `line_no`. Returns the example when the line has no error,
// else nullopt. `last_turn_only`: only the last assistant message is trained (its weight
// still applies), which changes what kNoTrainedTokens means. Thread-safe.
std::optional<SftExample> parse_sft_example(std::string_view line, int64_t line_no,
                                            std::vector<SftIssue>* issues,
                                            bool last_turn_only = false);

struct SftRenderOptions {
    bool last_turn_only = false;  // only the last assistant message gets mask 1
    // More template variables (ChatRenderOptions::extra), e.g. {"enable_thinking": false}.
    nlohmann::ordered_json extra = nlohmann::ordered_json::object();
};

struct SftTokens {
    std::vector<tokenizer::TokenId> tokens;  // the rendered conversation (no BOS added: the
                                             // template writes its own)
    std::vector<uint8_t> mask;               // same length; 1 = an assistant (trained) token
    // The token ranges [begin, end) with mask 1, one per trained assistant message, in order.
    std::vector<std::pair<int64_t, int64_t>> spans;
    int64_t n_trained() const;
};

// Renders the conversation with the template (add_generation_prompt false, the example's
// tools) and tokenises it (special-token text parsed, nothing added). The mask is found
// incrementally: for each trained assistant message i, the tokens of
// render(messages[0, i), add_generation_prompt=true) must be a prefix of those of
// render(messages[0, i]), which must agree with the whole conversation's tokens; the tokens
// in between are message i's, and they get mask 1 up to and including the template's
// end-of-turn token (the last special token of the turn, e.g. <|im_end|>), so the model
// learns to stop; whitespace the template writes after it ("\n") gets mask 0.
// Errors: kInvalidArgument with the template's message when it refuses the conversation;
// kUnsupported, naming the message, when the renderings are not prefixes of each other
// (e.g. a template that rewrites earlier turns) or a conversation starts with an assistant
// message. Thread-safe when the tokenizer and template are (they are).
base::Result<SftTokens> render_sft_example(const SftExample& example,
                                           const tokenizer::Tokenizer& tokenizer,
                                           const tokenizer::ChatTemplate& chat_template,
                                           const SftRenderOptions& options = {});

// ---- a whole file ----

struct SftValidateConfig {
    std::string input;       // the JSONL file (.gz / .zst decompressed)
    std::string model;       // model directory, tokenizer_config.json or .gguf
    int64_t max_tokens = 0;  // longest example allowed; 0: the model's context, else 2048
    double epochs = 1;       // for the estimate of tokens seen in training
    bool last_turn_only = false;
    template <class V>
    void visit(V& v) {
        v.required("input", input, "SFT JSONL file");
        v.required("model", model, "model directory, tokenizer_config.json or .gguf");
        v.field("max_tokens", max_tokens, "longest example in tokens (0: model context or 2048)");
        v.field("epochs", epochs, "epochs, for the token estimate");
        v.field("last_turn_only", last_turn_only, "train only the last assistant message");
    }
};

struct SftStats {
    int64_t n_lines = 0;     // non-blank lines
    int64_t n_examples = 0;  // lines without errors
    int64_t n_errors = 0, n_warnings = 0;
    int64_t n_duplicates = 0;
    int64_t total_tokens = 0;    // over the examples without errors
    int64_t trained_tokens = 0;  // tokens with mask 1
    int64_t min_tokens = 0, max_tokens = 0;
    double mean_tokens = 0;
};

struct SftReport {
    std::string input;
    int64_t max_tokens = 0;  // the limit applied
    double epochs = 1;
    std::vector<SftIssue> issues;  // in line order
    SftStats stats;
    bool ok() const { return stats.n_errors == 0; }
};

// Reads every line of config.input, parses, renders and tokenises it, and reports every
// problem with its line number (blank lines are skipped). Returns the report whether or not
// the file has errors; a non-ok Result only when the file or the model cannot be read
// (kNotFound, kIoError, the model's load errors) or config is invalid (kInvalidArgument).
base::Result<SftReport> validate_sft_file(const SftValidateConfig& config,
                                          base::Env* env = base::Env::Default());

// The report as `jenny validate-sft` prints it: one "FILE:LINE: error [kind]: message" line
// per issue, then the counts, the token statistics and the estimate tokens x epochs.
std::string format_sft_report(const SftReport& report);
// The same as a JSON object (docs/formats/sft.md).
std::string sft_report_json(const SftReport& report);

struct SftDatasetConfig {
    std::string input;
    std::string model;
    std::string output;  // dataset prefix
    int64_t max_tokens = 0;
    bool last_turn_only = false;
    bool overwrite = false;
    // > 0: example-aware packing for training windows of this many tokens (seq_len T): every
    // example lies inside one window, never across two (see pack_sft_examples); max_tokens is
    // then at most T. 0: one document per example in file order, nothing added.
    int64_t pack_window = 0;
    template <class V>
    void visit(V& v) {
        v.required("input", input, "SFT JSONL file");
        v.required("model", model, "model directory, tokenizer_config.json or .gguf");
        v.required("output", output, "output dataset prefix");
        v.field("max_tokens", max_tokens, "longest example in tokens (0: model context or 2048)");
        v.field("last_turn_only", last_turn_only, "train only the last assistant message");
        v.field("overwrite", overwrite, "replace an existing dataset at the output prefix");
        v.field("pack_window", pack_window,
                "pack examples into windows of this many tokens, none across two (0: off)");
    }
};

struct SftDatasetSummary {
    SftReport report;
    bool written = false;  // false when the report has errors: nothing is left at `output`
    TokenDatasetMeta meta;
    std::vector<std::string> outputs;  // the files written, meta last
    int64_t n_windows = 0;   // pack_window > 0: windows written (TokenWindows::count)
    int64_t pad_tokens = 0;  // pack_window > 0: padding tokens (mask 0) filling the windows
};

// Example-aware packing. Examples of lengths[i] tokens (each in [1, window]) go into bins of
// `window` tokens by best fit decreasing (longest first; each into the fullest bin it fits,
// ties to the earlier bin); each bin lists its examples in file order, and the bins are
// ordered by their first example, so the last bins (the val split) hold the file's last
// lines. Deterministic. Laid out as a token dataset, bin w is window w: its examples are
// documents starting at token w·window, the rest of the window is one padding document
// (mask 0), and one more padding token ends the stream so the last window has its target.
std::vector<std::vector<int64_t>> pack_sft_examples(const std::vector<int64_t>& lengths,
                                                    int64_t window);

// Validates and writes in one pass: every example without errors becomes one document of a
// masked token dataset (tokens + mask, TokenDatasetWriter with_mask) whose tokenizer hash is
// the model's. When any line has an error, the partial files are removed and the summary says
// written = false (its report says why). Errors: validate_sft_file's; kAlreadyExists when a
// dataset is at `output` and overwrite is false; the writer's I/O errors.
base::Result<SftDatasetSummary> run_sft_dataset(const SftDatasetConfig& config,
                                                base::Env* env = base::Env::Default());

}  // namespace jenny::data
