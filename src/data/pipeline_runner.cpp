// Running a pipeline's tasks: read, block by block, write parts, commit a cursor, and on
// restart continue from it (pipeline.h has the contract; docs/formats/pipeline.md the files).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>

#include "data/doc_reader.h"
#include "data/pipeline_block.h"
#include "data/pipeline_dedup.h"
#include "data/pipeline_output.h"
#include "data/pipeline_report.h"
#include "data/pipeline_tokenize.h"
#include "data/token_dataset_format.h"
#include "jenny/base/progress.h"
#include "jenny/base/thread_pool.h"
#include "jenny/data/pipeline.h"
#include "jenny/data/token_dataset.h"
#include "jenny/tokenizer/fingerprint.h"
#include "jenny/tokenizer/tokenizer.h"

namespace jenny::data {
namespace {

using base::Status;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

constexpr size_t kMaxExamples = 20;

struct Cursor {
    int stage = 0;          // the stage this task is in (see pipeline_dedup.h)
    size_t file = 0;        // index into the task's input files of that stage
    int64_t record = 0;     // records of that file already consumed
    int64_t part = 0;       // the next part number
    int64_t doc_index = 0;  // documents of this stage read so far (a dedup filter's index)
    bool done = false;
    PipelineReport report;
};

std::string task_name(int task) { return fmt::format("task_{:05d}", task); }
std::string part_name(int task, int64_t part) {
    return fmt::format("task_{:05d}_part_{:05d}", task, part);
}

// What every task of this process shares: the spec, the files, the blocks, the tokenizer.
struct Shared {
    const PipelineSpec* spec = nullptr;
    std::string out;
    std::string pipeline_hash;
    std::vector<std::pair<std::string, int>> files;  // (path, input index), sorted as listed
    std::vector<uint64_t> file_bytes;
    std::vector<std::string> block_names;  // the report's rows: every block but tokenize
    std::vector<std::string> excluded_dirs;
    std::vector<std::unique_ptr<PipelineBlock>> blocks;  // per row; null for dedup rows
    std::vector<int> row_dedup;                          // per row: index into dedups, or -1
    std::vector<PipelineDedup> dedups;
    std::vector<std::vector<size_t>> stage_rows;  // the rows of each stage, in order
    std::optional<PipelineTokenizeOptions> tokenize;
    std::unique_ptr<tokenizer::Tokenizer> tok;
    std::string tok_hash;
    int encode_threads = 1;
    base::Env* env = nullptr;
    std::mutex progress_mu;
    base::Progress* progress = nullptr;
    std::atomic<bool> stop{false};
};

Status write_json_atomic(base::Env* env, const std::string& path, const json& j) {
    return env->write_file_atomic(path, j.dump(1) + "\n");
}

class TaskRunner {
public:
    TaskRunner(Shared& sh, int task, int stage) : sh_(sh), task_(task), stage_(stage) {}

    base::Result<PipelineReport> run() {
        const std::string state_path = fmt::format("{}/state/{}.json", sh_.out, task_name(task_));
        Cursor c;
        if (sh_.env->file_exists(state_path)) {
            JENNY_ASSIGN_OR_RETURN(std::string text, sh_.env->read_file(state_path));
            const json j = json::parse(text, nullptr, false);
            if (j.is_discarded() || j.value("pipeline_hash", "") != sh_.pipeline_hash)
                return Status::corruption(fmt::format(
                    "{}: unreadable or from another pipeline; remove the output directory or "
                    "pass --overwrite",
                    state_path));
            c.stage = j.value("stage", 0);
            c.file = j.value("file", size_t{0});
            c.record = j.value("record", int64_t{0});
            c.part = j.value("part", int64_t{0});
            c.doc_index = j.value("doc_index", int64_t{0});
            c.done = j.value("done", false);
            c.report = pipeline_report_from_json(j["report"]);
        } else {
            for (const std::string& n : sh_.block_names) c.report.blocks.push_back(named_block(n));
        }
        if (c.done) {
            remove_token_parts(c.part);
            c.report.tasks_done = 1;
            return c.report;
        }
        if (c.stage > stage_) return c.report;  // the task is past this stage
        if (c.stage < stage_)
            return Status::internal(
                fmt::format("task {} is in stage {}, not {}", task_, c.stage, stage_));
        JENNY_RETURN_IF_ERROR(remove_stale_temporaries());
        JENNY_RETURN_IF_ERROR(list_inputs());
        cursor_ = c;
        report_ = c.report;
        doc_index_ = c.doc_index;
        JENNY_RETURN_IF_ERROR(open_dedup(c.part));
        open_part();
        for (size_t fi = c.file; fi < inputs_.size(); ++fi) {
            if (sh_.stop) return Status(base::StatusCode::kCancelled, "stopped");
            const Input& input = inputs_[fi];
            auto reader =
                DocReader::open(input.path, input.format, *input.settings, sh_.env, stage_ > 0);
            const int64_t start = fi == c.file ? c.record : 0;
            if (start == 0 && stage_ == 0) ++report_.files;
            if (!reader.ok()) {
                add_issue({"unreadable_file", reader.status().to_string()});
                continue;
            }
            DocReader& r = **reader;
            if (start > 0) r.skip(start);
            int64_t last_records = r.records();
            uint64_t last_pos = 0;
            Document doc;
            for (;;) {
                const bool got = r.next(&doc);
                for (ReadIssue& i : r.take_issues()) add_issue(std::move(i));
                part_records_ += r.records() - last_records;
                last_records = r.records();
                if (!got) break;
                JENNY_RETURN_IF_ERROR(process(doc));
                if ((doc_index_ & 255) == 0) {
                    advance_progress(input.bytes, r, &last_pos);
                    if (sh_.stop) return Status(base::StatusCode::kCancelled, "stopped");
                }
                if (part_records_ >= sh_.spec->settings.commit_every) {
                    JENNY_RETURN_IF_ERROR(commit(fi, r.records(), false));
                }
            }
            advance_progress(input.bytes, r, &last_pos);
        }
        JENNY_RETURN_IF_ERROR(commit(inputs_.size(), 0, true));
        report_.tasks_done = last_stage() ? 1 : 0;
        return report_;
    }

private:
    void add_issue(ReadIssue i) {
        ++report_.read_errors[i.reason];
        if (!i.where.empty() && report_.read_error_examples.size() < kMaxExamples)
            report_.read_error_examples.push_back(std::move(i.where));
    }

    struct Input {
        std::string path, format;
        const PipelineInput* settings;
        uint64_t bytes;
    };

    bool last_stage() const { return stage_ + 1 == static_cast<int>(sh_.stage_rows.size()); }
    std::string stage_dir(int stage) const { return fmt::format("{}/stages/{}", sh_.out, stage); }

    // Stage 0 reads the task's share of the input files; a later stage reads the task's
    // parts of the stage before, in order.
    Status list_inputs() {
        static const PipelineInput kPart;
        if (stage_ == 0) {
            for (size_t k = static_cast<size_t>(task_); k < sh_.files.size();
                 k += static_cast<size_t>(sh_.spec->settings.tasks)) {
                const auto& [path, i] = sh_.files[k];
                const PipelineInput& in = sh_.spec->settings.inputs[static_cast<size_t>(i)];
                inputs_.push_back({path,
                                   in.format == "auto" ? detect_input_format(path) : in.format, &in,
                                   sh_.file_bytes[k]});
            }
            return Status();
        }
        const std::string dir = stage_dir(stage_ - 1);
        JENNY_ASSIGN_OR_RETURN(std::vector<std::string> names, sh_.env->list_dir(dir));
        std::sort(names.begin(), names.end());
        const std::string prefix = task_name(task_) + "_part_";
        for (const std::string& n : names) {
            if (n.rfind(prefix, 0) != 0 || n.size() < 6 || n.substr(n.size() - 6) != ".jsonl")
                continue;
            auto size = sh_.env->file_size(dir + "/" + n);
            inputs_.push_back({dir + "/" + n, "jsonl", &kPart, size.ok() ? *size : 0});
        }
        return Status();
    }

    // The dedup filter this stage starts with, and the collector for the one it ends at
    // (refilled from the parts already committed when resuming).
    Status open_dedup(int64_t committed_parts) {
        for (size_t row : sh_.stage_rows[static_cast<size_t>(stage_)]) {
            if (sh_.row_dedup[row] < 0) continue;
            const PipelineDedup& d = sh_.dedups[static_cast<size_t>(sh_.row_dedup[row])];
            JENNY_ASSIGN_OR_RETURN(DedupFilter f, open_dedup_filter(d, task_, sh_.env));
            filter_ = std::make_unique<DedupFilter>(std::move(f));
            filter_->resume_at(static_cast<uint64_t>(doc_index_));
        }
        if (last_stage()) return Status();
        const size_t next_row = sh_.stage_rows[static_cast<size_t>(stage_) + 1].front();
        const PipelineDedup& d = sh_.dedups[static_cast<size_t>(sh_.row_dedup[next_row])];
        JENNY_RETURN_IF_ERROR(sh_.env->create_dirs(d.dir));
        JENNY_RETURN_IF_ERROR(sh_.env->create_dirs(stage_dir(stage_)));
        JENNY_ASSIGN_OR_RETURN(collector_,
                               DedupCollector::create(d, task_, sh_.spec->settings.tasks, sh_.env));
        static const PipelineInput kPart;
        for (int64_t p = 0; p < committed_parts; ++p) {
            const std::string path =
                fmt::format("{}/{}.jsonl", stage_dir(stage_), part_name(task_, p));
            if (!sh_.env->file_exists(path)) continue;  // a part that kept nothing
            JENNY_ASSIGN_OR_RETURN(auto r, DocReader::open(path, "jsonl", kPart, sh_.env, true));
            Document doc;
            while (r->next(&doc)) collector_->add(doc.text);
        }
        return Status();
    }

    void advance_progress(uint64_t file_bytes, const DocReader& r, uint64_t* last) {
        if (!sh_.progress) return;
        const uint64_t size = std::max<uint64_t>(r.size(), 1);
        const uint64_t now =
            static_cast<uint64_t>(static_cast<double>(file_bytes) *

                                  static_cast<double>(r.position()) / static_cast<double>(size));
        if (now <= *last) return;
        std::lock_guard<std::mutex> lock(sh_.progress_mu);
        sh_.progress->add(static_cast<int64_t>(now - *last));
        *last = now;
    }

    Status process(Document& doc) {
        if (stage_ == 0) {
            ++report_.docs_read;
            report_.bytes_read += static_cast<int64_t>(doc.text.size());
        }
        const uint64_t index = static_cast<uint64_t>(doc_index_++);
        for (size_t b : sh_.stage_rows[static_cast<size_t>(stage_)]) {
            BlockReport& br = report_.blocks[b];
            ++br.docs_in;
            br.bytes_in += static_cast<int64_t>(doc.text.size());
            const auto t0 = Clock::now();
            Verdict v =
                sh_.blocks[b] ? sh_.blocks[b]->process(doc, br.counters) : filter_->check(index);
            br.seconds += seconds_since(t0);
            if (!v.keep) {
                ++br.dropped[v.reason];
                if (sh_.spec->settings.write_excluded) {
                    PartFile& f = *excluded_[b];
                    append_document_line(f.buffer(), doc, v.reason);
                    JENNY_RETURN_IF_ERROR(f.flush_if_big());
                }
                return Status();
            }
            ++br.docs_out;
            br.bytes_out += static_cast<int64_t>(doc.text.size());
        }
        append_document_line(documents_->buffer(), doc, "");
        JENNY_RETURN_IF_ERROR(documents_->flush_if_big());
        if (!last_stage()) {
            // Hashes / signatures for the dedup block that opens the next stage: its time.
            const auto t0 = Clock::now();
            collector_->add(doc.text);
            report_.blocks[sh_.stage_rows[static_cast<size_t>(stage_) + 1].front()].seconds +=
                seconds_since(t0);
            return Status();
        }
        ++report_.docs_written;
        report_.bytes_written += static_cast<int64_t>(doc.text.size());
        if (sh_.tokenize) pending_.push_back(doc.text);
        return Status();
    }

    void open_part() {
        const std::string name = part_name(task_, cursor_.part);
        documents_ = std::make_unique<PartFile>(
            last_stage() ? fmt::format("{}/documents/{}.jsonl", sh_.out, name)
                         : fmt::format("{}/{}.jsonl", stage_dir(stage_), name));
        excluded_.clear();
        for (const std::string& dir : sh_.excluded_dirs)
            excluded_.push_back(std::make_unique<PartFile>(fmt::format("{}/{}.jsonl", dir, name)));
        part_records_ = 0;
        pending_.clear();
    }

    std::string token_part_prefix(int64_t part) const {
        return fmt::format("{}/tokens/parts/{}", sh_.out, part_name(task_, part));
    }

    Status write_token_part() {
        if (!sh_.tokenize || pending_.empty()) return Status();
        const tokenizer::Tokenizer& tok = *sh_.tok;
        tokenizer::EncodeOptions eo;
        eo.add_special = false;
        eo.parse_special = sh_.tokenize->parse_special;
        const int bos = tok.special().add_bos && tok.special().bos ? *tok.special().bos : -1;
        const int eos = sh_.tokenize->eos && tok.special().eos ? *tok.special().eos : -1;
        std::vector<std::vector<int32_t>> ids(pending_.size());
        std::vector<Status> errors(pending_.size());
        auto encode = [&](int64_t begin, int64_t end) {
            for (int64_t i = begin; i < end; ++i) {
                auto& out = ids[static_cast<size_t>(i)];
                if (bos >= 0) out.push_back(bos);
                auto r = tok.encode(pending_[static_cast<size_t>(i)], eo);
                if (!r.ok()) {
                    errors[static_cast<size_t>(i)] = r.status();
                    continue;
                }
                out.insert(out.end(), r->begin(), r->end());
                if (eos >= 0) out.push_back(eos);
            }
        };
        if (sh_.encode_threads > 1) {
            base::ThreadPool pool(sh_.encode_threads - 1);
            pool.parallel_for(0, static_cast<int64_t>(pending_.size()), encode, 16);
        } else {
            encode(0, static_cast<int64_t>(pending_.size()));
        }
        for (const Status& s : errors) JENNY_RETURN_IF_ERROR(s);
        const std::string prefix = token_part_prefix(cursor_.part);
        JENNY_RETURN_IF_ERROR(remove_token_dataset(prefix, sh_.env));
        JENNY_ASSIGN_OR_RETURN(auto w, TokenDatasetWriter::create(prefix, tok.vocab_size(),
                                                                  sh_.tok_hash, false, sh_.env));
        for (const auto& d : ids) {
            JENNY_RETURN_IF_ERROR(w->add_document(d));
            report_.tokens += static_cast<int64_t>(d.size());
        }
        return w->finish();
    }

    // Parts 0..parts-1 (those that exist: a part without kept documents has none) into
    // tokens/task_NNNNN, in order.
    Status merge_token_parts(int64_t parts) {
        const std::string prefix = fmt::format("{}/tokens/{}", sh_.out, task_name(task_));
        JENNY_RETURN_IF_ERROR(remove_token_dataset(prefix, sh_.env));
        JENNY_ASSIGN_OR_RETURN(auto w, TokenDatasetWriter::create(prefix, sh_.tok->vocab_size(),
                                                                  sh_.tok_hash, false, sh_.env));
        std::vector<int32_t> buf;
        for (int64_t p = 0; p < parts; ++p) {
            const std::string part = token_part_prefix(p);
            if (!sh_.env->file_exists(token_dataset_meta_path(part))) continue;
            JENNY_ASSIGN_OR_RETURN(auto ds, TokenDataset::open(part, sh_.env));
            for (int64_t d = 0; d < ds->n_documents(); ++d) {
                const int64_t b = ds->document_begin(d), e = ds->document_begin(d + 1);
                buf.resize(static_cast<size_t>(e - b));
                ds->read_tokens(b, e - b, buf.data());
                JENNY_RETURN_IF_ERROR(w->add_document(buf));
            }
        }
        return w->finish();
    }

    void remove_token_parts(int64_t parts) {
        if (!sh_.tokenize) return;
        for (int64_t p = 0; p < parts; ++p)
            (void)remove_token_dataset(token_part_prefix(p), sh_.env);
    }

    // The commit point of a part: its files renamed into place, then the cursor replaced.
    Status commit(size_t file, int64_t record, bool last) {
        JENNY_RETURN_IF_ERROR(documents_->commit());
        for (auto& f : excluded_) JENNY_RETURN_IF_ERROR(f->commit());
        JENNY_RETURN_IF_ERROR(write_token_part());
        cursor_.file = file;
        cursor_.record = record;
        cursor_.part += 1;
        cursor_.doc_index = doc_index_;
        const bool done = last && last_stage();
        if (last) {
            if (filter_) JENNY_RETURN_IF_ERROR(filter_->finish());
            if (collector_) JENNY_RETURN_IF_ERROR(collector_->finish());
            if (done && sh_.tokenize) JENNY_RETURN_IF_ERROR(merge_token_parts(cursor_.part));
        }
        // A finished stage moves the task to the next one, at its start.
        const bool next_stage = last && !done;
        json j;
        j["pipeline_hash"] = sh_.pipeline_hash;
        j["task"] = task_;
        j["stage"] = next_stage ? stage_ + 1 : stage_;
        j["file"] = next_stage ? 0 : file;
        j["record"] = record;
        j["file_path"] = file < inputs_.size() ? inputs_[file].path : "";
        j["part"] = next_stage ? 0 : cursor_.part;
        j["doc_index"] = next_stage ? 0 : cursor_.doc_index;
        j["done"] = done;
        PipelineReport saved = report_;
        saved.tasks_done = done ? 1 : 0;
        j["report"] = pipeline_report_to_json(saved);
        JENNY_RETURN_IF_ERROR(write_json_atomic(
            sh_.env, fmt::format("{}/state/{}.json", sh_.out, task_name(task_)), j));
        if (done) {
            remove_token_parts(cursor_.part);
        } else if (!last) {
            open_part();
        }
        return Status();
    }

    // A killed run leaves the temporaries of the part it was writing: PATH.tmp (part files)
    // and PATH.tmp.<pid>.<hex> (Env::write_file_atomic, e.g. a token part's meta.json). The
    // part is rewritten, so they go.
    Status remove_stale_temporaries() {
        const std::string prefix = task_name(task_) + "_";
        std::vector<std::string> dirs = sh_.excluded_dirs;
        dirs.push_back(sh_.out + "/documents");
        dirs.push_back(stage_dir(stage_));
        dirs.push_back(sh_.out + "/tokens/parts");
        auto temporary = [](const std::string& n) {
            return n.ends_with(".tmp") || n.find(".tmp.") != std::string::npos;
        };
        for (const std::string& dir : dirs) {
            auto names = sh_.env->list_dir(dir);
            if (!names.ok()) continue;
            for (const std::string& n : *names)
                if (n.starts_with(prefix) && temporary(n))
                    JENNY_RETURN_IF_ERROR(sh_.env->remove_file(dir + "/" + n));
        }
        return Status();
    }

    Shared& sh_;
    int task_, stage_;
    std::vector<Input> inputs_;
    Cursor cursor_;
    int64_t doc_index_ = 0;
    std::unique_ptr<DedupFilter> filter_;        // this stage's first block, after stage 0
    std::unique_ptr<DedupCollector> collector_;  // feeds the next stage's dedup
    PipelineReport report_;
    int64_t part_records_ = 0;
    std::unique_ptr<PartFile> documents_;
    std::vector<std::unique_ptr<PartFile>> excluded_;
    std::vector<std::string> pending_;  // kept texts of this part, for tokenize
};

Status prepare_output(const PipelineSpec& spec, const std::string& yaml, bool overwrite,
                      base::Env* env) {
    const std::string& out = spec.settings.output;
    const std::string saved_path = out + "/pipeline.yaml";
    if (env->file_exists(saved_path)) {
        JENNY_ASSIGN_OR_RETURN(std::string saved, env->read_file(saved_path));
        if (saved != yaml) {
            if (!overwrite)
                return Status(base::StatusCode::kFailedPrecondition,
                              fmt::format("{} holds the state of a different pipeline ({} differs "
                                          "from this one); use another output directory, or "
                                          "pass --overwrite to discard it",
                                          out, saved_path));
            auto r = env->run_subprocess(
                {"rm", "-rf", out + "/state", out + "/documents", out + "/excluded",
                 out + "/tokens", out + "/stages", out + "/dedup", out + "/report.json"},
                {});
            if (!r.ok() || r->exit_code != 0)
                return Status::io_error("could not clear " + out + " for --overwrite");
        }
    }
    for (const char* sub : {"state", "documents", "excluded"})
        JENNY_RETURN_IF_ERROR(env->create_dirs(out + "/" + sub));
    return env->write_file_atomic(saved_path, yaml);
}

// Runs stage `stage` of `tasks` on `workers` threads, with a progress bar over its input.
Status run_stage(Shared& sh, const std::vector<int>& tasks, int stage, int workers,
                 bool show_progress) {
    std::unique_ptr<base::Progress> progress;
    if (show_progress) {
        uint64_t total = 0;
        if (stage == 0) {
            for (int t : tasks)
                for (size_t k = static_cast<size_t>(t); k < sh.files.size();
                     k += static_cast<size_t>(sh.spec->settings.tasks))
                    total += sh.file_bytes[k];
        } else if (auto names = sh.env->list_dir(fmt::format("{}/stages/{}", sh.out, stage - 1));
                   names.ok()) {
            for (const std::string& n : *names)
                if (auto size =
                        sh.env->file_size(fmt::format("{}/stages/{}/{}", sh.out, stage - 1, n));
                    size.ok())
                    total += *size;
        }
        base::ProgressOptions po;
        po.unit = "B";
        const std::string who = tasks.size() == 1 ? fmt::format("task {}", tasks[0])
                                                  : fmt::format("{} tasks", tasks.size());
        progress = std::make_unique<base::Progress>(
            sh.stage_rows.size() == 1
                ? who
                : fmt::format("stage {}/{}, {}", stage + 1, sh.stage_rows.size(), who),
            static_cast<int64_t>(total), po, sh.env);
    }
    sh.progress = progress.get();
    std::vector<base::Result<PipelineReport>> results(tasks.size(), Status::internal("not run"));
    std::atomic<size_t> next{0};
    auto worker = [&]() {
        for (size_t i = next++; i < tasks.size(); i = next++) {
            TaskRunner runner(sh, tasks[i], stage);
            results[i] = runner.run();
            if (!results[i].ok()) sh.stop = true;
        }
    };
    std::vector<std::thread> threads;
    for (int w = 1; w < workers; ++w) threads.emplace_back(worker);
    worker();
    for (auto& t : threads) t.join();
    if (progress) progress->finish();
    sh.progress = nullptr;
    for (auto& r : results)
        if (!r.ok() && r.status().code() != base::StatusCode::kCancelled) return r.status();
    for (auto& r : results) JENNY_RETURN_IF_ERROR(r.status());
    return Status();
}

// Between stage `stage` and the next: waits until every task of the pipeline (here or in
// other processes) has finished the stage, then runs the dedup step unless it already ran.
Status dedup_barrier(Shared& sh, int stage) {
    const PipelineDedup& d =
        sh.dedups[static_cast<size_t>(sh.row_dedup[sh.stage_rows[stage + 1].front()])];
    if (dedup_step_done(d, sh.env)) return Status();
    const double wait_s = sh.spec->settings.dedup_wait_minutes * 60;
    const uint64_t start = sh.env->now_micros();
    for (;;) {
        std::vector<int> behind;
        for (int t = 0; t < sh.spec->settings.tasks; ++t) {
            auto text = sh.env->read_file(fmt::format("{}/state/{}.json", sh.out, task_name(t)));
            const json j = text.ok() ? json::parse(*text, nullptr, false) : json();
            if (!j.is_object() || (!j.value("done", false) && j.value("stage", 0) <= stage))
                behind.push_back(t);
        }
        if (behind.empty()) break;
        if (static_cast<double>(sh.env->now_micros() - start) / 1e6 > wait_s)
            return Status(base::StatusCode::kDeadlineExceeded,
                          fmt::format("{}: waited {} minutes for tasks {} to finish stage {} "
                                      "(run them, e.g. jenny data run PIPELINE --task {}, or "
                                      "raise dedup_wait_minutes)",
                                      d.kind, sh.spec->settings.dedup_wait_minutes,
                                      fmt::join(behind, ","), stage + 1, behind.front()));
        sh.env->sleep_micros(500000);
    }
    return run_dedup_step(d, sh.env);
}

}  // namespace

base::Result<PipelineReport> run_pipeline(const PipelineSpec& spec,
                                          const PipelineRunOptions& options, base::Env* env) {
    const uint64_t t0 = env->now_micros();
    const PipelineSettings& st = spec.settings;
    Shared sh;
    sh.stage_rows.emplace_back();
    sh.spec = &spec;
    sh.env = env;
    sh.out = st.output;
    const std::string yaml = spec.resolved.to_yaml();
    sh.pipeline_hash = format::checksum(yaml);
    JENNY_ASSIGN_OR_RETURN(sh.files, expand_pipeline_inputs(st.inputs, env));
    for (const auto& f : sh.files) {
        auto size = env->file_size(f.first);
        sh.file_bytes.push_back(size.ok() ? *size : 0);
    }
    std::vector<int> tasks = options.tasks;
    if (tasks.empty())
        for (int t = 0; t < st.tasks; ++t) tasks.push_back(t);
    for (int t : tasks)
        if (t < 0 || t >= st.tasks)
            return Status::invalid_argument(
                fmt::format("task {} is outside 0..{} (the pipeline has tasks: {})", t,
                            st.tasks - 1, st.tasks));
    JENNY_RETURN_IF_ERROR(prepare_output(spec, yaml, options.overwrite, env));

    // Blocks (built once, shared by the task threads) and the tokenizer.
    for (size_t i = 0; i < spec.blocks.size(); ++i) {
        const PipelineBlockSpec& b = spec.blocks[i];
        const BlockKind* kind = nullptr;
        for (const BlockKind& k : block_kinds())
            if (k.name == b.name) kind = &k;
        JENNY_CHECK(kind != nullptr, "parse_pipeline let an unknown block through");
        if (b.name == "tokenize") {
            JENNY_ASSIGN_OR_RETURN(sh.tokenize, base::bind_config<PipelineTokenizeOptions>(b.args));
            JENNY_ASSIGN_OR_RETURN(sh.tok, tokenizer::Tokenizer::load(sh.tokenize->tokenizer, env));
            sh.tok_hash = tokenizer::tokenizer_fingerprint(*sh.tok);
            JENNY_RETURN_IF_ERROR(env->create_dirs(st.output + "/tokens/parts"));
            continue;
        }
        const std::string dir = fmt::format("{}/excluded/{:02d}_{}", st.output, i, b.name);
        if (b.name == "exact_dedup" || b.name == "minhash") {
            PipelineDedup d;
            d.kind = b.name;
            d.dir = fmt::format("{}/dedup/{:02d}_{}", st.output, i, b.name);
            if (b.name == "minhash") {
                JENNY_ASSIGN_OR_RETURN(d.minhash, base::bind_config<MinhashOptions>(b.args));
                JENNY_RETURN_IF_ERROR(validate_minhash_options(d.minhash).with_context(
                    fmt::format("blocks[{}].minhash", i)));
            } else {
                JENNY_ASSIGN_OR_RETURN(d.exact, base::bind_config<ExactDedupOptions>(b.args));
            }
            sh.row_dedup.push_back(static_cast<int>(sh.dedups.size()));
            sh.dedups.push_back(std::move(d));
            sh.stage_rows.emplace_back();  // the dedup block opens a new stage
            sh.blocks.push_back(nullptr);
        } else {
            JENNY_ASSIGN_OR_RETURN(BlockKind::Bound bound, kind->bind(b.args));
            auto block = bound.make(env);
            if (!block.ok())
                return block.status().with_context(fmt::format("blocks[{}].{}", i, b.name));
            sh.row_dedup.push_back(-1);
            sh.blocks.push_back(std::move(*block));
        }
        sh.stage_rows.back().push_back(sh.block_names.size());
        sh.block_names.push_back(b.name);
        if (st.write_excluded) JENNY_RETURN_IF_ERROR(env->create_dirs(dir));
        sh.excluded_dirs.push_back(dir);
    }

    const int cores = base::ThreadPool::default_thread_count();
    int workers = options.workers > 0 ? options.workers : cores;
    workers = std::max(1, std::min<int>(workers, static_cast<int>(tasks.size())));
    sh.encode_threads = sh.tokenize && sh.tokenize->threads > 0 ? sh.tokenize->threads
                                                                : std::max(1, cores / workers);
    for (size_t stage = 0; stage < sh.stage_rows.size(); ++stage) {
        JENNY_RETURN_IF_ERROR(
            run_stage(sh, tasks, static_cast<int>(stage), workers, options.show_progress));
        if (stage + 1 < sh.stage_rows.size())
            JENNY_RETURN_IF_ERROR(dedup_barrier(sh, static_cast<int>(stage)));
    }

    // The whole report: every task's cursor (those run here and elsewhere).
    PipelineReport all;
    for (const std::string& n : sh.block_names) all.blocks.push_back(named_block(n));
    all.tasks_total = st.tasks;
    for (int t = 0; t < st.tasks; ++t) {
        const std::string path = fmt::format("{}/state/{}.json", st.output, task_name(t));
        if (!env->file_exists(path)) continue;
        auto text = env->read_file(path);
        if (!text.ok()) continue;
        const json j = json::parse(*text, nullptr, false);
        if (j.is_discarded() || !j.value("done", false)) continue;
        merge_pipeline_report(all, pipeline_report_from_json(j["report"]));
    }
    all.seconds = static_cast<double>(env->now_micros() - t0) / 1e6;
    if (all.tasks_done == st.tasks) {
        json j = pipeline_report_to_json(all);
        j["output"] = st.output;
        JENNY_RETURN_IF_ERROR(write_json_atomic(env, st.output + "/report.json", j));
    }
    return all;
}

}  // namespace jenny::data
