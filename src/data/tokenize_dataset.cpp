#include "jenny/data/tokenize_dataset.h"

#include <fmt/format.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "data/input_files.h"
#include "jenny/base/progress.h"
#include "jenny/base/thread_pool.h"
#include "jenny/base/utf8.h"
#include "jenny/tokenizer/fingerprint.h"
#include "jenny/tokenizer/tokenizer.h"

namespace jenny::data {
namespace {

using base::Status;
using tokenizer::TokenId;
using tokenizer::Tokenizer;

// A batch is encoded in parallel, then written in order; these bound its memory.
constexpr size_t kBatchBytes = size_t{16} << 20;
constexpr size_t kBatchDocs = 8192;

// One document found in an input, not yet encoded.
struct PendingDoc {
    const InputFile* file = nullptr;
    int64_t line = 0;      // 1-based line where the document starts
    std::string_view raw;  // the JSONL line, or the document text
};

struct EncodedDoc {
    std::vector<TokenId> ids;
    Status error;
    bool empty = false;
};

std::string describe_json_type(const nlohmann::json& j) {
    if (j.is_null()) return "null";
    if (j.is_boolean()) return "a boolean";
    if (j.is_number()) return "a number";
    if (j.is_array()) return "an array";
    if (j.is_object()) return "an object";
    return "a string";
}

// Line and column (1-based) of byte `offset` within `text` that starts at line `line`.
std::pair<int64_t, int64_t> line_col(std::string_view text, size_t offset, int64_t line) {
    size_t line_start = 0;
    for (size_t i = 0; i < offset; ++i) {
        if (text[i] == '\n') {
            ++line;
            line_start = i + 1;
        }
    }
    return {line, static_cast<int64_t>(offset - line_start) + 1};
}

class DatasetTokenizer {
public:
    DatasetTokenizer(const TokenizeDatasetConfig& config, const Tokenizer& tok)
        : config_(config), tok_(tok) {
        options_.add_special = false;  // BOS/EOS are added below, exactly once
        options_.parse_special = config.parse_special;
        if (tok.special().add_bos && tok.special().bos) bos_ = *tok.special().bos;
        if (config.eos && tok.special().eos) eos_ = *tok.special().eos;
    }
    bool adds_bos() const { return bos_ >= 0; }
    bool adds_eos() const { return eos_ >= 0; }

    EncodedDoc encode(const PendingDoc& doc) const {
        EncodedDoc out;
        std::string json_text;
        std::string_view text = doc.raw;
        const std::string& path = doc.file->path;
        if (doc.file->kind == InputKind::kJsonl) {
            const size_t bad = base::find_invalid_utf8(doc.raw);
            if (bad != std::string_view::npos) {
                out.error = Status::invalid_argument(fmt::format(
                    "{}:{}: invalid UTF-8 at byte {} of the line (0x{:02x}); the corpus must be "
                    "UTF-8",
                    path, doc.line, bad, static_cast<unsigned char>(doc.raw[bad])));
                return out;
            }
            Status s = extract_text(doc, &json_text);
            if (!s.ok()) {
                out.error = s;
                return out;
            }
            text = json_text;
        } else {
            const size_t bad = base::find_invalid_utf8(text);
            if (bad != std::string_view::npos) {
                auto [line, col] = line_col(text, bad, doc.line);
                out.error = Status::invalid_argument(fmt::format(
                    "{}:{}:{}: invalid UTF-8 (byte 0x{:02x} at offset {} of the document); the "
                    "corpus must be UTF-8",
                    path, line, col, static_cast<unsigned char>(text[bad]), bad));
                return out;
            }
        }
        if (text.empty()) {
            out.empty = true;
            return out;
        }
        if (bos_ >= 0) out.ids.push_back(bos_);
        auto ids = tok_.encode(text, options_);
        if (!ids.ok()) {
            out.error = ids.status().with_context(fmt::format("{}:{}", path, doc.line));
            return out;
        }
        out.ids.insert(out.ids.end(), ids->begin(), ids->end());
        if (eos_ >= 0) out.ids.push_back(eos_);
        return out;
    }

private:
    Status extract_text(const PendingDoc& doc, std::string* text) const {
        const std::string& path = doc.file->path;
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(doc.raw);
        } catch (const nlohmann::json::exception& e) {
            std::string why = e.what();
            if (size_t at = why.find("] "); at != std::string::npos) why = why.substr(at + 2);
            return Status::invalid_argument(
                fmt::format("{}:{}: malformed JSON: {}", path, doc.line, why));
        }
        if (!j.is_object()) {
            return Status::invalid_argument(
                fmt::format("{}:{}: expected a JSON object per line, got {}", path, doc.line,
                            describe_json_type(j)));
        }
        auto it = j.find(config_.text_field);
        if (it == j.end()) {
            std::string keys;
            for (auto& [k, v] : j.items()) keys += (keys.empty() ? "" : ", ") + k;
            return Status::invalid_argument(
                fmt::format("{}:{}: no \"{}\" field (the record has: {}); name the text field with "
                            "--text-field",
                            path, doc.line, config_.text_field, keys.empty() ? "no fields" : keys));
        }
        if (!it->is_string()) {
            return Status::invalid_argument(
                fmt::format("{}:{}: field \"{}\" is {}, expected a string", path, doc.line,
                            config_.text_field, describe_json_type(*it)));
        }
        *text = it->get<std::string>();
        return Status();
    }

    const TokenizeDatasetConfig& config_;
    const Tokenizer& tok_;
    tokenizer::EncodeOptions options_;
    TokenId bos_ = -1, eos_ = -1;
};

// Splits one input into documents, calling emit(doc) for each in order.
template <class Emit>
void split_documents(const InputFile& file, std::string_view data, const std::string& separator,
                     Emit&& emit) {
    size_t pos = 0;
    int64_t line = 0;
    if (file.kind == InputKind::kJsonl) {
        while (pos < data.size()) {
            size_t nl = data.find('\n', pos);
            if (nl == std::string_view::npos) nl = data.size();
            std::string_view text = data.substr(pos, nl - pos);
            ++line;
            pos = nl + 1;
            if (text.find_first_not_of(" \t\r") == std::string_view::npos) continue;
            emit(PendingDoc{&file, line, text});
        }
        return;
    }
    if (separator.empty()) {
        emit(PendingDoc{&file, 1, data});
        return;
    }
    size_t doc_start = 0;
    int64_t doc_line = 1;
    while (pos < data.size()) {
        size_t nl = data.find('\n', pos);
        const size_t end = nl == std::string_view::npos ? data.size() : nl;
        std::string_view text = data.substr(pos, end - pos);
        if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
        ++line;
        const size_t next = nl == std::string_view::npos ? data.size() : nl + 1;
        if (text == separator) {
            emit(PendingDoc{&file, doc_line, data.substr(doc_start, pos - doc_start)});
            doc_start = next;
            doc_line = line + 1;
        }
        pos = next;
    }
    if (doc_start < data.size()) {
        emit(PendingDoc{&file, doc_line, data.substr(doc_start)});
    }
}

std::string human_bytes(double b) {
    if (b >= 1e9) return fmt::format("{:.2f} GB", b / 1e9);
    if (b >= 1e6) return fmt::format("{:.2f} MB", b / 1e6);
    if (b >= 1e3) return fmt::format("{:.1f} kB", b / 1e3);
    return fmt::format("{} B", static_cast<int64_t>(b));
}

}  // namespace

base::Result<TokenizeDatasetSummary> run_tokenize_dataset(const TokenizeDatasetConfig& config,
                                                          base::Env* env, bool show_progress) {
    if (config.inputs.empty()) {
        return Status::invalid_argument(
            "no inputs: name the JSONL/text files or directories to tokenize");
    }
    if (config.output.empty()) return Status::invalid_argument("no output prefix (--output)");
    if (config.text_field.empty()) return Status::invalid_argument("text_field is empty");
    if (config.threads < 0) {
        return Status::invalid_argument(
            fmt::format("threads is {}; use 0 for all cores, or N >= 1", config.threads));
    }
    JENNY_ASSIGN_OR_RETURN(std::vector<InputFile> files, list_input_files(config.inputs, env));
    JENNY_ASSIGN_OR_RETURN(std::unique_ptr<Tokenizer> tok, Tokenizer::load(config.tokenizer, env));
    const std::string hash = tokenizer::tokenizer_fingerprint(*tok);

    if (env->file_exists(token_dataset_meta_path(config.output))) {
        if (!config.overwrite) {
            return Status::already_exists(fmt::format(
                "output dataset {} already exists ({}); pass --overwrite to replace it or choose "
                "another --output",
                config.output, token_dataset_meta_path(config.output)));
        }
        JENNY_RETURN_IF_ERROR(remove_token_dataset(config.output, env));
    }
    JENNY_ASSIGN_OR_RETURN(std::unique_ptr<TokenDatasetWriter> writer,
                           TokenDatasetWriter::create(config.output, tok->vocab_size(), hash,
                                                      /*with_mask=*/false, env));

    const uint64_t t0 = env->now_micros();  // the rate excludes loading the tokenizer
    TokenizeDatasetSummary sum;
    sum.n_files = static_cast<int64_t>(files.size());
    sum.threads = config.threads > 0 ? config.threads : base::ThreadPool::default_thread_count();
    std::unique_ptr<base::ThreadPool> pool;
    if (sum.threads > 1) pool = std::make_unique<base::ThreadPool>(sum.threads - 1);
    DatasetTokenizer encoder(config, *tok);
    sum.bos_added = encoder.adds_bos();
    sum.eos_added = encoder.adds_eos();

    uint64_t total_disk = 0;
    for (const InputFile& f : files) total_disk += f.disk_bytes;
    std::unique_ptr<base::Progress> progress;
    if (show_progress) {
        base::ProgressOptions po;
        po.unit = "B";
        progress = std::make_unique<base::Progress>("tokenize-dataset",
                                                    static_cast<int64_t>(total_disk), po, env);
    }

    // Documents of the current batch and the inputs they point into (a batch may span
    // several small files).
    std::vector<PendingDoc> batch;
    std::vector<std::shared_ptr<InputBytes>> batch_inputs;
    size_t batch_bytes = 0;
    std::vector<EncodedDoc> encoded;
    auto flush = [&]() -> Status {
        encoded.assign(batch.size(), EncodedDoc{});
        const int64_t n = static_cast<int64_t>(batch.size());
        if (pool && n > 1) {
            // Documents vary in length: threads take the next one from a shared counter.
            std::atomic<int64_t> next{0};
            const int64_t workers = std::min<int64_t>(pool->size() + 1, n);
            pool->parallel_for(0, workers, [&](int64_t, int64_t) {
                for (int64_t i; (i = next.fetch_add(1)) < n;) {
                    encoded[static_cast<size_t>(i)] = encoder.encode(batch[static_cast<size_t>(i)]);
                }
            });
        } else {
            for (int64_t i = 0; i < n; ++i) {
                encoded[static_cast<size_t>(i)] = encoder.encode(batch[static_cast<size_t>(i)]);
            }
        }
        for (EncodedDoc& e : encoded) {  // in input order: the output never depends on threads
            if (!e.error.ok()) return e.error;
            if (e.empty) {
                ++sum.n_empty_skipped;
                continue;
            }
            JENNY_RETURN_IF_ERROR(writer->add_document(e.ids));
        }
        batch.clear();
        batch_inputs.clear();
        batch_bytes = 0;
        return Status();
    };

    auto run = [&]() -> Status {
        uint64_t disk_done = 0;
        for (const InputFile& file : files) {
            JENNY_ASSIGN_OR_RETURN(std::shared_ptr<InputBytes> bytes, InputBytes::open(file, env));
            sum.n_bytes += static_cast<int64_t>(bytes->data().size());
            Status status;
            split_documents(file, bytes->data(), config.separator, [&](const PendingDoc& doc) {
                if (!status.ok()) return;
                if (batch_inputs.empty() || batch_inputs.back() != bytes) {
                    batch_inputs.push_back(bytes);
                }
                batch.push_back(doc);
                batch_bytes += doc.raw.size();
                if (batch_bytes < kBatchBytes && batch.size() < kBatchDocs) return;
                status = flush();
                if (progress && file.compression == Compression::kNone) {
                    const char* end = doc.raw.data() + doc.raw.size();
                    progress->set(static_cast<int64_t>(
                        disk_done + static_cast<uint64_t>(end - bytes->data().data())));
                }
            });
            JENNY_RETURN_IF_ERROR(status);
            disk_done += file.disk_bytes;
            if (progress) progress->set(static_cast<int64_t>(disk_done));
        }
        if (!batch.empty()) JENNY_RETURN_IF_ERROR(flush());
        return writer->finish();
    };
    Status status = run();
    if (progress) progress->finish();
    if (!status.ok()) {
        // Leave nothing behind that could be mistaken for output.
        writer.reset();
        (void)remove_token_dataset(config.output, env);
        return status;
    }
    sum.n_documents = writer->n_documents();
    sum.n_tokens = writer->n_tokens();
    sum.meta.token_dtype = token_dtype_for_vocab(tok->vocab_size());
    sum.meta.vocab_size = tok->vocab_size();
    sum.meta.tokenizer_hash = hash;
    sum.meta.n_tokens = sum.n_tokens;
    sum.meta.n_documents = sum.n_documents;
    sum.outputs = {token_dataset_bin_path(config.output), token_dataset_idx_path(config.output),
                   token_dataset_meta_path(config.output)};
    sum.seconds = static_cast<double>(env->now_micros() - t0) / 1e6;
    return sum;
}

std::string format_tokenize_dataset_summary(const TokenizeDatasetSummary& s) {
    const double rate = s.seconds > 0 ? static_cast<double>(s.n_tokens) / s.seconds : 0;
    std::string out = fmt::format(
        "documents: {} from {} file{}{}\n", s.n_documents, s.n_files, s.n_files == 1 ? "" : "s",
        s.n_empty_skipped ? fmt::format(" ({} empty skipped)", s.n_empty_skipped) : "");
    out += fmt::format("tokens:    {} ({}, vocab {}, BOS {}, EOS {})\n", s.n_tokens,
                       s.meta.token_dtype, s.meta.vocab_size, s.bos_added ? "yes" : "no",
                       s.eos_added ? "yes" : "no");
    out += fmt::format("bytes:     {} of text ({:.2f} bytes/token)\n", human_bytes(s.n_bytes),
                       s.n_tokens ? static_cast<double>(s.n_bytes) / s.n_tokens : 0.0);
    out += fmt::format("speed:     {:.0f} tokens/s, {}/s over {:.2f} s with {} thread{}\n", rate,
                       human_bytes(s.seconds > 0 ? s.n_bytes / s.seconds : 0), s.seconds, s.threads,
                       s.threads == 1 ? "" : "s");
    out += fmt::format("tokenizer: {}\n", s.meta.tokenizer_hash);
    out += "wrote:    ";
    for (const std::string& f : s.outputs) out += " " + f;
    out += "\n";
    return out;
}

}  // namespace jenny::data
