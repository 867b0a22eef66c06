#include "jenny/base/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace jenny::base {

Progress::Progress(std::string label, int64_t total, ProgressOptions options, Env* env)
    : label_(std::move(label)), total_(total), options_(std::move(options)), env_(env) {
    std::optional<std::string> ci = env_->get_env("CI");
    bool in_ci = ci.has_value() && !ci->empty() && *ci != "0" && *ci != "false";
    terminal_ = !in_ci && env_->is_tty(options_.fd);
    start_us_ = env_->now_micros();
    last_draw_us_ = start_us_;
}

Progress::~Progress() {
    if (!finished_) finish();
}

std::string Progress::human_count(double v) {
    const double a = std::fabs(v);
    if (a >= 1e9) return fmt::format("{:.2f}G", v / 1e9);
    if (a >= 1e6) return fmt::format("{:.2f}M", v / 1e6);
    if (a >= 1e4) return fmt::format("{:.1f}k", v / 1e3);
    if (a >= 100 || v == std::floor(v)) return fmt::format("{:.0f}", v);
    return fmt::format("{:.2f}", v);
}

std::string Progress::human_duration(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) return "?";
    int64_t s = static_cast<int64_t>(seconds + 0.5);
    if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
    if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
    return fmt::format("{}s", s);
}

std::string Progress::render(bool final) const {
    const double elapsed = static_cast<double>(env_->now_micros() - start_us_) / 1e6;
    const double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0.0;
    const std::string unit = options_.unit.empty() ? "/s" : " " + options_.unit + "/s";
    std::string rate_text = human_count(rate) + unit;
    std::string tail;
    if (final) {
        tail = fmt::format("done in {}", human_duration(elapsed));
    } else if (total_ > 0 && rate > 0) {
        tail = "ETA " + human_duration(static_cast<double>(total_ - done_) / rate);
    } else if (total_ > 0) {
        tail = "ETA ?";
    }
    const double frac =
        total_ > 0 ? std::clamp(static_cast<double>(done_) / static_cast<double>(total_), 0.0, 1.0)
                   : 0.0;
    if (terminal_) {
        if (total_ > 0) {
            constexpr int kWidth = 24;
            int filled = static_cast<int>(frac * kWidth);
            std::string bar(static_cast<size_t>(filled), '#');
            bar.append(static_cast<size_t>(kWidth - filled), '.');
            return fmt::format("\r{} [{}] {:3.0f}% {}/{} {} {}\x1b[K", label_, bar, frac * 100,
                               human_count(static_cast<double>(done_)),
                               human_count(static_cast<double>(total_)), rate_text, tail);
        }
        return fmt::format("\r{} {} {} {}\x1b[K", label_, human_count(static_cast<double>(done_)),
                           rate_text, tail);
    }
    if (total_ > 0) {
        return fmt::format("{}: {}/{} ({:.1f}%) {} {}\n", label_, done_, total_, frac * 100,
                           rate_text, tail);
    }
    return fmt::format("{}: {} {} {}\n", label_, done_, rate_text, tail);
}

void Progress::emit(std::string_view text) {
    if (options_.sink) {
        options_.sink(text);
        return;
    }
    ssize_t unused = ::write(options_.fd, text.data(), text.size());
    (void)unused;
}

void Progress::set(int64_t done) {
    done_ = done;
    if (finished_) return;
    const uint64_t now = env_->now_micros();
    const double since = static_cast<double>(now - last_draw_us_) / 1e6;
    const double every = terminal_ ? options_.redraw_seconds : options_.interval_seconds;
    if (since < every) return;
    last_draw_us_ = now;
    emit(render(false));
}

void Progress::finish() {
    if (finished_) return;
    finished_ = true;
    std::string line = render(true);
    if (terminal_) line += "\n";
    emit(line);
}

}  // namespace jenny::base
