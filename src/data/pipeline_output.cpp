#include "data/pipeline_output.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace jenny::data {
namespace {

void append_json_string(std::string& out, std::string_view s) {
    out.push_back('"');
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20) {
                    out += fmt::format("\\u{:04x}", c);
                } else {
                    out.push_back(ch);
                }
        }
    }
    out.push_back('"');
}

}  // namespace

// One output line for a document; `reason` is set for excluded ones.
void append_document_line(std::string& out, const Document& d, std::string_view reason) {
    out += "{\"id\":";
    append_json_string(out, d.id);
    if (!reason.empty()) {
        out += ",\"reason\":";
        append_json_string(out, reason);
    }
    out += ",\"text\":";
    append_json_string(out, d.text);
    out += ",\"source\":";
    append_json_string(out, d.source);
    out += fmt::format(",\"offset\":{}", d.offset);
    if (!d.url.empty()) {
        out += ",\"url\":";
        append_json_string(out, d.url);
    }
    if (!d.language.empty()) {
        out += ",\"language\":";
        append_json_string(out, d.language);
        out += fmt::format(",\"language_score\":{:.4f}", d.language_score);
    }
    out += "}\n";
}

base::Status PartFile::flush_if_big() {
    return buf_.size() >= (4u << 20) ? flush() : base::Status();
}

base::Status PartFile::commit() {
    JENNY_RETURN_IF_ERROR(flush());
    if (fd_ < 0) return base::Status();
    if (::fsync(fd_) != 0 || ::close(fd_) != 0) {
        fd_ = -1;
        return base::Status::io_error(fmt::format("{}.tmp: {}", path_, std::strerror(errno)));
    }
    fd_ = -1;
    if (std::rename((path_ + ".tmp").c_str(), path_.c_str()) != 0)
        return base::Status::io_error(
            fmt::format("renaming {}.tmp: {}", path_, std::strerror(errno)));
    return base::Status();
}
void PartFile::discard() {
    if (fd_ >= 0) {
        ::close(fd_);
        ::unlink((path_ + ".tmp").c_str());
        fd_ = -1;
    }
    buf_.clear();
}

base::Status PartFile::flush() {
    if (buf_.empty()) return base::Status();
    if (fd_ < 0) {
        fd_ = ::open((path_ + ".tmp").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd_ < 0)
            return base::Status::io_error(fmt::format("{}.tmp: {}", path_, std::strerror(errno)));
    }
    size_t done = 0;
    while (done < buf_.size()) {
        const ssize_t n = ::write(fd_, buf_.data() + done, buf_.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return base::Status::io_error(fmt::format("{}.tmp: {}", path_, std::strerror(errno)));
        }
        done += static_cast<size_t>(n);
    }
    buf_.clear();
    return base::Status();
}

}  // namespace jenny::data
