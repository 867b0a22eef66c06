// jenny data run as a library: parsing pipeline files, running tasks, reports, exclusions,
// resume after a failure mid-run, tasks run separately, bad input, tokenize.
#include "jenny/data/pipeline.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "jenny/data/token_dataset.h"

namespace jenny::data {
namespace {

namespace fs = std::filesystem;
const std::string kTokenizer = JENNY_SHARED_DATA "/tokenizers/llama2c/tokenizer.bin";

class PipelineTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("jenny_pipeline_" + std::to_string(::getpid()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_ / "in");
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string path(const std::string& rel) const { return (dir_ / rel).string(); }
    void write(const std::string& rel, const std::string& data) const {
        std::ofstream(path(rel), std::ios::binary) << data;
    }
    static std::string read(const std::string& p) {
        std::ifstream f(p, std::ios::binary);
        std::stringstream ss;
        ss << f.rdbuf();
        return ss.str();
    }
    // Every file under `sub` (relative path -> bytes), for comparing whole outputs. The state
    // and report JSON files lose their "seconds" fields: timings, not outputs.
    std::map<std::string, std::string> tree(const std::string& sub) const {
        std::map<std::string, std::string> out;
        if (!fs::exists(dir_ / sub)) return out;
        for (const auto& e : fs::recursive_directory_iterator(dir_ / sub)) {
            if (!e.is_regular_file()) continue;
            const std::string rel = fs::relative(e.path(), dir_ / sub).string();
            std::string bytes = read(e.path().string());
            if (rel.starts_with("state/") || rel == "report.json") {
                nlohmann::json j = nlohmann::json::parse(bytes);
                drop_seconds(j);
                bytes = j.dump(1);
            }
            out[rel] = std::move(bytes);
        }
        return out;
    }
    static void drop_seconds(nlohmann::json& j) {
        if (j.is_object()) j.erase("seconds");
        if (j.is_object() || j.is_array())
            for (auto& v : j) drop_seconds(v);
    }

    base::Result<PipelineSpec> spec(const std::string& yaml) {
        JENNY_ASSIGN_OR_RETURN(base::ConfigNode n, base::parse_yaml(yaml, "pipeline.yaml"));
        return parse_pipeline(n);
    }

    // 40 JSONL documents (some short, some with bad lines), and a fortune-style text file.
    void write_corpus() {
        std::string jsonl;
        for (int i = 0; i < 40; ++i) {
            if (i == 7) jsonl += "{\"id\": \"broken\", \"text\": \"no end\n";
            if (i == 9) jsonl += "{\"id\": \"x9\", \"body\": \"no text field\"}\n";
            if (i == 11) jsonl += "{\"id\": \"bad\", \"text\": \"caf\xc3\"}\n";
            std::string text = i % 5 == 0 ? "short"
                                          : "Document number " + std::to_string(i) +
                                                " talks about  weaving\r\nand mills.";
            jsonl +=
                nlohmann::json({{"id", "d" + std::to_string(i)}, {"text", text}}).dump() + "\n";
        }
        write("in/a.jsonl", jsonl);
        write("in/b.txt", "first fortune\nline two\n%\nsecond fortune\n%\n%\nthird one here\n");
    }

    std::string base_yaml(int tasks, int commit_every) const {
        return "inputs:\n"
               "  - {path: " +
               path("in") +
               "/*.jsonl}\n"
               "  - {path: " +
               path("in") +
               "/*.txt, separator: \"%\"}\n"
               "output: " +
               path("out") +
               "\n"
               "tasks: " +
               std::to_string(tasks) +
               "\n"
               "commit_every: " +
               std::to_string(commit_every) +
               "\n"
               "blocks:\n"
               "  - normalize\n"
               "  - length: {min_chars: 10}\n"
               "  - tokenize: {tokenizer: " +
               kTokenizer + ", threads: 2}\n";
    }

    fs::path dir_;
};

TEST_F(PipelineTest, BadPipelinesAreClearErrors) {
    auto s = spec("inputs: [{path: x}]\noutput: o\nblocks: [normalise]\n");
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.status().message().find("unknown block \"normalise\" (did you mean normalize?)"),
              std::string::npos)
        << s.status().message();
    s = spec("inputs: [{path: x}]\noutput: o\nblocks: [{length: {min_char: 3}}]\n");
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.status().message().find("blocks[0].length: "), std::string::npos)
        << s.status().message();
    EXPECT_NE(s.status().message().find("min_chars"), std::string::npos) << s.status().message();
    s = spec("inputs: [{path: x}]\noutput: o\nblocks: [{tokenize: {tokenizer: t}}, normalize]\n");
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.status().message().find("tokenize must be the last block"), std::string::npos);
    s = spec("inputs: [{path: x}]\nblocks: []\n");
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.status().message().find("output"), std::string::npos);
    s = spec("inputs: [{path: x}]\noutput: o\ntasks: 0\n");
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.status().message().find("tasks: 0 must be at least 1"), std::string::npos);
    s = spec("inputs: [{path: x}]\noutput: o\nblocks: [{length: 1, normalize: {}}]\n");
    EXPECT_FALSE(s.ok());
}

TEST_F(PipelineTest, RunsReportsAndExplainsEveryDrop) {
    write_corpus();
    auto s = spec(base_yaml(1, 1000));
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    PipelineRunOptions o;
    o.show_progress = false;
    auto r = run_pipeline(*s, o);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->files, 2);
    EXPECT_EQ(r->docs_read, 40 + 3);  // good JSONL lines + fortunes
    EXPECT_EQ(r->read_errors.at("bad_json"), 1);
    EXPECT_EQ(r->read_errors.at("missing_text_field"), 1);
    EXPECT_EQ(r->read_errors.at("invalid_utf8"), 1);
    bool named = false;
    for (const std::string& e : r->read_error_examples)
        named |= e.find("a.jsonl:8: malformed JSON") != std::string::npos;
    EXPECT_TRUE(named) << r->read_error_examples.front();
    ASSERT_EQ(r->blocks.size(), 2u);
    EXPECT_EQ(r->blocks[1].name, "length");
    EXPECT_EQ(r->blocks[1].dropped.at("too_few_chars"), 8);  // "short" x 8
    EXPECT_EQ(r->docs_written, 43 - 8);
    EXPECT_GT(r->tokens, 0);
    // Kept documents: normalised (CRLF -> LF, double space kept inside a line).
    const std::string docs = read(path("out/documents/task_00000_part_00000.jsonl"));
    EXPECT_NE(docs.find("\"id\":\"d1\",\"text\":\"Document number 1 talks about  weaving\\nand "
                        "mills.\""),
              std::string::npos);
    EXPECT_NE(docs.find("\"text\":\"first fortune\\nline two\""), std::string::npos);
    // Dropped ones, with their reason.
    const std::string ex = read(path("out/excluded/01_length/task_00000_part_00000.jsonl"));
    EXPECT_NE(ex.find("\"id\":\"d0\",\"reason\":\"too_few_chars\",\"text\":\"short\""),
              std::string::npos)
        << ex;
    // The report on disk, and tokens jenny train can read.
    const auto report = nlohmann::json::parse(read(path("out/report.json")));
    EXPECT_EQ(report["docs_written"], 35);
    auto ds = TokenDataset::open(path("out/tokens/task_00000"));
    ASSERT_TRUE(ds.ok()) << ds.status().to_string();
    EXPECT_EQ((*ds)->n_documents(), 35);
    EXPECT_EQ((*ds)->n_tokens(), r->tokens);
    EXPECT_FALSE(fs::exists(path("out/tokens/parts/task_00000_part_00000.meta.json")));
    // A second run finds the task done and changes nothing.
    auto before = tree("out");
    auto again = run_pipeline(*s, o);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->docs_written, 35);
    auto after = tree("out");
    before.erase("report.json");  // rewritten with this run's seconds
    after.erase("report.json");
    EXPECT_EQ(after, before);
}

// An Env whose n-th rename fails: the run stops mid-way, as a kill would stop it.
class FailingRenameEnv : public base::EnvWrapper {
public:
    FailingRenameEnv(int fail_at) : EnvWrapper(base::Env::Default()), fail_at_(fail_at) {}
    base::Status rename_file(const std::string& f, const std::string& t) override {
        if (++n_ == fail_at_) return base::Status::io_error("injected failure");
        return EnvWrapper::rename_file(f, t);
    }

private:
    int fail_at_, n_ = 0;
};

TEST_F(PipelineTest, ResumeAfterAFailureMidRunGivesIdenticalOutput) {
    write_corpus();
    auto s = spec(base_yaml(2, 4));
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    PipelineRunOptions o;
    o.show_progress = false;
    o.workers = 1;
    ASSERT_TRUE(run_pipeline(*s, o).ok());
    const auto want = tree("out");
    auto want_report = nlohmann::json::parse(read(path("out/report.json")));
    drop_seconds(want_report);
    for (int fail_at : {2, 5, 9}) {
        fs::remove_all(path("out"));
        FailingRenameEnv env(fail_at);
        auto broken = run_pipeline(*s, o, &env);
        ASSERT_FALSE(broken.ok()) << "fail_at " << fail_at;
        EXPECT_FALSE(fs::exists(path("out/report.json")));
        auto resumed = run_pipeline(*s, o);
        ASSERT_TRUE(resumed.ok()) << resumed.status().to_string();
        auto got = tree("out");
        auto got_report = nlohmann::json::parse(got["report.json"]);
        got.erase("report.json");
        auto want_files = want;
        want_files.erase("report.json");
        EXPECT_EQ(got, want_files) << "fail_at " << fail_at;
        EXPECT_EQ(got_report, want_report) << "fail_at " << fail_at;
    }
}

// kill -9 leaves the temporaries of the part being written: a part file's PATH.tmp and a
// token part's meta.json.tmp.<pid>.<hex> (Env::write_file_atomic). The rerun removes them.
TEST_F(PipelineTest, ResumeRemovesTheTemporariesOfAKilledRun) {
    write_corpus();
    auto s = spec(base_yaml(2, 4));
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    PipelineRunOptions o;
    o.show_progress = false;
    o.workers = 1;
    ASSERT_TRUE(run_pipeline(*s, o).ok());
    const auto want = tree("out");
    fs::remove_all(path("out"));
    FailingRenameEnv env(5);
    ASSERT_FALSE(run_pipeline(*s, o, &env).ok());
    write("out/tokens/parts/task_00000_part_00003.meta.json.tmp.4242.1a2b3c", "{}");
    write("out/documents/task_00001_part_00000.jsonl.tmp", "{}");
    ASSERT_TRUE(run_pipeline(*s, o).ok());
    auto got = tree("out");
    got.erase("report.json");
    auto want_files = want;
    want_files.erase("report.json");
    EXPECT_EQ(got, want_files);
}

TEST_F(PipelineTest, TasksRunSeparatelyGiveTheSameOutput) {
    write_corpus();
    write("in/c.jsonl", "{\"text\": \"a third file with enough characters\"}\n");
    auto s = spec(base_yaml(3, 5));
    ASSERT_TRUE(s.ok());
    PipelineRunOptions o;
    o.show_progress = false;
    ASSERT_TRUE(run_pipeline(*s, o).ok());
    auto want = tree("out");
    fs::remove_all(path("out"));
    for (int t : {2, 0, 1}) {
        o.tasks = {t};
        auto r = run_pipeline(*s, o);
        ASSERT_TRUE(r.ok()) << r.status().to_string();
        EXPECT_EQ(r->tasks_done, t == 1 ? 3 : (t == 2 ? 1 : 2));
        EXPECT_EQ(fs::exists(path("out/report.json")), t == 1);
    }
    auto got = tree("out");
    auto a = nlohmann::json::parse(got["report.json"]),
         b = nlohmann::json::parse(want["report.json"]);
    a.erase("seconds");
    b.erase("seconds");
    EXPECT_EQ(a, b);
    got.erase("report.json");
    want.erase("report.json");
    EXPECT_EQ(got, want);
    o.tasks = {3};
    EXPECT_EQ(run_pipeline(*s, o).status().code(), base::StatusCode::kInvalidArgument);
}

TEST_F(PipelineTest, AnotherPipelineInTheSameOutputIsRefused) {
    write_corpus();
    auto s = spec(base_yaml(1, 100));
    PipelineRunOptions o;
    o.show_progress = false;
    ASSERT_TRUE(run_pipeline(*s, o).ok());
    const std::string before = read(path("out/documents/task_00000_part_00000.jsonl"));
    auto other = spec(base_yaml(2, 100));
    auto r = run_pipeline(*other, o);
    ASSERT_EQ(r.status().code(), base::StatusCode::kFailedPrecondition);
    EXPECT_NE(r.status().message().find("--overwrite"), std::string::npos);
    EXPECT_EQ(read(path("out/documents/task_00000_part_00000.jsonl")), before);
    o.overwrite = true;
    auto r2 = run_pipeline(*other, o);
    ASSERT_TRUE(r2.ok()) << r2.status().to_string();
    EXPECT_EQ(r2->tasks_done, 2);
}

TEST_F(PipelineTest, DamagedInputsAreSkippedAndCounted) {
    // A truncated .gz: what decoded is read, the damage reported with the file.
    std::string jsonl;
    for (int i = 0; i < 200; ++i)
        jsonl += "{\"text\": \"line " + std::to_string(i) + " of text\"}\n";
    uLongf cap = compressBound(static_cast<uLong>(jsonl.size())) + 64;
    std::string gz(cap, '\0');
    z_stream zs{};
    deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    zs.next_in = reinterpret_cast<Bytef*>(jsonl.data());
    zs.avail_in = static_cast<uInt>(jsonl.size());
    zs.next_out = reinterpret_cast<Bytef*>(gz.data());
    zs.avail_out = static_cast<uInt>(gz.size());
    deflate(&zs, Z_FINISH);
    gz.resize(zs.total_out);
    deflateEnd(&zs);
    write("in/cut.jsonl.gz", gz.substr(0, gz.size() * 2 / 3));
    write("in/empty.jsonl", "");
    write("in/garbage.jsonl", std::string("\x00\x01\xff{{{\n[1,2]\n\"s\"\n", 17));
    auto s = spec("inputs: [{path: " + path("in") + "/*.jsonl*}]\noutput: " + path("out") +
                  "\nblocks: [normalize]\n");
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    PipelineRunOptions o;
    o.show_progress = false;
    auto r = run_pipeline(*s, o);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->files, 3);
    EXPECT_EQ(r->read_errors.at("truncated_input"), 1);
    EXPECT_GE(r->read_errors.at("bad_json"), 3);
    EXPECT_GT(r->docs_read, 0);
    EXPECT_LT(r->docs_read, 200);
    bool named = false;
    for (const std::string& e : r->read_error_examples)
        named |= e.find("cut.jsonl.gz: not a valid gzip file") != std::string::npos;
    EXPECT_TRUE(named);
}

TEST(PipelineTasksFromEnv, LaunchersPickTasks) {
    class FakeEnv : public base::EnvWrapper {
    public:
        FakeEnv() : EnvWrapper(base::Env::Default()) {}
        std::optional<std::string> get_env(const std::string& n) override {
            auto it = vars.find(n);
            return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
        }
        std::map<std::string, std::string> vars;
    } env;
    std::string who;
    auto r = pipeline_tasks_from_env(4, &who, &env);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->has_value());
    env.vars = {{"SLURM_ARRAY_TASK_ID", "3"}};
    r = pipeline_tasks_from_env(4, &who, &env);
    ASSERT_TRUE(r.ok() && r->has_value());
    EXPECT_EQ(**r, std::vector<int>{3});
    env.vars["SLURM_ARRAY_TASK_ID"] = "4";
    EXPECT_FALSE(pipeline_tasks_from_env(4, &who, &env).ok());
    env.vars = {{"OMPI_COMM_WORLD_RANK", "1"}, {"OMPI_COMM_WORLD_SIZE", "2"}};
    r = pipeline_tasks_from_env(5, &who, &env);
    ASSERT_TRUE(r.ok() && r->has_value());
    EXPECT_EQ(**r, (std::vector<int>{1, 3}));
    env.vars = {{"OMPI_COMM_WORLD_RANK", "3"}, {"OMPI_COMM_WORLD_SIZE", "4"}};
    r = pipeline_tasks_from_env(2, &who, &env);
    ASSERT_TRUE(r.ok() && r->has_value());
    EXPECT_TRUE((*r)->empty());
}

}  // namespace
}  // namespace jenny::data

namespace jenny::data {
namespace {

// Dedup blocks split the pipeline into stages: every task's documents reach the dedup step
// before any task goes on, and the first of each duplicate group (in task order) is kept.
class PipelineDedupTest : public PipelineTest {
protected:
    static std::string words(int seed, int n) {
        std::string s;
        uint64_t x = 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(seed + 1);
        for (int i = 0; i < n; ++i) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            std::string w;  // letters only: dedup normalises digits away
            for (uint64_t v = x % 5000 + 26; v; v /= 26)
                w.push_back(static_cast<char>('a' + v % 26));
            s += (i ? " " : "") + w;
        }
        return s;
    }
    void write_dedup_corpus() {
        const std::string a = words(1, 200), b = words(2, 200);
        std::string near_a = a;
        near_a.replace(near_a.rfind(' '), std::string::npos, " changed");  // last word differs
        auto line = [](const std::string& id, const std::string& t) {
            return nlohmann::json({{"id", id}, {"text", t}}).dump() + "\n";
        };
        write("in/0.jsonl", line("a", a) + line("u1", words(3, 200)) + line("b", b));
        write("in/1.jsonl", line("a_copy", "  " + a + " ") + line("u2", words(4, 200)));
        write("in/2.jsonl", line("a_near", near_a) + line("b_copy", b) + line("u3", words(5, 200)));
    }
    std::string yaml(int commit_every, double wait_minutes = 60) const {
        return "inputs: [{path: " + path("in") + "/*.jsonl}]\noutput: " + path("out") +
               "\ntasks: 3\ncommit_every: " + std::to_string(commit_every) +
               "\ndedup_wait_minutes: " + std::to_string(wait_minutes) +
               "\nblocks:\n  - normalize\n  - exact_dedup\n  - length: {min_chars: 5}\n"
               "  - minhash\n  - tokenize: {tokenizer: " +
               kTokenizer + "}\n";
    }
    std::vector<std::string> kept_ids() const {
        std::vector<std::string> ids;
        for (const auto& [name, text] : tree("out/documents")) {
            std::stringstream ss(text);
            for (std::string l; std::getline(ss, l);) ids.push_back(nlohmann::json::parse(l)["id"]);
        }
        std::sort(ids.begin(), ids.end());
        return ids;
    }
};

TEST_F(PipelineDedupTest, ExactAndNearDuplicatesAcrossTasksAreRemoved) {
    write_dedup_corpus();
    auto s = spec(yaml(2));
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    PipelineRunOptions o;
    o.show_progress = false;
    auto r = run_pipeline(*s, o);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(kept_ids(), (std::vector<std::string>{"a", "b", "u1", "u2", "u3"}));
    ASSERT_EQ(r->blocks.size(), 4u);
    EXPECT_EQ(r->blocks[1].name, "exact_dedup");
    EXPECT_EQ(r->blocks[1].dropped.at("exact_duplicate"), 2);    // a_copy, b_copy
    EXPECT_EQ(r->blocks[3].dropped.at("minhash_duplicate"), 1);  // a_near
    EXPECT_EQ(r->docs_read, 8);
    EXPECT_EQ(r->docs_written, 5);
    const std::string ex = read(path("out/excluded/03_minhash/task_00002_part_00000.jsonl"));
    EXPECT_NE(ex.find("\"id\":\"a_near\",\"reason\":\"minhash_duplicate\""), std::string::npos);
    int64_t docs = 0;
    for (int t = 0; t < 3; ++t) {
        auto ds = TokenDataset::open(path("out/tokens/task_0000" + std::to_string(t)));
        ASSERT_TRUE(ds.ok()) << ds.status().to_string();
        docs += (*ds)->n_documents();
    }
    EXPECT_EQ(docs, 5);
}

TEST_F(PipelineDedupTest, ResumeAfterAFailureInAnyStageGivesIdenticalOutput) {
    write_dedup_corpus();
    auto s = spec(yaml(1));
    ASSERT_TRUE(s.ok());
    PipelineRunOptions o;
    o.show_progress = false;
    o.workers = 1;
    ASSERT_TRUE(run_pipeline(*s, o).ok());
    auto want = tree("out");
    want.erase("report.json");
    for (int fail_at : {3, 8, 14, 20, 27}) {
        fs::remove_all(path("out"));
        FailingRenameEnv env(fail_at);
        EXPECT_FALSE(run_pipeline(*s, o, &env).ok()) << "fail_at " << fail_at;
        auto resumed = run_pipeline(*s, o);
        ASSERT_TRUE(resumed.ok()) << resumed.status().to_string();
        auto got = tree("out");
        got.erase("report.json");
        EXPECT_EQ(got, want) << "fail_at " << fail_at;
        EXPECT_EQ(resumed->docs_written, 5);
    }
}

TEST_F(PipelineDedupTest, TasksInSeparateProcessesMeetAtTheDedupStep) {
    write_dedup_corpus();
    auto s = spec(yaml(2, 0.01));  // wait at most 0.6 s for the other tasks
    ASSERT_TRUE(s.ok());
    PipelineRunOptions o;
    o.show_progress = false;
    o.tasks = {0};
    auto r = run_pipeline(*s, o);
    ASSERT_EQ(r.status().code(), base::StatusCode::kDeadlineExceeded) << r.status().to_string();
    EXPECT_NE(r.status().message().find("tasks 1,2 to finish stage 1"), std::string::npos)
        << r.status().message();
    // Tasks 1 and 2 meet task 0's finished stage 1, run the exact-dedup step, finish stage 2
    // and wait at the minhash step for task 0, which is still at its start of stage 2.
    o.tasks = {1, 2};
    r = run_pipeline(*s, o);
    ASSERT_EQ(r.status().code(), base::StatusCode::kDeadlineExceeded) << r.status().to_string();
    EXPECT_NE(r.status().message().find("tasks 0 to finish stage 2"), std::string::npos)
        << r.status().message();
    o.tasks = {0};
    auto first = run_pipeline(*s, o);
    ASSERT_TRUE(first.ok()) << first.status().to_string();
    EXPECT_EQ(first->tasks_done, 1);
    o.tasks = {1, 2};
    auto last = run_pipeline(*s, o);
    ASSERT_TRUE(last.ok()) << last.status().to_string();
    EXPECT_EQ(last->tasks_done, 3);
    EXPECT_EQ(kept_ids(), (std::vector<std::string>{"a", "b", "u1", "u2", "u3"}));
}

}  // namespace
}  // namespace jenny::data
