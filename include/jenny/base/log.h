// Leveled logging to stderr (or an injected sink), one line per message:
//   2026-11-25 08:30:01.123 I train.cpp:42] step 10 loss 3.21
// The level comes from set_log_level() or, at first use, the JENNY_LOG environment variable
// (debug, info, warn, error). Thread-safe: lines from different threads never interleave.
#pragma once

#include <fmt/format.h>

#include <functional>
#include <string>
#include <string_view>

#include "jenny/base/result.h"

namespace jenny::base {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };

// Parses "debug", "info", "warn"/"warning", "error", "off".
Result<LogLevel> parse_log_level(std::string_view name);
void set_log_level(LogLevel level);
LogLevel log_level();

// Replaces where finished lines go (default: stderr). Pass nullptr to restore stderr.
// For tests; not thread-safe against concurrent logging.
using LogSink = std::function<void(std::string_view line)>;
void set_log_sink(LogSink sink);

void log_message(LogLevel level, const char* file, int line, std::string_view msg);

}  // namespace jenny::base

#define JENNY_LOG_(level, ...)                                                                 \
    do {                                                                                       \
        if (static_cast<int>(level) >= static_cast<int>(::jenny::base::log_level())) {         \
            ::jenny::base::log_message(level, __FILE__, __LINE__, ::fmt::format(__VA_ARGS__)); \
        }                                                                                      \
    } while (0)
#define JENNY_LOG_DEBUG(...) JENNY_LOG_(::jenny::base::LogLevel::kDebug, __VA_ARGS__)
#define JENNY_LOG_INFO(...) JENNY_LOG_(::jenny::base::LogLevel::kInfo, __VA_ARGS__)
#define JENNY_LOG_WARN(...) JENNY_LOG_(::jenny::base::LogLevel::kWarn, __VA_ARGS__)
#define JENNY_LOG_ERROR(...) JENNY_LOG_(::jenny::base::LogLevel::kError, __VA_ARGS__)
