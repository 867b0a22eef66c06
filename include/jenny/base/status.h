// Status: the outcome of an operation that can fail for reasons outside the program's control
// (bad input, missing file, full disk). Expected failures are values, never exceptions.
//
//   Status s = env->write_file_atomic(path, data);
//   if (!s.ok()) return s.with_context("saving checkpoint");
//
// A Status is cheap to copy when ok (no allocation). Thread-compatible.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace jenny::base {

enum class StatusCode {
    kOk = 0,
    kInvalidArgument,     // the caller's input is wrong: fix the input
    kNotFound,            // a file, key or resource does not exist
    kAlreadyExists,       // refusing to overwrite something stored
    kIoError,             // the OS failed a read/write/rename
    kCorruption,          // stored data is malformed or truncated
    kUnsupported,         // valid input that this build does not handle
    kResourceExhausted,   // out of memory, KV cache full, disk full
    kFailedPrecondition,  // the system is not in a state to do this now
    kDeadlineExceeded,    // a timeout
    kCancelled,           // stopped on request
    kInternal,            // a bug: should not happen
};

// Returns the lower-case name of a code, e.g. "invalid argument".
std::string_view status_code_name(StatusCode code);

class [[nodiscard]] Status {
public:
    Status() = default;  // ok
    Status(StatusCode code, std::string message);

    static Status ok_status() { return Status(); }
    static Status invalid_argument(std::string msg) {
        return {StatusCode::kInvalidArgument, std::move(msg)};
    }
    static Status not_found(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }
    static Status already_exists(std::string msg) {
        return {StatusCode::kAlreadyExists, std::move(msg)};
    }
    static Status io_error(std::string msg) { return {StatusCode::kIoError, std::move(msg)}; }
    static Status corruption(std::string msg) { return {StatusCode::kCorruption, std::move(msg)}; }
    static Status unsupported(std::string msg) {
        return {StatusCode::kUnsupported, std::move(msg)};
    }
    static Status resource_exhausted(std::string msg) {
        return {StatusCode::kResourceExhausted, std::move(msg)};
    }
    static Status failed_precondition(std::string msg) {
        return {StatusCode::kFailedPrecondition, std::move(msg)};
    }
    static Status deadline_exceeded(std::string msg) {
        return {StatusCode::kDeadlineExceeded, std::move(msg)};
    }
    static Status cancelled(std::string msg) { return {StatusCode::kCancelled, std::move(msg)}; }
    static Status internal(std::string msg) { return {StatusCode::kInternal, std::move(msg)}; }

    bool ok() const { return rep_ == nullptr; }
    StatusCode code() const { return rep_ ? rep_->code : StatusCode::kOk; }
    // The message without the code name; empty when ok.
    const std::string& message() const;
    // "invalid argument: <message>", or "ok".
    std::string to_string() const;

    // Returns a copy whose message is "<context>: <message>"; ok stays ok.
    Status with_context(std::string_view context) const;

    bool operator==(const Status& other) const {
        return code() == other.code() && message() == other.message();
    }

private:
    struct Rep {
        StatusCode code;
        std::string message;
    };
    std::shared_ptr<const Rep> rep_;  // null when ok; immutable so sharing is safe
};

}  // namespace jenny::base

// Evaluates an expression returning Status and returns it from the caller when not ok.
#define JENNY_RETURN_IF_ERROR(expr)               \
    do {                                          \
        ::jenny::base::Status _jenny_st = (expr); \
        if (!_jenny_st.ok()) return _jenny_st;    \
    } while (0)
