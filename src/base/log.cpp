#include "jenny/base/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>

namespace jenny::base {
namespace {

std::mutex g_mu;
LogSink g_sink;  // guarded by g_mu

LogLevel level_from_env() {
    const char* v = std::getenv("JENNY_LOG");
    if (v == nullptr || *v == '\0') return LogLevel::kInfo;
    Result<LogLevel> r = parse_log_level(v);
    if (!r.ok()) {
        std::fprintf(stderr, "jenny: ignoring JENNY_LOG=%s (%s)\n", v,
                     r.status().message().c_str());
        return LogLevel::kInfo;
    }
    return *r;
}

std::atomic<int>& level_ref() {
    static std::atomic<int> level{static_cast<int>(level_from_env())};
    return level;
}

char level_letter(LogLevel level) {
    switch (level) {
        case LogLevel::kDebug:
            return 'D';
        case LogLevel::kInfo:
            return 'I';
        case LogLevel::kWarn:
            return 'W';
        case LogLevel::kError:
            return 'E';
        case LogLevel::kOff:
            return '-';
    }
    return '?';
}

}  // namespace

Result<LogLevel> parse_log_level(std::string_view name) {
    if (name == "debug") return LogLevel::kDebug;
    if (name == "info") return LogLevel::kInfo;
    if (name == "warn" || name == "warning") return LogLevel::kWarn;
    if (name == "error") return LogLevel::kError;
    if (name == "off") return LogLevel::kOff;
    return Status::invalid_argument(
        fmt::format("unknown log level '{}': use debug, info, warn, error or off", name));
}

void set_log_level(LogLevel level) { level_ref().store(static_cast<int>(level)); }
LogLevel log_level() { return static_cast<LogLevel>(level_ref().load(std::memory_order_relaxed)); }

void set_log_sink(LogSink sink) {
    std::lock_guard<std::mutex> lock(g_mu);
    g_sink = std::move(sink);
}

void log_message(LogLevel level, const char* file, int line, std::string_view msg) {
    using namespace std::chrono;
    auto now = system_clock::now();
    std::time_t secs = system_clock::to_time_t(now);
    int millis =
        static_cast<int>(duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000);
    std::tm tm{};
    localtime_r(&secs, &tm);
    const char* base = file;
    for (const char* p = file; *p; ++p) {
        if (*p == '/') base = p + 1;
    }
    std::string out =
        fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03} {} {}:{}] {}\n", tm.tm_year + 1900,
                    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis,
                    level_letter(level), base, line, msg);
    std::lock_guard<std::mutex> lock(g_mu);
    if (g_sink) {
        g_sink(out);
    } else {
        std::fwrite(out.data(), 1, out.size(), stderr);
        std::fflush(stderr);
    }
}

}  // namespace jenny::base
