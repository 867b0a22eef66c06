// Learning-rate schedules, as a pure function of the optimiser step (0-based), so a resumed
// run gets exactly the rates an uninterrupted one would:
//   warmup   s < warmup_steps: lr_max * (s + 1) / warmup_steps (all kinds)
//   cosine   lr_min + 0.5 (lr_max - lr_min) (1 + cos(pi p)), p = (s - warmup) / max(1, total - warmup)
//   wsd      warmup, stable at lr_max, then a linear decay to lr_min over the last
//            decay_fraction of total_steps (MiniCPM's warmup-stable-decay)
//   linear   lr_max down to lr_min linearly over [warmup, total)
//   constant lr_max after warmup
// Steps past total_steps keep the last rate (lr_min for decaying kinds).
#pragma once

#include <cstdint>
#include <string>

#include "jenny/base/status.h"

namespace jenny::train {

struct LrSchedule {
    std::string kind = "cosine";  // cosine, wsd, linear, constant
    double lr_max = 3e-4;
    double lr_min = 3e-5;
    int64_t warmup_steps = 0;
    int64_t total_steps = 1000;
    double decay_fraction = 0.2;  // wsd only

    // kInvalidArgument naming the field: negative rates, lr_min > lr_max, total_steps < 1,
    // warmup_steps > total_steps, decay_fraction outside (0, 1].
    base::Status validate() const;
    double lr(int64_t step) const;
};

}  // namespace jenny::train
