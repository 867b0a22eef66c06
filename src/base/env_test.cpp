#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "jenny/base/env.h"

namespace jenny::base {
namespace {

class EnvTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/jenny_env_test.XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override {
        std::string cmd = "rm -rf '" + dir_ + "'";
        ASSERT_EQ(std::system(cmd.c_str()), 0);
    }
    std::vector<std::string> entries() { return *env_->list_dir(dir_); }

    Env* env_ = Env::Default();
    std::string dir_;
};

TEST_F(EnvTest, WriteReadRoundTrip) {
    std::string path = dir_ + "/a.txt";
    ASSERT_TRUE(env_->write_file_atomic(path, "hello").ok());
    EXPECT_EQ(*env_->read_file(path), "hello");
    ASSERT_TRUE(env_->write_file_atomic(path, "second version").ok());
    EXPECT_EQ(*env_->read_file(path), "second version");
    EXPECT_EQ(*env_->file_size(path), 14u);
    EXPECT_EQ(entries(), std::vector<std::string>{"a.txt"});  // no temporary left behind
}

TEST_F(EnvTest, MissingFileIsNotFoundWithPath) {
    Result<std::string> r = env_->read_file(dir_ + "/nope");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
    EXPECT_NE(r.status().message().find("/nope"), std::string::npos);
}

TEST_F(EnvTest, CreateDirsListDirRemove) {
    ASSERT_TRUE(env_->create_dirs(dir_ + "/x/y/z").ok());
    ASSERT_TRUE(env_->create_dirs(dir_ + "/x/y/z").ok());  // idempotent
    ASSERT_TRUE(env_->write_file_atomic(dir_ + "/x/b", "1").ok());
    ASSERT_TRUE(env_->write_file_atomic(dir_ + "/x/a", "1").ok());
    EXPECT_EQ(*env_->list_dir(dir_ + "/x"), (std::vector<std::string>{"a", "b", "y"}));
    ASSERT_TRUE(env_->remove_file(dir_ + "/x/a").ok());
    EXPECT_FALSE(env_->file_exists(dir_ + "/x/a"));
    EXPECT_FALSE(env_->create_dirs(dir_ + "/x/b/c").ok());  // b is a file
}

TEST_F(EnvTest, MapFile) {
    std::string path = dir_ + "/m.bin";
    std::string data(100000, 'q');
    data[777] = 'Z';
    ASSERT_TRUE(env_->write_file_atomic(path, data).ok());
    auto m = env_->map_file(path);
    ASSERT_TRUE(m.ok());
    ASSERT_EQ((*m)->size(), data.size());
    EXPECT_EQ((*m)->data()[777], 'Z');
    ASSERT_TRUE(env_->write_file_atomic(dir_ + "/empty", "").ok());
    auto e = env_->map_file(dir_ + "/empty");
    ASSERT_TRUE(e.ok());
    EXPECT_EQ((*e)->size(), 0u);
}

// A file that accepts `budget` bytes, then fails like a full disk.
class FailingFile : public WritableFile {
public:
    FailingFile(std::unique_ptr<WritableFile> inner, size_t budget)
        : inner_(std::move(inner)), budget_(budget) {}
    Status append(std::string_view data) override {
        size_t n = std::min(budget_, data.size());
        JENNY_RETURN_IF_ERROR(inner_->append(data.substr(0, n)));
        budget_ -= n;
        if (n < data.size()) return Status::resource_exhausted("No space left on device");
        return Status();
    }
    Status sync() override { return inner_->sync(); }
    Status close() override { return inner_->close(); }

private:
    std::unique_ptr<WritableFile> inner_;
    size_t budget_;
};

class FaultEnv : public EnvWrapper {
public:
    explicit FaultEnv(Env* t) : EnvWrapper(t) {}
    Result<std::unique_ptr<WritableFile>> new_writable_file(const std::string& p) override {
        JENNY_ASSIGN_OR_RETURN(auto f, target()->new_writable_file(p));
        if (fail_after_bytes < 0) return f;
        if (kill_after_bytes >= 0) {
            // Simulates a crash: the process dies with the temporary half written.
            JENNY_RETURN_IF_ERROR(
                f->append(std::string(static_cast<size_t>(kill_after_bytes), 'x')));
            ::raise(SIGKILL);
        }
        return std::unique_ptr<WritableFile>(
            new FailingFile(std::move(f), static_cast<size_t>(fail_after_bytes)));
    }
    Status rename_file(const std::string& f, const std::string& t) override {
        if (fail_rename) return Status::io_error("rename: Input/output error");
        return target()->rename_file(f, t);
    }
    long fail_after_bytes = -1;
    long kill_after_bytes = -1;
    bool fail_rename = false;
};

TEST_F(EnvTest, FailedWriteMidwayLeavesOldFileIntact) {
    std::string path = dir_ + "/ckpt.json";
    ASSERT_TRUE(env_->write_file_atomic(path, "old contents").ok());
    FaultEnv fault(env_);
    fault.fail_after_bytes = 1000;
    Status s = fault.write_file_atomic(path, std::string(5000, 'n'));
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
    EXPECT_NE(s.message().find("previous version is intact"), std::string::npos) << s.message();
    EXPECT_EQ(*env_->read_file(path), "old contents");
    EXPECT_EQ(entries(), std::vector<std::string>{"ckpt.json"});  // temporary removed
}

TEST_F(EnvTest, FailedRenameLeavesOldFileIntact) {
    std::string path = dir_ + "/ckpt.json";
    ASSERT_TRUE(env_->write_file_atomic(path, "old").ok());
    FaultEnv fault(env_);
    fault.fail_rename = true;
    ASSERT_FALSE(fault.write_file_atomic(path, "new").ok());
    EXPECT_EQ(*env_->read_file(path), "old");
    EXPECT_EQ(entries(), std::vector<std::string>{"ckpt.json"});
}

TEST_F(EnvTest, CrashMidWriteLeavesOldFileIntact) {
    std::string path = dir_ + "/state.bin";
    ASSERT_TRUE(env_->write_file_atomic(path, "generation 1").ok());
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        FaultEnv fault(Env::Default());
        fault.fail_after_bytes = 0;
        fault.kill_after_bytes = 4096;
        (void)fault.write_file_atomic(path, std::string(1 << 20, 'g'));
        ::_exit(0);  // not reached: the write kills the process
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGKILL);
    EXPECT_EQ(*env_->read_file(path), "generation 1");
    // The crashed writer's temporary is beside it, never in its place.
    for (const auto& name : entries()) {
        if (name != "state.bin") {
            EXPECT_EQ(name.rfind("state.bin.tmp.", 0), 0u) << name;
        }
    }
}

TEST_F(EnvTest, SubprocessCapturesOutputAndExitCode) {
    SubprocessOptions opts;
    opts.stdin_data = "line one\nline two\n";
    auto r = env_->run_subprocess({"sh", "-c", "cat; echo err >&2; exit 3"}, opts);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->exit_code, 3);
    EXPECT_EQ(r->stdout_data, "line one\nline two\n");
    EXPECT_EQ(r->stderr_data, "err\n");
    EXPECT_FALSE(r->timed_out);
}

TEST_F(EnvTest, SubprocessLargeOutputAndEnv) {
    SubprocessOptions opts;
    opts.env["JENNY_TEST_VAR"] = "xyz";
    auto r = env_->run_subprocess(
        {"sh", "-c", "head -c 1000000 /dev/zero; printf %s \"$JENNY_TEST_VAR\" >&2"}, opts);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->stdout_data.size(), 1000000u);
    EXPECT_EQ(r->stderr_data, "xyz");
}

TEST_F(EnvTest, SubprocessTimeoutKills) {
    SubprocessOptions opts;
    opts.timeout_seconds = 0.3;
    uint64_t t0 = env_->now_micros();
    auto r = env_->run_subprocess({"sleep", "30"}, opts);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->timed_out);
    EXPECT_EQ(r->exit_code, 128 + SIGKILL);
    EXPECT_LT(env_->now_micros() - t0, 10'000'000u);
}

TEST_F(EnvTest, SubprocessMissingProgramIsError) {
    auto r = env_->run_subprocess({"jenny-no-such-program-xyz"}, {});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("jenny-no-such-program-xyz"), std::string::npos);
}

TEST_F(EnvTest, EnvironmentAndClock) {
    ::setenv("JENNY_ENV_TEST", "42", 1);
    EXPECT_EQ(env_->get_env("JENNY_ENV_TEST"), "42");
    EXPECT_FALSE(env_->get_env("JENNY_ENV_TEST_UNSET_XYZ").has_value());
    uint64_t a = env_->now_micros();
    env_->sleep_micros(2000);
    EXPECT_GE(env_->now_micros() - a, 2000u);
    EXPECT_NE(env_->random_seed(), env_->random_seed());
}

}  // namespace
}  // namespace jenny::base
