// A whole SFT file: validate_sft_file (the report of `jenny validate-sft`) and run_sft_dataset
// (`jenny sft-dataset`), which share one pass over the lines.
#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <unordered_map>

#include "data/input_files.h"
#include "data/token_dataset_format.h"
#include "jenny/data/sft_dataset.h"
#include "jenny/tokenizer/chat_model.h"
#include "jenny/tokenizer/fingerprint.h"

namespace jenny::data {
namespace {

using json = nlohmann::ordered_json;
using base::Status;

constexpr int64_t kDefaultMaxTokens = 2048;

struct ScanOptions {
    std::string input;
    int64_t max_tokens = 0;  // resolved, > 0
    double epochs = 1;
    bool last_turn_only = false;
    std::string limit_name = "--max-tokens";  // what sets max_tokens, for the too_long message
};

// Called with each example that has no error while the file has none so far.
using ExampleSink = std::function<Status(const SftTokens&)>;

std::string thousands(int64_t v) {
    std::string digits = std::to_string(v < 0 ? -v : v), out;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return v < 0 ? "-" + out : out;
}

base::Result<SftReport> scan(const ScanOptions& options, const tokenizer::ChatModel& model,
                             base::Env* env, const ExampleSink& sink) {
    JENNY_ASSIGN_OR_RETURN(std::vector<InputFile> files, list_input_files({options.input}, env));
    if (files.size() != 1) {
        return Status::invalid_argument(
            fmt::format("{}: give one JSONL file, not a directory", options.input));
    }
    JENNY_ASSIGN_OR_RETURN(std::unique_ptr<InputBytes> bytes, InputBytes::open(files[0], env));

    SftReport report;
    report.input = options.input;
    report.max_tokens = options.max_tokens;
    report.epochs = options.epochs;
    SftStats& st = report.stats;
    SftRenderOptions ro;
    ro.last_turn_only = options.last_turn_only;
    std::unordered_map<std::string, int64_t> first_line;  // example checksum -> line
    int64_t n_rendered = 0;

    std::string_view data = bytes->data();
    int64_t line_no = 0;
    size_t pos = 0;
    while (pos < data.size()) {
        size_t nl = data.find('\n', pos);
        if (nl == std::string_view::npos) nl = data.size();
        std::string_view line = data.substr(pos, nl - pos);
        pos = nl + 1;
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
        ++st.n_lines;

        const size_t first_issue = report.issues.size();
        std::optional<SftExample> ex =
            parse_sft_example(line, line_no, &report.issues, options.last_turn_only);
        auto add = [&](SftIssueKind kind, SftSeverity severity, std::string message) {
            report.issues.push_back({line_no, kind, severity, std::move(message)});
        };
        std::optional<SftTokens> tokens;
        if (ex) {
            std::string key = ex->messages.dump() + '\x1f' + ex->tools.dump() + '\x1f' +
                              std::string(ex->train.begin(), ex->train.end());
            auto [it, inserted] = first_line.emplace(format::checksum(key), line_no);
            if (!inserted) {
                add(SftIssueKind::kDuplicate, SftSeverity::kWarning,
                    fmt::format("the same example as line {}", it->second));
                ++st.n_duplicates;
            }
            auto r = render_sft_example(*ex, *model.tokenizer, model.chat_template, ro);
            if (!r.ok()) {
                add(r.status().code() == base::StatusCode::kUnsupported
                        ? SftIssueKind::kTemplateUnsupported
                        : SftIssueKind::kTemplateError,
                    SftSeverity::kError, r.status().message());
            } else {
                tokens = std::move(r).value();
                const int64_t n = static_cast<int64_t>(tokens->tokens.size());
                st.min_tokens = n_rendered == 0 ? n : std::min(st.min_tokens, n);
                st.max_tokens = std::max(st.max_tokens, n);
                st.total_tokens += n;
                st.trained_tokens += tokens->n_trained();
                ++n_rendered;
                if (n > options.max_tokens) {
                    add(SftIssueKind::kTooLong, SftSeverity::kError,
                        fmt::format("{} tokens, more than the limit of {} ({}); "
                                    "shorten or split the conversation",
                                    thousands(n), thousands(options.max_tokens),
                                    options.limit_name));
                }
            }
        }
        bool line_has_error = false;
        for (size_t k = first_issue; k < report.issues.size(); ++k) {
            if (report.issues[k].severity == SftSeverity::kError) {
                line_has_error = true;
                ++st.n_errors;
            } else {
                ++st.n_warnings;
            }
        }
        if (line_has_error) continue;
        ++st.n_examples;
        if (sink && st.n_errors == 0) {
            JENNY_RETURN_IF_ERROR(sink(*tokens));
        }
    }
    if (st.n_lines == 0) {
        report.issues.push_back({0, SftIssueKind::kEmptyFile, SftSeverity::kError,
                                 "the file has no examples (one JSON object per line)"});
        ++st.n_errors;
    }
    st.mean_tokens = n_rendered ? static_cast<double>(st.total_tokens) / n_rendered : 0;
    return report;
}

int64_t resolve_max_tokens(int64_t configured, const tokenizer::ChatModel& model) {
    if (configured > 0) return configured;
    return model.context_length.value_or(kDefaultMaxTokens);
}

base::Result<tokenizer::ChatModel> load_model(const std::string& path, base::Env* env) {
    auto m = tokenizer::load_chat_model(path, env);
    if (!m.ok()) return m.status().with_context("--model");
    return std::move(m).value();
}

}  // namespace

base::Result<SftReport> validate_sft_file(const SftValidateConfig& config, base::Env* env) {
    if (config.max_tokens < 0) return Status::invalid_argument("max_tokens must be >= 0");
    if (!(config.epochs > 0)) return Status::invalid_argument("epochs must be > 0");
    JENNY_ASSIGN_OR_RETURN(tokenizer::ChatModel model, load_model(config.model, env));
    ScanOptions so{config.input, resolve_max_tokens(config.max_tokens, model), config.epochs,
                   config.last_turn_only};
    return scan(so, model, env, nullptr);
}

std::string format_sft_report(const SftReport& r) {
    std::string out;
    for (const SftIssue& i : r.issues) {
        out += fmt::format("{}:{}: {} [{}]: {}\n", r.input, i.line,
                           i.severity == SftSeverity::kError ? "error" : "warning",
                           sft_issue_kind_name(i.kind), i.message);
    }
    const SftStats& s = r.stats;
    auto count = [](int64_t n, const char* noun) {
        return fmt::format("{} {}{}", thousands(n), noun, n == 1 ? "" : "s");
    };
    out += fmt::format(
        "{}: {}, {} without errors, {}, {}{}\n", r.input, count(s.n_lines, "line"),
        count(s.n_examples, "example"), count(s.n_errors, "error"), count(s.n_warnings, "warning"),
        s.n_duplicates ? fmt::format(" ({})", count(s.n_duplicates, "duplicate")) : "");
    out += fmt::format(
        "tokens: {} total, {} assistant (trained); per example min {}, mean {:.1f}, max {} "
        "(limit {})\n",
        thousands(s.total_tokens), thousands(s.trained_tokens), thousands(s.min_tokens),
        s.mean_tokens, thousands(s.max_tokens), thousands(r.max_tokens));
    out += fmt::format("estimate: {} tokens x {:g} epoch(s) = {} tokens processed, {} trained\n",
                       thousands(s.total_tokens), r.epochs,
                       thousands(static_cast<int64_t>(s.total_tokens * r.epochs + 0.5)),
                       thousands(static_cast<int64_t>(s.trained_tokens * r.epochs + 0.5)));
    out += r.ok() ? "ok: the file is ready for training\n"
                  : "not ok: fix the errors above; training refuses this file\n";
    return out;
}

std::string sft_report_json(const SftReport& r) {
    nlohmann::ordered_json j;
    j["file"] = r.input;
    j["ok"] = r.ok();
    const SftStats& s = r.stats;
    j["lines"] = s.n_lines;
    j["examples"] = s.n_examples;
    j["errors"] = s.n_errors;
    j["warnings"] = s.n_warnings;
    j["duplicates"] = s.n_duplicates;
    j["tokens"] = {{"total", s.total_tokens}, {"trained", s.trained_tokens},
                   {"min", s.min_tokens},     {"mean", s.mean_tokens},
                   {"max", s.max_tokens},     {"limit", r.max_tokens}};
    j["epochs"] = r.epochs;
    j["estimated_tokens"] = static_cast<int64_t>(s.total_tokens * r.epochs + 0.5);
    j["estimated_trained_tokens"] = static_cast<int64_t>(s.trained_tokens * r.epochs + 0.5);
    nlohmann::ordered_json issues = nlohmann::ordered_json::array();
    for (const SftIssue& i : r.issues) {
        issues.push_back({{"line", i.line},
                          {"severity", i.severity == SftSeverity::kError ? "error" : "warning"},
                          {"kind", sft_issue_kind_name(i.kind)},
                          {"message", i.message}});
    }
    j["issues"] = std::move(issues);
    return j.dump(2) + "\n";
}

base::Result<SftDatasetSummary> run_sft_dataset(const SftDatasetConfig& config, base::Env* env) {
    if (config.max_tokens < 0) return Status::invalid_argument("max_tokens must be >= 0");
    if (config.output.empty()) return Status::invalid_argument("output: give a dataset prefix");
    JENNY_ASSIGN_OR_RETURN(tokenizer::ChatModel model, load_model(config.model, env));
    if (!env->file_exists(config.input)) {
        return Status::not_found(config.input + ": no such file");
    }
    if (env->file_exists(token_dataset_meta_path(config.output))) {
        if (!config.overwrite) {
            return Status::already_exists(fmt::format(
                "a dataset exists at {}: pass --overwrite to replace it", config.output));
        }
        JENNY_RETURN_IF_ERROR(remove_token_dataset(config.output, env));
    }
    JENNY_ASSIGN_OR_RETURN(
        std::unique_ptr<TokenDatasetWriter> writer,
        TokenDatasetWriter::create(config.output, model.tokenizer->vocab_size(),
                                   tokenizer::tokenizer_fingerprint(*model.tokenizer),
                                   /*with_mask=*/true, env));
    if (config.pack_window < 0) return Status::invalid_argument("pack_window must be >= 0");
    ScanOptions so{config.input, resolve_max_tokens(config.max_tokens, model), 1.0,
                   config.last_turn_only};
    if (config.pack_window > 0 && config.pack_window < so.max_tokens) {
        so.max_tokens = config.pack_window;
        so.limit_name = "the training window, batch.seq_len";
    }
    // Packing needs every example's length first: they are kept until the file is read.
    std::vector<SftTokens> kept;
    auto report = scan(so, model, env, [&](const SftTokens& t) {
        if (config.pack_window > 0) {
            kept.push_back(t);
            return Status();
        }
        return writer->add_document(t.tokens, t.mask);
    });
    int64_t n_windows = 0, pad_tokens = 0;
    if (report.ok() && report->ok() && config.pack_window > 0) {
        std::vector<int64_t> lengths;
        for (const SftTokens& t : kept) lengths.push_back(static_cast<int64_t>(t.tokens.size()));
        const auto& sp = model.tokenizer->special();
        const int32_t pad = sp.pad ? *sp.pad : (sp.eos ? *sp.eos : 0);
        Status written;
        auto put = [&](std::span<const int32_t> tokens, std::span<const uint8_t> mask) {
            if (written.ok()) written = writer->add_document(tokens, mask);
        };
        for (const std::vector<int64_t>& bin : pack_sft_examples(lengths, config.pack_window)) {
            int64_t used = 0;
            for (int64_t i : bin) {
                put(kept[i].tokens, kept[i].mask);
                used += lengths[i];
            }
            if (used < config.pack_window) {
                const std::vector<int32_t> fill(config.pack_window - used, pad);
                const std::vector<uint8_t> zeros(fill.size(), 0);
                put(fill, zeros);
                pad_tokens += static_cast<int64_t>(fill.size());
            }
            ++n_windows;
        }
        // The last window's last target.
        const int32_t one[1] = {pad};
        const uint8_t zero[1] = {0};
        put(one, zero);
        ++pad_tokens;
        if (!written.ok()) {
            writer.reset();
            (void)remove_token_dataset(config.output, env);
            return written;
        }
    }
    SftDatasetSummary summary;
    if (!report.ok() || !report->ok()) {
        writer.reset();
        Status removed = remove_token_dataset(config.output, env);
        if (!report.ok()) return report.status();
        JENNY_RETURN_IF_ERROR(removed);
        summary.report = std::move(report).value();
        return summary;
    }
    summary.report = std::move(report).value();
    Status finished = writer->finish();
    if (!finished.ok()) {
        (void)remove_token_dataset(config.output, env);
        return finished;
    }
    JENNY_ASSIGN_OR_RETURN(auto ds, TokenDataset::open(config.output, env));
    summary.meta = ds->meta();
    summary.written = true;
    summary.n_windows = n_windows;
    summary.pad_tokens = pad_tokens;
    summary.outputs = {token_dataset_bin_path(config.output), token_dataset_idx_path(config.output),
                       token_dataset_mask_path(config.output),
                       token_dataset_meta_path(config.output)};
    return summary;
}

}  // namespace jenny::data
