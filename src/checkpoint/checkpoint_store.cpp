// CheckpointStore: temporary directory, streamed + hashed files, manifest last, rename, verify,
// prune. The order of the durable steps is what makes a crash at any point harmless:
//   1. files are written and fsynced inside .tmp-step-N-<pid>/ (invisible to resume);
//   2. manifest.json goes in through Env::write_file_atomic, whose rename fsyncs the temporary
//      directory, so every file's directory entry is durable before the manifest is;
//   3. the directory is renamed to step-N (Env::rename_file fsyncs root): it appears complete;
//   4. only after re-reading it against the manifest are older checkpoints renamed to .tmp-*
//      (atomically out of resume's sight) and then deleted.
#include "jenny/checkpoint/checkpoint_store.h"

#include <fmt/format.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>

#include "jenny/base/log.h"

namespace jenny::checkpoint {

using base::Result;
using base::Status;

namespace {

constexpr const char* kStepPrefix = "step-";
constexpr const char* kTmpPrefix = ".tmp-";
constexpr const char* kFormat = "jenny-checkpoint";
constexpr int kFormatVersion = 1;

std::string step_dir_name(int64_t step) { return fmt::format("step-{:08d}", step); }

// "step-00001000" -> 1000; anything else (other names, a sign, no digits) -> nullopt.
std::optional<int64_t> parse_step_dir_name(const std::string& name) {
    std::string_view prefix = kStepPrefix;
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) {
        return std::nullopt;
    }
    std::string_view digits = std::string_view(name).substr(prefix.size());
    if (digits.size() > 18) return std::nullopt;
    int64_t step = 0;
    for (char c : digits) {
        if (c < '0' || c > '9') return std::nullopt;
        step = step * 10 + (c - '0');
    }
    return step;
}

std::string base_name(const std::string& path) {
    size_t slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

struct XxhStateDeleter {
    void operator()(XXH3_state_t* s) const { XXH3_freeState(s); }
};
using XxhState = std::unique_ptr<XXH3_state_t, XxhStateDeleter>;

XxhState new_hash_state() {
    XxhState state(XXH3_createState());
    JENNY_CHECK(state != nullptr, "XXH3_createState: out of memory");
    XXH3_128bits_reset(state.get());
    return state;
}

// The canonical (big-endian) form as 32 lower-case hex digits, as `xxh128sum` prints it.
std::string hash_hex(XXH128_hash_t h) {
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, h);
    std::string out;
    out.reserve(32);
    for (unsigned char byte : c.digest) out += fmt::format("{:02x}", byte);
    return out;
}

// Hashes and counts what the caller's callback streams, and remembers the first failure so that
// a callback that ignores an append's Status cannot make a short file look complete.
class HashingFile : public base::WritableFile {
public:
    explicit HashingFile(std::unique_ptr<base::WritableFile> inner)
        : inner_(std::move(inner)), state_(new_hash_state()) {}

    Status append(std::string_view data) override {
        if (!first_error_.ok()) return first_error_;
        if (closed_) return remember(Status::failed_precondition("append after close"));
        Status s = inner_->append(data);
        if (!s.ok()) return remember(s);
        XXH3_128bits_update(state_.get(), data.data(), data.size());
        size_ += data.size();
        return s;
    }
    Status sync() override {
        if (!first_error_.ok()) return first_error_;
        if (closed_) return Status();  // the callback closed it after syncing
        return remember(inner_->sync());
    }
    Status close() override {
        if (closed_) return first_error_;
        closed_ = true;
        Status s = inner_->close();
        return s.ok() ? first_error_ : remember(s);
    }

    const Status& first_error() const { return first_error_; }
    uint64_t size() const { return size_; }
    std::string checksum() const { return hash_hex(XXH3_128bits_digest(state_.get())); }

private:
    Status remember(Status s) {
        if (!s.ok() && first_error_.ok()) first_error_ = s;
        return s;
    }

    std::unique_ptr<base::WritableFile> inner_;
    XxhState state_;
    uint64_t size_ = 0;
    bool closed_ = false;
    Status first_error_;
};

// Why `name` cannot be a checkpoint file (empty when it can).
std::string bad_file_name(const std::string& name) {
    if (name.empty()) return "an empty file name";
    if (name.find('/') != std::string::npos) return "a '/' (checkpoint files are flat)";
    if (name[0] == '.') return "a leading '.'";
    if (name == CheckpointStore::kManifestName) return "the manifest's name";
    if (name.find('\0') != std::string::npos) return "a NUL byte";
    return "";
}

// Removes a directory this store owns and the plain files in it (checkpoints are flat).
// Env has no directory removal yet, so the empty directory itself goes through rmdir(2) here:
// the one direct OS call of this subsystem (files go through Env, so faults injected into
// remove_file still reach this).
Status remove_dir_tree(base::Env* env, const std::string& dir) {
    Result<std::vector<std::string>> names = env->list_dir(dir);
    if (!names.ok()) return names.status();
    for (const std::string& name : *names) {
        JENNY_RETURN_IF_ERROR(env->remove_file(dir + "/" + name));
    }
    if (::rmdir(dir.c_str()) != 0) {
        int err = errno;
        return Status::io_error(fmt::format("rmdir {}: {}", dir, std::strerror(err)));
    }
    return Status();
}

struct ManifestEntry {
    std::string name;
    uint64_t size = 0;
    std::string checksum;
};

std::string manifest_json(int64_t step, const std::vector<ManifestEntry>& entries,
                          int64_t created) {
    nlohmann::ordered_json files = nlohmann::ordered_json::array();
    for (const ManifestEntry& e : entries) {
        files.push_back({{"name", e.name}, {"size", e.size}, {"checksum", e.checksum}});
    }
    nlohmann::ordered_json m = {{"format", kFormat},
                                {"version", kFormatVersion},
                                {"step", step},
                                {"created_unix", created},
                                {"checksum_algorithm", CheckpointStore::kChecksumAlgorithm},
                                {"files", std::move(files)}};
    return m.dump(2) + "\n";
}

// Parses manifest.json; errors are plain descriptions (the caller adds the directory).
Result<std::vector<ManifestEntry>> parse_manifest(const std::string& text,
                                                  std::optional<int64_t> want_step) {
    nlohmann::json m = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (m.is_discarded() || !m.is_object()) {
        return Status::corruption("manifest.json is not a JSON object (truncated?)");
    }
    if (m.value("format", "") != kFormat) {
        return Status::corruption(fmt::format("manifest.json: \"format\" is not \"{}\"", kFormat));
    }
    if (!m.contains("version") || !m["version"].is_number_integer() ||
        m["version"].get<int64_t>() != kFormatVersion) {
        return Status::corruption(fmt::format(
            "manifest.json: unsupported \"version\" (this build reads {})", kFormatVersion));
    }
    if (m.value("checksum_algorithm", "") != CheckpointStore::kChecksumAlgorithm) {
        return Status::corruption(fmt::format("manifest.json: \"checksum_algorithm\" is not \"{}\"",
                                              CheckpointStore::kChecksumAlgorithm));
    }
    if (!m.contains("step") || !m["step"].is_number_integer()) {
        return Status::corruption("manifest.json: no integer \"step\"");
    }
    int64_t step = m["step"].get<int64_t>();
    if (want_step && step != *want_step) {
        return Status::corruption(fmt::format(
            "manifest.json says step {} but the directory is step {}", step, *want_step));
    }
    if (!m.contains("files") || !m["files"].is_array()) {
        return Status::corruption("manifest.json: no \"files\" array");
    }
    std::vector<ManifestEntry> out;
    for (const nlohmann::json& f : m["files"]) {
        if (!f.is_object() || !f.contains("name") || !f["name"].is_string() ||
            !f.contains("size") || !f["size"].is_number_unsigned() || !f.contains("checksum") ||
            !f["checksum"].is_string()) {
            return Status::corruption(
                "manifest.json: a \"files\" entry lacks a string name, an unsigned size or a "
                "string checksum");
        }
        ManifestEntry e{f["name"].get<std::string>(), f["size"].get<uint64_t>(),
                        f["checksum"].get<std::string>()};
        if (std::string why = bad_file_name(e.name); !why.empty()) {
            return Status::corruption(
                fmt::format("manifest.json lists file \"{}\" with {}", e.name, why));
        }
        out.push_back(std::move(e));
    }
    return out;
}

}  // namespace

Result<CheckpointStore> CheckpointStore::open(const std::string& root, int keep_last,
                                              base::Env* env) {
    if (root.empty()) return Status::invalid_argument("checkpoint store: empty root directory");
    if (keep_last < 1) {
        return Status::invalid_argument(fmt::format(
            "checkpoint store {}: keep_last is {}; keep at least 1 checkpoint", root, keep_last));
    }
    std::string clean = root;
    while (clean.size() > 1 && clean.back() == '/') clean.pop_back();
    Status s = env->create_dirs(clean);
    if (!s.ok()) return s.with_context("opening the checkpoint folder");
    return CheckpointStore(std::move(clean), keep_last, env);
}

Result<std::vector<CheckpointInfo>> CheckpointStore::list_checked() const {
    JENNY_ASSIGN_OR_RETURN(std::vector<std::string> names, env_->list_dir(root_));
    std::vector<CheckpointInfo> out;
    for (const std::string& name : names) {
        if (std::optional<int64_t> step = parse_step_dir_name(name)) {
            out.push_back({*step, root_ + "/" + name});
        }
    }
    std::stable_sort(out.begin(), out.end(), [](const CheckpointInfo& a, const CheckpointInfo& b) {
        return a.step < b.step;
    });
    return out;
}

std::vector<CheckpointInfo> CheckpointStore::list() const {
    Result<std::vector<CheckpointInfo>> r = list_checked();
    return r.ok() ? std::move(r).value() : std::vector<CheckpointInfo>{};
}

Status CheckpointStore::verify(const std::string& checkpoint_dir) {
    std::string dir = checkpoint_dir;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    Result<std::vector<std::string>> listing = env_->list_dir(dir);
    if (!listing.ok()) {
        if (listing.status().code() == base::StatusCode::kNotFound) {
            return Status::not_found(fmt::format("checkpoint {} does not exist", dir));
        }
        return listing.status().with_context(fmt::format("checkpoint {}", dir));
    }
    std::string manifest_path = dir + "/" + kManifestName;
    Result<std::string> text = env_->read_file(manifest_path);
    if (!text.ok()) {
        if (text.status().code() == base::StatusCode::kNotFound) {
            return Status::corruption(
                fmt::format("checkpoint {}: no {} (an incomplete copy?)", dir, kManifestName));
        }
        return text.status().with_context(fmt::format("checkpoint {}", dir));
    }
    Result<std::vector<ManifestEntry>> entries =
        parse_manifest(*text, parse_step_dir_name(base_name(dir)));
    if (!entries.ok()) return entries.status().with_context(fmt::format("checkpoint {}", dir));

    for (const ManifestEntry& e : *entries) {
        std::string path = dir + "/" + e.name;
        if (!env_->file_exists(path)) {
            return Status::corruption(
                fmt::format("checkpoint {}: {} is missing (the manifest lists it)", dir, e.name));
        }
        Result<uint64_t> size = env_->file_size(path);
        if (!size.ok()) return size.status().with_context(fmt::format("checkpoint {}", dir));
        if (*size != e.size) {
            return Status::corruption(
                fmt::format("checkpoint {}: {} has {} bytes, the manifest says {} (truncated?)",
                            dir, e.name, *size, e.size));
        }
        Result<std::unique_ptr<base::MappedFile>> map = env_->map_file(path);
        if (!map.ok()) return map.status().with_context(fmt::format("checkpoint {}", dir));
        std::string got = hash_hex(XXH3_128bits((*map)->data(), (*map)->size()));
        if (got != e.checksum) {
            return Status::corruption(
                fmt::format("checkpoint {}: {} has {} checksum {}, the manifest says {}", dir,
                            e.name, kChecksumAlgorithm, got, e.checksum));
        }
    }
    return Status();
}

Result<std::optional<CheckpointInfo>> CheckpointStore::latest_valid() {
    JENNY_ASSIGN_OR_RETURN(std::vector<CheckpointInfo> all, list_checked());
    for (auto it = all.rbegin(); it != all.rend(); ++it) {
        Status s = verify(it->path);
        if (s.ok()) return std::optional<CheckpointInfo>(*it);
        JENNY_LOG_WARN("skipping checkpoint {} (step {}): {}", it->path, it->step, s.message());
    }
    return std::optional<CheckpointInfo>();
}

Status CheckpointStore::remove_stale_temporaries() {
    JENNY_ASSIGN_OR_RETURN(std::vector<std::string> names, env_->list_dir(root_));
    for (const std::string& name : names) {
        if (name.rfind(kTmpPrefix, 0) != 0) continue;
        std::string path = root_ + "/" + name;
        Status s = remove_dir_tree(env_, path);
        if (!s.ok()) {
            JENNY_LOG_WARN(
                "could not remove {}, left half written by a crashed run: {}; delete "
                "it by hand",
                path, s.message());
            continue;
        }
        JENNY_LOG_INFO("removed {}: a checkpoint an earlier run left half written", path);
    }
    return Status();
}

Status CheckpointStore::write_files(const std::string& dir, int64_t step,
                                    const std::vector<CheckpointFile>& files) {
    std::vector<ManifestEntry> entries;
    for (const CheckpointFile& f : files) {
        std::string path = dir + "/" + f.name;
        Result<std::unique_ptr<base::WritableFile>> opened = env_->new_writable_file(path);
        if (!opened.ok()) return opened.status().with_context(f.name);
        HashingFile file(std::move(opened).value());
        Status s = f.write(file);
        if (s.ok()) s = file.first_error();  // an append failure the callback swallowed
        if (s.ok()) s = file.sync();
        if (s.ok()) s = file.close();
        if (!s.ok()) {
            file.close().ok();  // already failing; the directory is removed next
            return s.with_context(f.name);
        }
        entries.push_back({f.name, file.size(), file.checksum()});
    }
    // Last: its rename makes it, and with it every entry above, durable (the rename fsyncs dir).
    Status s = env_->write_file_atomic(dir + "/" + kManifestName,
                                       manifest_json(step, entries, env_->wall_time_seconds()));
    if (!s.ok()) return s.with_context(kManifestName);
    return Status();
}

Result<CheckpointInfo> CheckpointStore::save(int64_t step,
                                             const std::vector<CheckpointFile>& files) {
    std::string what = fmt::format("saving checkpoint step {} in {}", step, root_);
    if (step < 0) {
        return Status::invalid_argument(fmt::format("{}: the step must be >= 0", what));
    }
    std::set<std::string> seen;
    for (const CheckpointFile& f : files) {
        if (std::string why = bad_file_name(f.name); !why.empty()) {
            return Status::invalid_argument(
                fmt::format("{}: file \"{}\" has {}", what, f.name, why));
        }
        if (!seen.insert(f.name).second) {
            return Status::invalid_argument(
                fmt::format("{}: file \"{}\" is listed twice", what, f.name));
        }
        if (!f.write) {
            return Status::invalid_argument(
                fmt::format("{}: file \"{}\" has no write function", what, f.name));
        }
    }
    // "<what>: <file>: <OS error>; <what happened to the stored state>[ (what to do)]".
    auto failed = [&](const Status& s) {
        std::string advice;
        if (s.code() == base::StatusCode::kResourceExhausted &&
            s.message().find("disk space") == std::string::npos) {
            advice = " (free disk space, then save again)";
        }
        return Status(s.code(), fmt::format("{}: {}; nothing was saved and the earlier "
                                            "checkpoints are intact{}",
                                            what, s.message(), advice));
    };

    // A crashed run's leftovers waste space but are never read: failing to remove them is
    // not worth failing the save over.
    if (Status s = remove_stale_temporaries(); !s.ok()) JENNY_LOG_WARN("{}", s.message());

    std::string final_dir = root_ + "/" + step_dir_name(step);
    std::string tmp_dir =
        fmt::format("{}/{}{}-{}", root_, kTmpPrefix, step_dir_name(step), ::getpid());
    if (env_->file_exists(tmp_dir)) {
        return failed(Status::already_exists(
            fmt::format("{} is left from a crashed run and could not be removed", tmp_dir)));
    }
    Status s = env_->create_dirs(tmp_dir);
    if (s.ok()) s = write_files(tmp_dir, step, files);
    if (!s.ok()) {
        remove_dir_tree(env_, tmp_dir).ok();  // best effort; .tmp-* is never read
        return failed(s);
    }

    // A step-N already there (a corrupt one resume skipped, or an explicit re-save) moves
    // aside under .tmp-* first: rename(2) does not replace a non-empty directory.
    std::string displaced;
    if (env_->file_exists(final_dir)) {
        displaced =
            fmt::format("{}/{}replaced-{}-{}", root_, kTmpPrefix, step_dir_name(step), ::getpid());
        s = env_->rename_file(final_dir, displaced);
        if (!s.ok()) {
            remove_dir_tree(env_, tmp_dir).ok();
            return failed(s);
        }
    }
    s = env_->rename_file(tmp_dir, final_dir);
    if (!s.ok()) {
        remove_dir_tree(env_, tmp_dir).ok();
        if (!displaced.empty()) env_->rename_file(displaced, final_dir).ok();
        return failed(s);
    }
    known_valid_.erase(final_dir);

    // Re-read from disk: what is there now is what resume will read.
    s = verify(final_dir);
    if (!s.ok()) {
        // Keep the bad copy out of resume's sight, and the one it replaced back in place.
        std::string bad =
            fmt::format("{}/{}bad-{}-{}", root_, kTmpPrefix, step_dir_name(step), ::getpid());
        if (env_->rename_file(final_dir, bad).ok()) {
            remove_dir_tree(env_, bad).ok();
            if (!displaced.empty()) env_->rename_file(displaced, final_dir).ok();
        }
        return failed(s.with_context("the written checkpoint does not verify"));
    }
    if (!displaced.empty()) {
        Status r = remove_dir_tree(env_, displaced);
        if (!r.ok()) JENNY_LOG_WARN("could not remove {} (replaced): {}", displaced, r.message());
    }
    CheckpointInfo info{step, final_dir};
    known_valid_.insert(final_dir);
    prune(info);
    return info;
}

void CheckpointStore::prune(const CheckpointInfo& kept) {
    Result<std::vector<CheckpointInfo>> all = list_checked();
    if (!all.ok()) {
        JENNY_LOG_WARN("checkpoint {}: not deleting older checkpoints: {}", kept.path,
                       all.status().message());
        return;
    }
    int valid_newer = 0;  // valid checkpoints at or above the one being looked at, new included
    for (auto it = all->rbegin(); it != all->rend(); ++it) {
        if (it->step > kept.step) continue;  // from an abandoned later run: not ours to judge
        if (it->step == kept.step) {
            ++valid_newer;
            continue;
        }
        if (valid_newer >= keep_last_) {
            // Out of resume's sight atomically first, so a crash mid-delete leaves a .tmp-*.
            std::string doomed = fmt::format("{}/{}delete-{}-{}", root_, kTmpPrefix,
                                             base_name(it->path), ::getpid());
            Status s = env_->rename_file(it->path, doomed);
            if (s.ok()) s = remove_dir_tree(env_, doomed);
            if (!s.ok()) {
                JENNY_LOG_WARN(
                    "could not delete old checkpoint {} (keep_last {}): {}; delete it "
                    "by hand",
                    it->path, keep_last_, s.message());
            }
            known_valid_.erase(it->path);
            continue;
        }
        if (known_valid_.count(it->path) == 0) {
            Status s = verify(it->path);
            if (!s.ok()) {
                JENNY_LOG_WARN(
                    "checkpoint {} does not verify, so it does not count toward "
                    "keep_last {}: {}",
                    it->path, keep_last_, s.message());
                continue;
            }
            known_valid_.insert(it->path);
        }
        ++valid_newer;
    }
}

}  // namespace jenny::checkpoint
