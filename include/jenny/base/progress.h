// Progress: a progress report for long loops (tokenising a corpus, training steps, eval).
//
// On a terminal it redraws one line in place:  tokenize [#######.....]  58% 5.8M/10M 1.2M/s ETA 3s
// When the output is not a terminal, or CI=true, it prints a plain line at most every
// `interval_seconds` (and once at the end), so logs stay readable:
//   tokenize: 5800000/10000000 (58.0%) 1.20M/s ETA 3s
// Not thread-safe: call add()/set() from one thread (or guard it).
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>

#include "jenny/base/env.h"

namespace jenny::base {

struct ProgressOptions {
    double interval_seconds = 10.0;  // plain mode: seconds between lines
    double redraw_seconds = 0.1;     // terminal mode: seconds between redraws
    std::string unit;                // appended to the rate, e.g. "tok" -> "1.2M tok/s"
    int fd = 2;                      // where it draws (stderr); used to detect a terminal
    // Where text goes; default writes to `fd`. For tests.
    std::function<void(std::string_view)> sink;
};

class Progress {
public:
    // total <= 0 means unknown: no percentage, bar or ETA, just count and rate.
    Progress(std::string label, int64_t total, ProgressOptions options = {},
             Env* env = Env::Default());
    ~Progress();  // calls finish() if not done

    void add(int64_t n) { set(done_ + n); }
    void set(int64_t done);
    void finish();  // draws the final line (plus a newline on a terminal)

    bool is_terminal() const { return terminal_; }

    // "1.23M", "456k", "12" — the compact counts used in the lines.
    static std::string human_count(double v);
    // "1h02m", "3m07s", "42s".
    static std::string human_duration(double seconds);

private:
    std::string render(bool final) const;
    void emit(std::string_view text);

    std::string label_;
    int64_t total_;
    ProgressOptions options_;
    Env* env_;
    bool terminal_;
    bool finished_ = false;
    int64_t done_ = 0;
    uint64_t start_us_;
    uint64_t last_draw_us_;
};

}  // namespace jenny::base
