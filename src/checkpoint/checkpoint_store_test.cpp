#include "jenny/checkpoint/checkpoint_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <random>

#include "jenny/base/log.h"

namespace jenny::checkpoint {
namespace {

using base::Env;
using base::Result;
using base::Status;
using base::StatusCode;
using ::testing::HasSubstr;

// Deterministic content for (step, file index): every byte depends on both, so a file from
// another step or another file never passes for this one.
std::string content(int64_t step, int file, size_t size) {
    std::string out(size, '\0');
    uint64_t x = static_cast<uint64_t>(step) * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(file);
    for (size_t i = 0; i < size; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out[i] = static_cast<char>(x);
    }
    return out;
}

// The trainer's files, at small sizes; each streamed in `chunk`-byte appends.
const std::vector<std::pair<std::string, size_t>> kLayout = {
    {"config.json", 300},        {"model.safetensors", 40000},
    {"tokenizer.json", 5000},    {"generation_config.json", 100},
    {"trainer_state.json", 700}, {"optimizer.safetensors", 80000},
};

std::vector<CheckpointFile> files_for(
    int64_t step, size_t chunk = 16384,
    const std::vector<std::pair<std::string, size_t>>& layout = kLayout) {
    std::vector<CheckpointFile> out;
    for (size_t i = 0; i < layout.size(); ++i) {
        std::string data = content(step, static_cast<int>(i), layout[i].second);
        out.push_back({layout[i].first, [data, chunk](base::WritableFile& f) {
                           for (size_t off = 0; off < data.size(); off += chunk) {
                               JENNY_RETURN_IF_ERROR(
                                   f.append(std::string_view(data).substr(off, chunk)));
                           }
                           return Status();
                       }});
    }
    return out;
}

class CheckpointStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/jenny_ckpt_test.XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        root_ = dir_ + "/run/checkpoints";
        base::set_log_sink([this](std::string_view line) { log_.emplace_back(line); });
    }
    void TearDown() override {
        base::set_log_sink(nullptr);
        std::string cmd = "rm -rf '" + dir_ + "'";
        ASSERT_EQ(std::system(cmd.c_str()), 0);
    }

    CheckpointStore open(int keep_last, Env* env = Env::Default()) {
        Result<CheckpointStore> s = CheckpointStore::open(root_, keep_last, env);
        EXPECT_TRUE(s.ok()) << s.status().to_string();
        return std::move(s).value();
    }
    static std::vector<int64_t> steps(const std::vector<CheckpointInfo>& v) {
        std::vector<int64_t> out;
        for (const auto& c : v) out.push_back(c.step);
        return out;
    }
    std::vector<std::string> root_entries() { return *Env::Default()->list_dir(root_); }
    // The files of `ckpt` hold exactly what files_for(step) wrote.
    void expect_content(const CheckpointInfo& ckpt, int64_t step,
                        const std::vector<std::pair<std::string, size_t>>& layout = kLayout) {
        for (size_t i = 0; i < layout.size(); ++i) {
            Result<std::string> got = Env::Default()->read_file(ckpt.path + "/" + layout[i].first);
            ASSERT_TRUE(got.ok()) << got.status().to_string();
            EXPECT_TRUE(*got == content(step, static_cast<int>(i), layout[i].second))
                << ckpt.path << "/" << layout[i].first;
        }
    }
    void flip_byte(const std::string& path, size_t offset) {
        std::string data = *Env::Default()->read_file(path);
        data[offset] = static_cast<char>(data[offset] ^ 0x01);
        ASSERT_TRUE(Env::Default()->write_file_atomic(path, data).ok());
    }
    bool logged(const std::string& a, const std::string& b) {
        for (const auto& l : log_) {
            if (l.find(a) != std::string::npos && l.find(b) != std::string::npos) return true;
        }
        return false;
    }

    std::string dir_;
    std::string root_;
    std::vector<std::string> log_;
};

TEST_F(CheckpointStoreTest, SaveListLatestValid) {
    CheckpointStore store = open(3);
    EXPECT_TRUE(Env::Default()->file_exists(root_));  // created
    auto none = store.latest_valid();
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->has_value());

    auto a = store.save(100, files_for(100));
    ASSERT_TRUE(a.ok()) << a.status().to_string();
    EXPECT_EQ(a->step, 100);
    EXPECT_EQ(a->path, root_ + "/step-00000100");
    auto b = store.save(2000, files_for(2000));
    ASSERT_TRUE(b.ok()) << b.status().to_string();
    EXPECT_EQ(steps(store.list()), (std::vector<int64_t>{100, 2000}));
    EXPECT_EQ(root_entries(), (std::vector<std::string>{"step-00000100", "step-00002000"}));

    auto latest = store.latest_valid();
    ASSERT_TRUE(latest.ok());
    ASSERT_TRUE(latest->has_value());
    EXPECT_EQ((*latest)->step, 2000);
    EXPECT_EQ((*latest)->path, b->path);
    expect_content(**latest, 2000);
    expect_content(*a, 100);
    EXPECT_TRUE(store.verify(a->path).ok());

    // The manifest: format, step, algorithm, every file with its size and checksum, in order.
    auto m = nlohmann::json::parse(*Env::Default()->read_file(b->path + "/manifest.json"));
    EXPECT_EQ(m["format"], "jenny-checkpoint");
    EXPECT_EQ(m["version"], 1);
    EXPECT_EQ(m["step"], 2000);
    EXPECT_EQ(m["checksum_algorithm"], "xxh3-128");
    ASSERT_EQ(m["files"].size(), kLayout.size());
    for (size_t i = 0; i < kLayout.size(); ++i) {
        EXPECT_EQ(m["files"][i]["name"], kLayout[i].first);
        EXPECT_EQ(m["files"][i]["size"], kLayout[i].second);
        EXPECT_EQ(m["files"][i]["checksum"].get<std::string>().size(), 32u);
    }
    // A new store over the same root sees the same checkpoints.
    CheckpointStore again = open(3);
    EXPECT_EQ(steps(again.list()), (std::vector<int64_t>{100, 2000}));
    // Steps past 8 digits keep sorting numerically.
    ASSERT_TRUE(again.save(123456789, files_for(7)).ok());
    EXPECT_EQ(steps(again.list()), (std::vector<int64_t>{100, 2000, 123456789}));
    EXPECT_TRUE(Env::Default()->file_exists(root_ + "/step-123456789"));
}

TEST_F(CheckpointStoreTest, ChecksumIsXxh3_128OfTheBytes) {
    CheckpointStore store = open(1);
    auto c = store.save(1, {{"empty.bin", [](base::WritableFile&) { return Status(); }},
                            {"abc.txt", [](base::WritableFile& f) { return f.append("abc"); }}});
    ASSERT_TRUE(c.ok()) << c.status().to_string();
    auto m = nlohmann::json::parse(*Env::Default()->read_file(c->path + "/manifest.json"));
    // Published XXH3-128 values (canonical big-endian hex, as `xxh128sum` prints them).
    EXPECT_EQ(m["files"][0]["checksum"], "99aa06d3014798d86001c324468d497f");
    EXPECT_EQ(m["files"][0]["size"], 0);
    EXPECT_EQ(m["files"][1]["size"], 3);
    EXPECT_TRUE(store.verify(c->path).ok());
}

TEST_F(CheckpointStoreTest, KeepLastDeletesTheOldestOnlyAfterTheNewOneVerifies) {
    CheckpointStore store = open(2);
    for (int64_t step : {10, 20, 30}) ASSERT_TRUE(store.save(step, files_for(step)).ok());
    EXPECT_EQ(steps(store.list()), (std::vector<int64_t>{20, 30}));
    EXPECT_EQ(root_entries(), (std::vector<std::string>{"step-00000020", "step-00000030"}));

    // A disk that flips a bit on the way: the new checkpoint does not verify, so nothing older
    // is deleted and the bad one is not left under a step-* name.
    class FlippingEnv : public base::EnvWrapper {
    public:
        using EnvWrapper::EnvWrapper;
        Result<std::unique_ptr<base::WritableFile>> new_writable_file(
            const std::string& p) override {
            JENNY_ASSIGN_OR_RETURN(auto f, target()->new_writable_file(p));
            if (p.find("optimizer.safetensors") == std::string::npos) return f;
            class Bad : public base::WritableFile {
            public:
                explicit Bad(std::unique_ptr<base::WritableFile> f) : f_(std::move(f)) {}
                Status append(std::string_view d) override {
                    std::string copy(d);
                    if (!copy.empty()) copy[copy.size() / 2] ^= 0x10;
                    return f_->append(copy);
                }
                Status sync() override { return f_->sync(); }
                Status close() override { return f_->close(); }
                std::unique_ptr<base::WritableFile> f_;
            };
            return std::unique_ptr<base::WritableFile>(new Bad(std::move(f)));
        }
    } flipping(Env::Default());
    CheckpointStore bad_store = open(1, &flipping);
    auto r = bad_store.save(40, files_for(40));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
    EXPECT_THAT(r.status().message(), HasSubstr("optimizer.safetensors"));
    EXPECT_THAT(r.status().message(), HasSubstr("does not verify"));
    EXPECT_EQ(root_entries(), (std::vector<std::string>{"step-00000020", "step-00000030"}));
    EXPECT_EQ((*store.latest_valid())->step, 30);
}

TEST_F(CheckpointStoreTest, CorruptNewestIsSkippedWithAWarning) {
    CheckpointStore store = open(5);
    for (int64_t step : {1, 2, 3}) ASSERT_TRUE(store.save(step, files_for(step)).ok());
    std::string newest = root_ + "/step-00000003";
    flip_byte(newest + "/model.safetensors", 12345);
    log_.clear();
    auto latest = store.latest_valid();
    ASSERT_TRUE(latest.ok());
    EXPECT_EQ((*latest)->step, 2);
    EXPECT_TRUE(logged(newest, "model.safetensors")) << ::testing::PrintToString(log_);
    EXPECT_TRUE(logged(newest, "checksum"));
    Status s = store.verify(newest);
    EXPECT_EQ(s.code(), StatusCode::kCorruption);
    EXPECT_THAT(s.message(), HasSubstr("xxh3-128 checksum"));
    EXPECT_EQ(steps(store.list()), (std::vector<int64_t>{1, 2, 3}));  // list() does not judge

    // Truncated, too: the size is checked first.
    std::string mid = root_ + "/step-00000002";
    std::string data = *Env::Default()->read_file(mid + "/optimizer.safetensors");
    ASSERT_TRUE(Env::Default()
                    ->write_file_atomic(mid + "/optimizer.safetensors", data.substr(0, 1000))
                    .ok());
    log_.clear();
    EXPECT_EQ((*store.latest_valid())->step, 1);
    EXPECT_TRUE(logged(mid, "1000 bytes, the manifest says 80000"))
        << ::testing::PrintToString(log_);
}

TEST_F(CheckpointStoreTest, CorruptOlderDoesNotHideTheNewest) {
    CheckpointStore store = open(5);
    for (int64_t step : {1, 2}) ASSERT_TRUE(store.save(step, files_for(step)).ok());
    flip_byte(root_ + "/step-00000001/config.json", 0);
    log_.clear();
    EXPECT_EQ((*store.latest_valid())->step, 2);
    EXPECT_TRUE(log_.empty());  // the newest verifies: the older one is not even read
    EXPECT_THAT(store.verify(root_ + "/step-00000001").message(), HasSubstr("config.json"));
}

TEST_F(CheckpointStoreTest, MissingOrBadManifestIsSkipped) {
    CheckpointStore store = open(5);
    for (int64_t step : {1, 2, 3, 4}) ASSERT_TRUE(store.save(step, files_for(step)).ok());
    // A truncated copy of a checkpoint folder: no manifest.
    ASSERT_TRUE(Env::Default()->remove_file(root_ + "/step-00000004/manifest.json").ok());
    // A manifest cut short.
    std::string m3 = root_ + "/step-00000003/manifest.json";
    ASSERT_TRUE(
        Env::Default()->write_file_atomic(m3, Env::Default()->read_file(m3)->substr(0, 50)).ok());
    // A file the manifest lists is gone.
    ASSERT_TRUE(Env::Default()->remove_file(root_ + "/step-00000002/tokenizer.json").ok());
    log_.clear();
    auto latest = store.latest_valid();
    ASSERT_TRUE(latest.ok());
    EXPECT_EQ((*latest)->step, 1);
    EXPECT_TRUE(logged("step-00000004", "no manifest.json")) << ::testing::PrintToString(log_);
    EXPECT_TRUE(logged("step-00000003", "not a JSON object"));
    EXPECT_TRUE(logged("step-00000002", "tokenizer.json is missing"));
    EXPECT_EQ(store.verify(root_ + "/step-00000009").code(), StatusCode::kNotFound);

    // A manifest copied from another step, and one naming a file outside the directory.
    ASSERT_TRUE(
        Env::Default()
            ->write_file_atomic(root_ + "/step-00000004/manifest.json",
                                *Env::Default()->read_file(root_ + "/step-00000001/manifest.json"))
            .ok());
    EXPECT_THAT(store.verify(root_ + "/step-00000004").message(),
                HasSubstr("says step 1 but the directory is step 4"));
    auto m =
        nlohmann::json::parse(*Env::Default()->read_file(root_ + "/step-00000001/manifest.json"));
    m["files"][0]["name"] = "../../etc/passwd";
    ASSERT_TRUE(
        Env::Default()->write_file_atomic(root_ + "/step-00000001/manifest.json", m.dump()).ok());
    EXPECT_THAT(store.verify(root_ + "/step-00000001").message(), HasSubstr("'/'"));
    EXPECT_FALSE(store.latest_valid()->has_value());
}

TEST_F(CheckpointStoreTest, StaleTemporaryFromACrashIsIgnoredThenRemoved) {
    CheckpointStore store = open(2);
    ASSERT_TRUE(store.save(5, files_for(5)).ok());
    // What a run killed mid-save leaves: a temporary directory with some files, no manifest.
    std::string stale = root_ + "/.tmp-step-00000010-424242";
    ASSERT_TRUE(Env::Default()->create_dirs(stale).ok());
    ASSERT_TRUE(Env::Default()->write_file_atomic(stale + "/model.safetensors", "half").ok());
    std::string stale2 = root_ + "/.tmp-delete-step-00000001-7";
    ASSERT_TRUE(Env::Default()->create_dirs(stale2).ok());
    EXPECT_EQ(steps(store.list()), (std::vector<int64_t>{5}));
    EXPECT_EQ((*store.latest_valid())->step, 5);
    // Other names in the folder are not checkpoints either.
    ASSERT_TRUE(Env::Default()->write_file_atomic(root_ + "/notes.txt", "x").ok());
    ASSERT_TRUE(Env::Default()->create_dirs(root_ + "/step-12x").ok());
    EXPECT_EQ(steps(store.list()), (std::vector<int64_t>{5}));

    ASSERT_TRUE(store.save(10, files_for(10)).ok());
    EXPECT_EQ(root_entries(), (std::vector<std::string>{"notes.txt", "step-00000005",
                                                        "step-00000010", "step-12x"}));
    expect_content(*store.latest_valid().value(), 10);
}

TEST_F(CheckpointStoreTest, ResavingAStepReplacesItWhole) {
    CheckpointStore store = open(3);
    ASSERT_TRUE(store.save(1, files_for(1)).ok());
    ASSERT_TRUE(store.save(2, files_for(2)).ok());
    flip_byte(root_ + "/step-00000002/model.safetensors", 1);
    // Resume skipped step 2; training reaches step 2 again and saves it.
    EXPECT_EQ((*store.latest_valid())->step, 1);
    auto again = store.save(2, files_for(22));
    ASSERT_TRUE(again.ok()) << again.status().to_string();
    EXPECT_EQ((*store.latest_valid())->step, 2);
    expect_content(*again, 22);
    EXPECT_EQ(root_entries(), (std::vector<std::string>{"step-00000001", "step-00000002"}));
}

TEST_F(CheckpointStoreTest, CorruptCheckpointsDoNotCountTowardKeepLast) {
    CheckpointStore store = open(2);
    ASSERT_TRUE(store.save(1, files_for(1)).ok());
    ASSERT_TRUE(store.save(2, files_for(2)).ok());
    flip_byte(root_ + "/step-00000002/config.json", 3);
    CheckpointStore fresh = open(2);  // a resumed process: nothing verified yet
    ASSERT_TRUE(fresh.save(3, files_for(3)).ok());
    // keep_last 2 valid: 3 and 1; the corrupt 2 sits between them and is left for a human.
    EXPECT_EQ(steps(fresh.list()), (std::vector<int64_t>{1, 2, 3}));
    EXPECT_TRUE(logged("step-00000002", "does not count toward keep_last"));
    ASSERT_TRUE(fresh.save(4, files_for(4)).ok());
    EXPECT_EQ(steps(fresh.list()), (std::vector<int64_t>{3, 4}));
    // A checkpoint with a larger step (an abandoned run's) is never deleted by a smaller save.
    CheckpointStore one = open(1);
    ASSERT_TRUE(one.save(2, files_for(2)).ok());
    EXPECT_EQ(steps(one.list()), (std::vector<int64_t>{2, 3, 4}));
}

TEST_F(CheckpointStoreTest, BadArguments) {
    EXPECT_EQ(CheckpointStore::open(root_, 0).status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(CheckpointStore::open("", 1).status().code(), StatusCode::kInvalidArgument);
    ASSERT_TRUE(Env::Default()->write_file_atomic(dir_ + "/file", "x").ok());
    EXPECT_FALSE(CheckpointStore::open(dir_ + "/file/sub", 1).ok());
    CheckpointStore store = open(1);
    auto ok_write = [](base::WritableFile& f) { return f.append("x"); };
    for (std::string name : {"", "a/b", ".hidden", "manifest.json"}) {
        auto r = store.save(1, {{name, ok_write}});
        EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << name;
    }
    EXPECT_THAT(store.save(1, {{"a", ok_write}, {"a", ok_write}}).status().message(),
                HasSubstr("listed twice"));
    EXPECT_EQ(store.save(-1, {{"a", ok_write}}).status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(store.save(1, {{"a", nullptr}}).status().code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(root_entries().empty());
}

TEST_F(CheckpointStoreTest, CallbackErrorsFailTheSave) {
    CheckpointStore store = open(1);
    ASSERT_TRUE(store.save(1, files_for(1)).ok());
    auto r = store.save(2, {{"model.safetensors", [](base::WritableFile& f) {
                                 JENNY_RETURN_IF_ERROR(f.append("partial"));
                                 return Status::invalid_argument("tensor w has NaNs");
                             }}});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr("model.safetensors: tensor w has NaNs"));
    EXPECT_THAT(r.status().message(), HasSubstr("earlier checkpoints are intact"));
    EXPECT_EQ(root_entries(), (std::vector<std::string>{"step-00000001"}));
    // A callback that closes the file itself is fine.
    auto c = store.save(3, {{"a", [](base::WritableFile& f) {
                                 JENNY_RETURN_IF_ERROR(f.append("abc"));
                                 JENNY_RETURN_IF_ERROR(f.sync());
                                 return f.close();
                             }}});
    ASSERT_TRUE(c.ok()) << c.status().to_string();
    EXPECT_EQ(*Env::Default()->read_file(c->path + "/a"), "abc");
}

// ---------------------------------------------------------------------------------------------
// Faults injected through Env: a full disk at the N-th append, a failing fsync / open / rename,
// and (in a child process) SIGKILL at the N-th operation.

class FaultEnv : public base::EnvWrapper {
public:
    explicit FaultEnv(Env* t) : EnvWrapper(t) {}

    long fail_append_at = -1;  // the N-th append (counting from 0) writes half, then ENOSPC
    long fail_sync_at = -1;
    long fail_open_at = -1;
    long fail_rename_at = -1;
    long kill_at_op = -1;  // SIGKILL before the N-th mutating operation
    bool swallow = false;  // the caller's file callback ignores append errors
    long appends = 0, syncs = 0, opens = 0, renames = 0, ops = 0;

    void reset_counts() { appends = syncs = opens = renames = ops = 0; }
    void op() {
        if (ops++ == kill_at_op) ::raise(SIGKILL);
    }

    Result<std::unique_ptr<base::WritableFile>> new_writable_file(const std::string& p) override {
        op();
        if (opens++ == fail_open_at) {
            return Status::resource_exhausted("create " + p +
                                              ": No space left on device (free some disk space "
                                              "and retry)");
        }
        JENNY_ASSIGN_OR_RETURN(auto f, target()->new_writable_file(p));
        return std::unique_ptr<base::WritableFile>(new File(this, p, std::move(f)));
    }
    Status rename_file(const std::string& f, const std::string& t) override {
        op();
        if (renames++ == fail_rename_at) {
            return Status::io_error("rename " + f + " -> " + t + ": Input/output error");
        }
        return target()->rename_file(f, t);
    }
    Status remove_file(const std::string& p) override {
        op();
        return target()->remove_file(p);
    }
    Status create_dirs(const std::string& p) override {
        op();
        return target()->create_dirs(p);
    }

private:
    class File : public base::WritableFile {
    public:
        File(FaultEnv* env, std::string path, std::unique_ptr<base::WritableFile> f)
            : env_(env), path_(std::move(path)), f_(std::move(f)) {}
        Status append(std::string_view d) override {
            env_->op();
            if (env_->appends++ == env_->fail_append_at) {
                f_->append(d.substr(0, d.size() / 2)).ok();
                return Status::resource_exhausted(
                    "write " + path_ +
                    ": No space left on device (free some disk space and retry)");
            }
            return f_->append(d);
        }
        Status sync() override {
            env_->op();
            if (env_->syncs++ == env_->fail_sync_at) {
                return Status::io_error("fsync " + path_ + ": Input/output error");
            }
            return f_->sync();
        }
        Status close() override { return f_->close(); }

    private:
        FaultEnv* env_;
        std::string path_;
        std::unique_ptr<base::WritableFile> f_;
    };
};

// After a failed save: the earlier checkpoints are exactly as before and still valid.
class CheckpointFaultTest : public CheckpointStoreTest {
protected:
    void SetUp() override {
        CheckpointStoreTest::SetUp();
        CheckpointStore store = open(2);
        ASSERT_TRUE(store.save(1, files_for(1)).ok());
        ASSERT_TRUE(store.save(2, files_for(2)).ok());
        before_ = root_entries();
    }
    void expect_intact(const Result<CheckpointInfo>& r, StatusCode code, const std::string& what) {
        ASSERT_FALSE(r.ok()) << what;
        EXPECT_EQ(r.status().code(), code) << what << ": " << r.status().to_string();
        EXPECT_THAT(r.status().message(), HasSubstr("saving checkpoint step 3")) << what;
        EXPECT_THAT(r.status().message(), HasSubstr("earlier checkpoints are intact")) << what;
        EXPECT_EQ(root_entries(), before_) << what;  // no step-3, no temporary
        CheckpointStore check = open(2);
        auto latest = check.latest_valid();
        ASSERT_TRUE(latest.ok());
        ASSERT_TRUE(latest->has_value());
        EXPECT_EQ((*latest)->step, 2) << what;
        EXPECT_TRUE(check.verify(root_ + "/step-00000001").ok()) << what;
        expect_content(**latest, 2);
    }
    // How many of each operation a clean save of step 3 performs.
    FaultEnv dry_run() {
        FaultEnv counting(Env::Default());
        {
            std::string scratch = dir_ + "/scratch";
            CheckpointStore s = *CheckpointStore::open(scratch, 2, &counting);
            counting.reset_counts();
            EXPECT_TRUE(s.save(3, files_for(3)).ok());
        }
        return counting;
    }

    std::vector<std::string> before_;
};

TEST_F(CheckpointFaultTest, DiskFullAtEveryAppend) {
    FaultEnv counts = dry_run();
    // 6 files streamed in 16 KB pieces, then the manifest's one append.
    ASSERT_GE(counts.appends, 12);
    for (long n = 0; n < counts.appends; ++n) {
        for (bool swallow : {false, true}) {
            FaultEnv env(Env::Default());
            env.fail_append_at = n;
            CheckpointStore store = open(2, &env);
            std::vector<CheckpointFile> files = files_for(3);
            if (swallow) {
                for (auto& f : files) {
                    auto inner = f.write;
                    f.write = [inner](base::WritableFile& w) {
                        inner(w).ok();  // a careless callback
                        return Status();
                    };
                }
            }
            std::string what = "append " + std::to_string(n) + (swallow ? " (swallowed)" : "");
            auto r = store.save(3, files);
            expect_intact(r, StatusCode::kResourceExhausted, what);
            EXPECT_THAT(r.status().message(), HasSubstr("No space left on device")) << what;
            EXPECT_THAT(r.status().message(), HasSubstr("disk space")) << what;
            if (n == counts.appends - 1) {
                EXPECT_THAT(r.status().message(), HasSubstr("manifest.json")) << what;
            }
            if (n == 0) {
                EXPECT_THAT(r.status().message(), HasSubstr("config.json: write ")) << what;
            }
        }
    }
}

TEST_F(CheckpointFaultTest, FailedOpenSyncOrRename) {
    FaultEnv counts = dry_run();
    ASSERT_EQ(counts.opens, 7);  // 6 files + the manifest's temporary
    ASSERT_EQ(counts.syncs, 7);
    for (long n = 0; n < counts.opens; ++n) {
        FaultEnv env(Env::Default());
        env.fail_open_at = n;
        CheckpointStore store = open(2, &env);
        auto r = store.save(3, files_for(3));
        expect_intact(r, StatusCode::kResourceExhausted, "open " + std::to_string(n));
    }
    for (long n = 0; n < counts.syncs; ++n) {
        FaultEnv env(Env::Default());
        env.fail_sync_at = n;
        CheckpointStore store = open(2, &env);
        auto r = store.save(3, files_for(3));
        expect_intact(r, StatusCode::kIoError, "sync " + std::to_string(n));
        EXPECT_THAT(r.status().message(), HasSubstr("Input/output error"));
    }
    // Renames: the manifest into the temporary directory, then the directory into place (then
    // pruning's, which happen after the new checkpoint is safe).
    for (long n = 0; n < 2; ++n) {
        FaultEnv env(Env::Default());
        env.fail_rename_at = n;
        CheckpointStore store = open(2, &env);
        auto r = store.save(3, files_for(3));
        expect_intact(r, StatusCode::kIoError, "rename " + std::to_string(n));
    }
}

TEST_F(CheckpointFaultTest, FailedDeleteOfAnOldCheckpointIsAWarning) {
    FaultEnv env(Env::Default());
    env.fail_rename_at = 2;  // pruning's rename of step-1 out of sight
    CheckpointStore store = open(2, &env);
    auto r = store.save(3, files_for(3));
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_TRUE(logged("could not delete old checkpoint", "step-00000001"));
    EXPECT_EQ(steps(store.list()), (std::vector<int64_t>{1, 2, 3}));
    ASSERT_TRUE(store.save(4, files_for(4)).ok());  // tried again next time
    EXPECT_EQ(steps(store.list()), (std::vector<int64_t>{3, 4}));
}

// Runs `child` in a forked process and returns how it ended (signal number, or 0 for exit 0).
template <typename F>
int run_in_child(F child, long kill_after_micros = -1) {
    pid_t pid = ::fork();
    if (pid == 0) {
        base::set_log_level(base::LogLevel::kOff);
        child();
        ::_exit(0);
    }
    if (kill_after_micros >= 0) {
        ::usleep(static_cast<useconds_t>(kill_after_micros));
        ::kill(pid, SIGKILL);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) return WTERMSIG(status);
    return WEXITSTATUS(status) == 0 ? 0 : -1;
}

class CheckpointCrashTest : public CheckpointStoreTest {
protected:
    // Few files, few appends: every operation of a save gets its own crash.
    static inline const std::vector<std::pair<std::string, size_t>> kSmall = {
        {"config.json", 100}, {"model.safetensors", 40000}, {"trainer_state.json", 50}};
    static std::vector<CheckpointFile> small_files(int64_t step) {
        return files_for(step, 16384, kSmall);
    }

    // After any crash: every step-* directory verifies (a partial checkpoint is never under
    // that name), resume gets step `old_step` or `new_step` with its exact content, and the
    // next save cleans up whatever the crash left.
    void check_after_crash(const std::string& root, int64_t old_step, int64_t new_step,
                           const std::string& what) {
        CheckpointStore store = *CheckpointStore::open(root, 1);
        for (const CheckpointInfo& c : store.list()) {
            EXPECT_TRUE(store.verify(c.path).ok())
                << what << ": " << store.verify(c.path).message();
        }
        auto latest = store.latest_valid();
        ASSERT_TRUE(latest.ok());
        ASSERT_TRUE(latest->has_value()) << what;
        int64_t got = (*latest)->step;
        EXPECT_TRUE(got == old_step || got == new_step) << what << ": resumed from " << got;
        expect_content(**latest, got, kSmall);
        ASSERT_TRUE(store.save(new_step + 1, small_files(new_step + 1)).ok()) << what;
        EXPECT_EQ(*Env::Default()->list_dir(root),
                  std::vector<std::string>{fmt::format("step-{:08d}", new_step + 1)})
            << what;
    }
};

TEST_F(CheckpointCrashTest, KilledAtEveryOperation) {
    // keep_last 1, so a crash can also land while step 1 is being deleted.
    FaultEnv counting(Env::Default());
    {
        CheckpointStore s = *CheckpointStore::open(dir_ + "/scratch", 1, &counting);
        ASSERT_TRUE(s.save(1, small_files(1)).ok());
        counting.reset_counts();
        ASSERT_TRUE(s.save(2, small_files(2)).ok());
    }
    // mkdir, 3 x (open, 1-3 appends, fsync), the manifest (open, append, fsync, rename), the
    // directory's rename, then step 1's rename out of sight and its 4 removals.
    long total_ops = counting.ops;
    EXPECT_EQ(total_ops, 22);
    for (long k = 0; k <= total_ops; ++k) {
        std::string root = fmt::format("{}/crash{}", dir_, k);
        ASSERT_TRUE(CheckpointStore::open(root, 1)->save(1, small_files(1)).ok());
        int sig = run_in_child([&] {
            FaultEnv env(Env::Default());
            CheckpointStore s = *CheckpointStore::open(root, 1, &env);
            env.reset_counts();
            env.kill_at_op = k;
            s.save(2, small_files(2)).ok();
        });
        EXPECT_EQ(sig, k < total_ops ? SIGKILL : 0) << "op " << k;
        check_after_crash(root, 1, 2, "killed before op " + std::to_string(k));
    }
}

TEST_F(CheckpointCrashTest, KilledAtRandomMoments) {
    // Bigger files, written by the real Env; the parent SIGKILLs the child at a random time
    // within what one save takes.
    const std::vector<std::pair<std::string, size_t>> big = {
        {"config.json", 500}, {"model.safetensors", 3 << 20}, {"optimizer.safetensors", 3 << 20}};
    auto save = [&](const std::string& root, int64_t step) {
        CheckpointStore s = *CheckpointStore::open(root, 1);
        return s.save(step, files_for(step, 1 << 16, big));
    };
    uint64_t t0 = Env::Default()->now_micros();
    ASSERT_TRUE(save(dir_ + "/timing", 1).ok());
    ASSERT_TRUE(save(dir_ + "/timing", 2).ok());
    uint64_t per_save = (Env::Default()->now_micros() - t0) / 2;
    std::mt19937_64 rng(12345);
    int killed = 0;
    const int kTrials = 8;
    for (int trial = 0; trial < kTrials; ++trial) {
        std::string root = fmt::format("{}/random{}", dir_, trial);
        ASSERT_TRUE(save(root, 1).ok());
        // The child's own start-up is part of the window; spread kills over 1.5 saves.
        long when = static_cast<long>(rng() % (per_save * 3 / 2 + 1));
        int sig = run_in_child([&] { save(root, 2).ok(); }, when);
        killed += sig == SIGKILL;
        CheckpointStore store = *CheckpointStore::open(root, 1);
        for (const CheckpointInfo& c : store.list()) {
            EXPECT_TRUE(store.verify(c.path).ok()) << store.verify(c.path).message();
        }
        auto latest = store.latest_valid();
        ASSERT_TRUE(latest.ok() && latest->has_value()) << "trial " << trial;
        int64_t got = (*latest)->step;
        EXPECT_TRUE(got == 1 || got == 2) << "trial " << trial;
        std::string model = *Env::Default()->read_file((*latest)->path + "/model.safetensors");
        EXPECT_TRUE(model == content(got, 1, big[1].second)) << "trial " << trial;
        ASSERT_TRUE(save(root, 3).ok());
        EXPECT_EQ(*Env::Default()->list_dir(root), std::vector<std::string>{"step-00000003"});
    }
    RecordProperty("killed", killed);
    std::fprintf(stderr, "one save %.1f ms; %d of %d trials killed the child mid-save\n",
                 per_save / 1e3, killed, kTrials);
    EXPECT_GE(killed, 1) << "per save " << per_save << " us: no trial killed the child";
}

}  // namespace
}  // namespace jenny::checkpoint
