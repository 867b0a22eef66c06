// The POSIX Env: real files, clocks and processes.
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "jenny/base/env.h"

extern char** environ;

namespace jenny::base {
namespace {

Status errno_status(const std::string& what, const std::string& path, int err) {
    std::string msg = fmt::format("{} {}: {}", what, path, std::strerror(err));
    if (err == ENOENT) return Status::not_found(msg);
    if (err == ENOSPC) return Status::resource_exhausted(msg + " (free some disk space and retry)");
    return Status::io_error(msg);
}

std::string parent_dir(const std::string& path) {
    size_t slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

class PosixWritableFile final : public WritableFile {
public:
    PosixWritableFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
    ~PosixWritableFile() override {
        if (fd_ >= 0) ::close(fd_);
    }
    Status append(std::string_view data) override {
        const char* p = data.data();
        size_t left = data.size();
        while (left > 0) {
            ssize_t n = ::write(fd_, p, left);
            if (n < 0) {
                if (errno == EINTR) continue;
                return errno_status("write", path_, errno);
            }
            p += n;
            left -= static_cast<size_t>(n);
        }
        return Status();
    }
    Status sync() override {
        if (::fsync(fd_) != 0) return errno_status("fsync", path_, errno);
        return Status();
    }
    Status close() override {
        if (fd_ < 0) return Status();
        int rc = ::close(fd_);
        fd_ = -1;
        if (rc != 0) return errno_status("close", path_, errno);
        return Status();
    }

private:
    std::string path_;
    int fd_;
};

class PosixMappedFile final : public MappedFile {
public:
    PosixMappedFile(void* base, size_t size) : base_(base), size_(size) {}
    ~PosixMappedFile() override {
        if (base_ != nullptr && size_ > 0) ::munmap(base_, size_);
    }
    const uint8_t* data() const override { return static_cast<const uint8_t*>(base_); }
    size_t size() const override { return size_; }

private:
    void* base_;
    size_t size_;
};

class PosixEnv final : public Env {
public:
    Result<std::string> read_file(const std::string& path) override {
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return errno_status("open", path, errno);
        std::string out;
        char buf[1 << 16];
        for (;;) {
            ssize_t n = ::read(fd, buf, sizeof buf);
            if (n < 0) {
                if (errno == EINTR) continue;
                int err = errno;
                ::close(fd);
                return errno_status("read", path, err);
            }
            if (n == 0) break;
            out.append(buf, static_cast<size_t>(n));
        }
        ::close(fd);
        return out;
    }

    Result<std::unique_ptr<WritableFile>> new_writable_file(const std::string& path) override {
        int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) return errno_status("create", path, errno);
        return std::unique_ptr<WritableFile>(new PosixWritableFile(path, fd));
    }

    Result<std::unique_ptr<MappedFile>> map_file(const std::string& path) override {
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return errno_status("open", path, errno);
        struct stat st {};
        if (::fstat(fd, &st) != 0) {
            int err = errno;
            ::close(fd);
            return errno_status("stat", path, err);
        }
        size_t size = static_cast<size_t>(st.st_size);
        void* base = nullptr;
        if (size > 0) {
            base = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
            if (base == MAP_FAILED) {
                int err = errno;
                ::close(fd);
                return errno_status("mmap", path, err);
            }
        }
        ::close(fd);  // the mapping keeps the file alive
        return std::unique_ptr<MappedFile>(new PosixMappedFile(base, size));
    }

    bool file_exists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }

    Result<uint64_t> file_size(const std::string& path) override {
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0) return errno_status("stat", path, errno);
        return static_cast<uint64_t>(st.st_size);
    }

    Result<std::vector<std::string>> list_dir(const std::string& path) override {
        DIR* d = ::opendir(path.c_str());
        if (d == nullptr) return errno_status("opendir", path, errno);
        std::vector<std::string> names;
        while (struct dirent* e = ::readdir(d)) {
            std::string name = e->d_name;
            if (name != "." && name != "..") names.push_back(std::move(name));
        }
        ::closedir(d);
        std::sort(names.begin(), names.end());
        return names;
    }

    Status create_dirs(const std::string& path) override {
        if (path.empty()) return Status::invalid_argument("create_dirs: empty path");
        std::string cur;
        size_t pos = 0;
        while (pos != std::string::npos) {
            pos = path.find('/', pos + 1);
            cur = path.substr(0, pos);
            if (cur.empty() || cur == "/") continue;
            if (::mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST) {
                return errno_status("mkdir", cur, errno);
            }
        }
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
            return Status::io_error(fmt::format("mkdir {}: exists and is not a directory", path));
        }
        return Status();
    }

    Status remove_file(const std::string& path) override {
        if (::unlink(path.c_str()) != 0) return errno_status("remove", path, errno);
        return Status();
    }

    Status rename_file(const std::string& from, const std::string& to) override {
        if (::rename(from.c_str(), to.c_str()) != 0) {
            return errno_status("rename " + from + " ->", to, errno);
        }
        // Make the rename itself durable.
        std::string dir = parent_dir(to);
        int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            ::fsync(dfd);
            ::close(dfd);
        }
        return Status();
    }

    uint64_t now_micros() override {
        using namespace std::chrono;
        return static_cast<uint64_t>(
            duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count());
    }
    int64_t wall_time_seconds() override {
        using namespace std::chrono;
        return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
    }
    void sleep_micros(uint64_t micros) override {
        std::this_thread::sleep_for(std::chrono::microseconds(micros));
    }

    uint64_t random_seed() override {
        uint64_t seed = 0;
        if (::getrandom(&seed, sizeof seed, 0) != sizeof seed) {
            seed = now_micros() ^ (static_cast<uint64_t>(::getpid()) << 32);
        }
        return seed;
    }
    std::optional<std::string> get_env(const std::string& name) override {
        const char* v = std::getenv(name.c_str());
        if (v == nullptr) return std::nullopt;
        return std::string(v);
    }
    bool is_tty(int fd) override { return ::isatty(fd) == 1; }

    Result<SubprocessResult> run_subprocess(const std::vector<std::string>& argv,
                                            const SubprocessOptions& options) override;
};

// Runs a child with three pipes and pumps them with poll() so neither side blocks on a full
// pipe; kills the child on timeout.
Result<SubprocessResult> PosixEnv::run_subprocess(const std::vector<std::string>& argv,
                                                  const SubprocessOptions& options) {
    if (argv.empty()) return Status::invalid_argument("run_subprocess: empty argv");
    int in_pipe[2], out_pipe[2], err_pipe[2];
    if (::pipe2(in_pipe, O_CLOEXEC) != 0) return errno_status("pipe", argv[0], errno);
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
        ::close(in_pipe[0]), ::close(in_pipe[1]);
        return errno_status("pipe", argv[0], errno);
    }
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
        ::close(in_pipe[0]), ::close(in_pipe[1]), ::close(out_pipe[0]), ::close(out_pipe[1]);
        return errno_status("pipe", argv[0], errno);
    }

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in_pipe[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
    if (!options.working_dir.empty()) {
        posix_spawn_file_actions_addchdir_np(&fa, options.working_dir.c_str());
    }

    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) {
        std::string kv = *e;
        std::string key = kv.substr(0, kv.find('='));
        if (options.env.count(key) == 0) env_strings.push_back(std::move(kv));
    }
    for (const auto& [k, v] : options.env) env_strings.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> args = argv;
    std::vector<char*> cargv;
    for (auto& s : args) cargv.push_back(s.data());
    cargv.push_back(nullptr);

    pid_t pid = 0;
    int rc = ::posix_spawnp(&pid, cargv[0], &fa, nullptr, cargv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    ::close(in_pipe[0]);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    if (rc != 0) {
        ::close(in_pipe[1]), ::close(out_pipe[0]), ::close(err_pipe[0]);
        return errno_status("start", argv[0], rc);
    }

    SubprocessResult result;
    size_t in_off = 0;
    int in_fd = in_pipe[1];
    if (options.stdin_data.empty()) {
        ::close(in_fd);
        in_fd = -1;
    } else {
        ::fcntl(in_fd, F_SETFL, ::fcntl(in_fd, F_GETFL) | O_NONBLOCK);
    }
    int out_fd = out_pipe[0], err_fd = err_pipe[0];
    const uint64_t start = now_micros();
    char buf[1 << 15];
    while (out_fd >= 0 || err_fd >= 0) {
        pollfd fds[3];
        int n = 0;
        if (in_fd >= 0) fds[n++] = {in_fd, POLLOUT, 0};
        if (out_fd >= 0) fds[n++] = {out_fd, POLLIN, 0};
        if (err_fd >= 0) fds[n++] = {err_fd, POLLIN, 0};
        int wait_ms = 100;
        int pr = ::poll(fds, static_cast<nfds_t>(n), wait_ms);
        if (pr < 0 && errno != EINTR) break;
        for (int i = 0; i < n && pr > 0; ++i) {
            if (fds[i].revents == 0) continue;
            if (fds[i].fd == in_fd) {
                ssize_t w = ::write(in_fd, options.stdin_data.data() + in_off,
                                    options.stdin_data.size() - in_off);
                if (w > 0) in_off += static_cast<size_t>(w);
                if (w < 0 && errno != EAGAIN && errno != EINTR) in_off = options.stdin_data.size();
                if (in_off >= options.stdin_data.size()) {
                    ::close(in_fd);
                    in_fd = -1;
                }
            } else {
                int& fd = fds[i].fd == out_fd ? out_fd : err_fd;
                std::string& sink = fds[i].fd == out_fd ? result.stdout_data : result.stderr_data;
                ssize_t r = ::read(fd, buf, sizeof buf);
                if (r > 0) {
                    sink.append(buf, static_cast<size_t>(r));
                } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
                    ::close(fd);
                    fd = -1;
                }
            }
        }
        if (options.timeout_seconds > 0 &&
            now_micros() - start > static_cast<uint64_t>(options.timeout_seconds * 1e6)) {
            ::kill(pid, SIGKILL);
            result.timed_out = true;
            break;
        }
    }
    for (int fd : {in_fd, out_fd, err_fd}) {
        if (fd >= 0) ::close(fd);
    }
    int wstatus = 0;
    while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(wstatus)) {
        result.exit_code = WEXITSTATUS(wstatus);
    } else if (WIFSIGNALED(wstatus)) {
        result.exit_code = 128 + WTERMSIG(wstatus);
    }
    return result;
}

}  // namespace

Env* Env::Default() {
    static PosixEnv* env = new PosixEnv();  // never destroyed: usable during static teardown
    return env;
}

Status Env::write_file_atomic(const std::string& path, std::string_view data) {
    std::string tmp = fmt::format("{}.tmp.{}.{:x}", path, ::getpid(), random_seed() & 0xffffff);
    Result<std::unique_ptr<WritableFile>> file = new_writable_file(tmp);
    if (!file.ok()) return file.status();
    Status s = (*file)->append(data);
    if (s.ok()) s = (*file)->sync();
    if (s.ok()) s = (*file)->close();
    if (s.ok()) s = rename_file(tmp, path);
    if (!s.ok()) {
        remove_file(tmp).ok();  // best effort; the original is untouched either way
        return s.with_context(fmt::format("writing {} (the previous version is intact)", path));
    }
    return s;
}

}  // namespace jenny::base
