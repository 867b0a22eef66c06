// JENNY_CHECK: assertions for programmer errors only. Never use it for anything user input can
// reach (a file, a flag, a request): those are Status values. A failed check prints the
// condition, file:line and the formatted message to stderr and aborts.
#pragma once

#include <fmt/format.h>

#include <string>

namespace jenny::base {
[[noreturn]] void check_failed(const char* file, int line, const char* cond,
                               const std::string& msg);
}  // namespace jenny::base

#define JENNY_CHECK(cond, ...)                                                                  \
    do {                                                                                        \
        if (!(cond)) [[unlikely]] {                                                             \
            ::jenny::base::check_failed(__FILE__, __LINE__, #cond, ::fmt::format(__VA_ARGS__)); \
        }                                                                                       \
    } while (0)
