#include "jenny/train/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace jenny::train {

base::Status LrSchedule::validate() const {
    auto bad = [](const std::string& m) { return base::Status::invalid_argument("schedule." + m); };
    if (!(lr_max >= 0)) return bad("lr_max: must be >= 0");
    if (!(lr_min >= 0) || lr_min > lr_max) return bad("lr_min: must be in [0, lr_max]");
    if (total_steps < 1) return bad("total_steps: must be >= 1");
    if (warmup_steps < 0 || warmup_steps > total_steps)
        return bad("warmup_steps: must be in [0, total_steps]");
    if (!(decay_fraction > 0 && decay_fraction <= 1))
        return bad("decay_fraction: must be in (0, 1]");
    return base::Status::ok_status();
}

double LrSchedule::lr(int64_t step) const {
    if (step < warmup_steps) return lr_max * static_cast<double>(step + 1) / warmup_steps;
    const int64_t s = std::min(step, total_steps);
    if (kind == "constant") return lr_max;
    if (kind == "cosine") {
        const double p = static_cast<double>(s - warmup_steps) /
                         static_cast<double>(std::max<int64_t>(1, total_steps - warmup_steps));
        return lr_min + 0.5 * (lr_max - lr_min) * (1.0 + std::cos(std::numbers::pi * p));
    }
    if (kind == "linear") {
        const double p = static_cast<double>(s - warmup_steps) /
                         static_cast<double>(std::max<int64_t>(1, total_steps - warmup_steps));
        return lr_max + (lr_min - lr_max) * std::min(1.0, p);
    }
    // wsd
    const int64_t decay = std::max<int64_t>(1, std::llround(decay_fraction * total_steps));
    const int64_t decay_begin = std::max(warmup_steps, total_steps - decay);
    if (s < decay_begin) return lr_max;
    const double p = static_cast<double>(s - decay_begin) /
                     static_cast<double>(std::max<int64_t>(1, total_steps - decay_begin));
    return lr_max + (lr_min - lr_max) * std::min(1.0, p);
}

}  // namespace jenny::train
