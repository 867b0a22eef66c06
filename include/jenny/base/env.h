// Env: the one place jenny touches the operating system — files, atomic replace, memory
// maps, clocks, randomness, subprocesses, environment variables, terminals. Code takes an
// Env* (default Env::Default()) so tests can wrap it (EnvWrapper) and inject faults, a fake
// clock or a full disk without touching real failures.
//
// Every method is thread-safe. Failures are Status values whose message names the path and
// the OS error, e.g. "open /data/x.bin: No such file or directory".
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jenny/base/result.h"

namespace jenny::base {

// A file being written sequentially. Not thread-safe. Destroying it without close() closes
// it, ignoring errors.
class WritableFile {
public:
    virtual ~WritableFile() = default;
    virtual Status append(std::string_view data) = 0;
    virtual Status sync() = 0;  // data reaches the disk (fsync)
    virtual Status close() = 0;
};

// A read-only memory map of a whole file; the mapping lives as long as this object.
class MappedFile {
public:
    virtual ~MappedFile() = default;
    virtual const uint8_t* data() const = 0;
    virtual size_t size() const = 0;
};

struct SubprocessOptions {
    std::string stdin_data;                  // written to the child's stdin, then closed
    double timeout_seconds = 0;              // 0: no limit; on expiry the child is killed
    std::map<std::string, std::string> env;  // added to (overriding) the parent's environment
    std::string working_dir;                 // empty: the parent's
};

struct SubprocessResult {
    int exit_code = -1;  // the child's exit status, or 128+signal when killed by one
    std::string stdout_data;
    std::string stderr_data;
    bool timed_out = false;
};

class Env {
public:
    virtual ~Env() = default;

    // The process-wide real environment (POSIX). Never null; never destroyed.
    static Env* Default();

    // ---- files ----
    virtual Result<std::string> read_file(const std::string& path) = 0;
    virtual Result<std::unique_ptr<WritableFile>> new_writable_file(const std::string& path) = 0;
    virtual Result<std::unique_ptr<MappedFile>> map_file(const std::string& path) = 0;
    virtual bool file_exists(const std::string& path) = 0;
    virtual Result<uint64_t> file_size(const std::string& path) = 0;
    // Names (not paths) of the entries of a directory, sorted.
    virtual Result<std::vector<std::string>> list_dir(const std::string& path) = 0;
    virtual Status create_dirs(const std::string& path) = 0;  // like mkdir -p
    virtual Status remove_file(const std::string& path) = 0;
    // Atomically replaces `to` with `from` (rename(2)), then fsyncs the directory.
    virtual Status rename_file(const std::string& from, const std::string& to) = 0;

    // Writes `data` to a temporary file beside `path`, fsyncs it and renames it over `path`,
    // so a crash at any point leaves either the old file or the new one, never a mix. On
    // failure the temporary file is removed and `path` is untouched.
    Status write_file_atomic(const std::string& path, std::string_view data);

    // ---- time ----
    virtual uint64_t now_micros() = 0;        // monotonic, for durations
    virtual int64_t wall_time_seconds() = 0;  // Unix time, for timestamps
    virtual void sleep_micros(uint64_t micros) = 0;

    // ---- process ----
    // 64 bits from the OS entropy source, for seeding an Rng.
    virtual uint64_t random_seed() = 0;
    virtual std::optional<std::string> get_env(const std::string& name) = 0;
    virtual bool is_tty(int fd) = 0;
    // Runs argv[0] (searched in PATH) to completion, capturing stdout and stderr. A child
    // that could not be started is an error; a non-zero exit is not (see exit_code).
    virtual Result<SubprocessResult> run_subprocess(const std::vector<std::string>& argv,
                                                    const SubprocessOptions& options) = 0;
};

// Forwards every call to a target Env; subclass it and override what a test needs to fake.
class EnvWrapper : public Env {
public:
    explicit EnvWrapper(Env* target) : target_(target) {}
    Env* target() const { return target_; }

    Result<std::string> read_file(const std::string& p) override { return target_->read_file(p); }
    Result<std::unique_ptr<WritableFile>> new_writable_file(const std::string& p) override {
        return target_->new_writable_file(p);
    }
    Result<std::unique_ptr<MappedFile>> map_file(const std::string& p) override {
        return target_->map_file(p);
    }
    bool file_exists(const std::string& p) override { return target_->file_exists(p); }
    Result<uint64_t> file_size(const std::string& p) override { return target_->file_size(p); }
    Result<std::vector<std::string>> list_dir(const std::string& p) override {
        return target_->list_dir(p);
    }
    Status create_dirs(const std::string& p) override { return target_->create_dirs(p); }
    Status remove_file(const std::string& p) override { return target_->remove_file(p); }
    Status rename_file(const std::string& f, const std::string& t) override {
        return target_->rename_file(f, t);
    }
    uint64_t now_micros() override { return target_->now_micros(); }
    int64_t wall_time_seconds() override { return target_->wall_time_seconds(); }
    void sleep_micros(uint64_t m) override { target_->sleep_micros(m); }
    uint64_t random_seed() override { return target_->random_seed(); }
    std::optional<std::string> get_env(const std::string& n) override {
        return target_->get_env(n);
    }
    bool is_tty(int fd) override { return target_->is_tty(fd); }
    Result<SubprocessResult> run_subprocess(const std::vector<std::string>& argv,
                                            const SubprocessOptions& o) override {
        return target_->run_subprocess(argv, o);
    }

private:
    Env* target_;
};

}  // namespace jenny::base
