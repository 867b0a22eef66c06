#include "jenny/base/status.h"

#include <cstdio>
#include <cstdlib>

#include "jenny/base/check.h"

namespace jenny::base {

std::string_view status_code_name(StatusCode code) {
    switch (code) {
        case StatusCode::kOk:
            return "ok";
        case StatusCode::kInvalidArgument:
            return "invalid argument";
        case StatusCode::kNotFound:
            return "not found";
        case StatusCode::kAlreadyExists:
            return "already exists";
        case StatusCode::kIoError:
            return "I/O error";
        case StatusCode::kCorruption:
            return "corruption";
        case StatusCode::kUnsupported:
            return "unsupported";
        case StatusCode::kResourceExhausted:
            return "resource exhausted";
        case StatusCode::kFailedPrecondition:
            return "failed precondition";
        case StatusCode::kDeadlineExceeded:
            return "deadline exceeded";
        case StatusCode::kCancelled:
            return "cancelled";
        case StatusCode::kInternal:
            return "internal error";
    }
    return "unknown";
}

Status::Status(StatusCode code, std::string message) {
    JENNY_CHECK(code != StatusCode::kOk, "a Status with code ok carries no message");
    rep_ = std::make_shared<const Rep>(Rep{code, std::move(message)});
}

const std::string& Status::message() const {
    static const std::string kEmpty;
    return rep_ ? rep_->message : kEmpty;
}

std::string Status::to_string() const {
    if (ok()) return "ok";
    std::string out(status_code_name(code()));
    out += ": ";
    out += rep_->message;
    return out;
}

Status Status::with_context(std::string_view context) const {
    if (ok()) return *this;
    std::string msg(context);
    msg += ": ";
    msg += rep_->message;
    return Status(rep_->code, std::move(msg));
}

[[noreturn]] void check_failed(const char* file, int line, const char* cond,
                               const std::string& msg) {
    std::fprintf(stderr, "jenny: internal check failed at %s:%d: %s: %s\n", file, line, cond,
                 msg.c_str());
    std::fflush(stderr);
    std::abort();
}

}  // namespace jenny::base
