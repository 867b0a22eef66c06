// A loss-curve plot as a standalone SVG (no dependencies): train loss per step as a line,
// val loss as dots, axes with ticks. Written atomically.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "jenny/base/env.h"
#include "jenny/base/status.h"

namespace jenny::train {

// The SVG text for (step, loss) series; empty series draw as an empty plot.
std::string loss_curve_svg(const std::vector<std::pair<int64_t, double>>& train,
                           const std::vector<std::pair<int64_t, double>>& val);

base::Status write_loss_curve_svg(const std::string& path,
                                  const std::vector<std::pair<int64_t, double>>& train,
                                  const std::vector<std::pair<int64_t, double>>& val,
                                  base::Env* env = base::Env::Default());

}  // namespace jenny::train
