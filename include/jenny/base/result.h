// Result<T>: either a value or a non-ok Status. The return type of every fallible function
// that produces something.
//
//   Result<std::string> r = env->read_file(path);
//   if (!r.ok()) return r.status();
//   use(*r);
//
// Accessing the value of a failed Result is a programmer error (JENNY_CHECK).
#pragma once

#include <optional>
#include <type_traits>
#include <utility>

#include "jenny/base/check.h"
#include "jenny/base/status.h"

namespace jenny::base {

template <typename T>
class [[nodiscard]] Result {
public:
    static_assert(!std::is_same_v<T, Status>, "Result<Status> makes no sense");

    Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
    Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
        JENNY_CHECK(!status_.ok(), "Result constructed from an ok Status without a value");
    }

    bool ok() const { return value_.has_value(); }
    const Status& status() const { return status_; }

    T& value() & {
        check_ok();
        return *value_;
    }
    const T& value() const& {
        check_ok();
        return *value_;
    }
    T&& value() && {
        check_ok();
        return std::move(*value_);
    }
    T value_or(T fallback) const& { return ok() ? *value_ : std::move(fallback); }

    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T&& operator*() && { return std::move(*this).value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

private:
    void check_ok() const {
        JENNY_CHECK(ok(), "value() of a failed Result: {}", status_.to_string());
    }

    std::optional<T> value_;
    Status status_;
};

}  // namespace jenny::base

#define JENNY_CONCAT_INNER_(a, b) a##b
#define JENNY_CONCAT_(a, b) JENNY_CONCAT_INNER_(a, b)

// JENNY_ASSIGN_OR_RETURN(auto x, f()); — declares/assigns x from a Result, or returns its Status.
#define JENNY_ASSIGN_OR_RETURN(lhs, expr) \
    JENNY_ASSIGN_OR_RETURN_IMPL_(JENNY_CONCAT_(_jenny_res_, __LINE__), lhs, expr)
#define JENNY_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
    auto tmp = (expr);                               \
    if (!tmp.ok()) return tmp.status();              \
    lhs = std::move(tmp).value()
