#include "checkpoint/atomic_file.h"

#include <fmt/format.h>
#include <unistd.h>

namespace jenny::checkpoint {

using base::Result;
using base::Status;

Result<std::unique_ptr<AtomicFile>> AtomicFile::create(const std::string& path, base::Env* env) {
    std::string tmp =
        fmt::format("{}.tmp.{}.{:x}", path, ::getpid(), env->random_seed() & 0xffffff);
    JENNY_ASSIGN_OR_RETURN(auto file, env->new_writable_file(tmp));
    return std::unique_ptr<AtomicFile>(new AtomicFile(path, std::move(tmp), env, std::move(file)));
}

AtomicFile::~AtomicFile() {
    if (committed_) return;
    file_.reset();
    env_->remove_file(tmp_).ok();  // best effort: the destination was never touched
}

Status AtomicFile::append(std::string_view data) {
    Status s = file_->append(data);
    if (!s.ok()) return s.with_context(fmt::format("writing {}", path_));
    size_ += data.size();
    return s;
}

Status AtomicFile::append_zeros(size_t n) {
    static constexpr char kZeros[64] = {};
    while (n > 0) {
        size_t k = std::min(n, sizeof(kZeros));
        JENNY_RETURN_IF_ERROR(append(std::string_view(kZeros, k)));
        n -= k;
    }
    return Status();
}

Status AtomicFile::commit() {
    Status s = file_->sync();
    if (s.ok()) s = file_->close();
    if (s.ok()) s = env_->rename_file(tmp_, path_);
    if (!s.ok()) {
        return s.with_context(fmt::format("writing {} (the previous version is intact)", path_));
    }
    committed_ = true;
    return s;
}

}  // namespace jenny::checkpoint
