#include "jenny/train/loss_curve_svg.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace jenny::train {

std::string loss_curve_svg(const std::vector<std::pair<int64_t, double>>& train,
                           const std::vector<std::pair<int64_t, double>>& val) {
    const double W = 640, H = 400, left = 60, right = 20, top = 30, bottom = 45;
    double x0 = 0, x1 = 1, y0 = INFINITY, y1 = -INFINITY;
    auto scan = [&](const std::vector<std::pair<int64_t, double>>& s) {
        for (const auto& [x, y] : s) {
            if (!std::isfinite(y)) continue;
            x1 = std::max<double>(x1, x);
            y0 = std::min(y0, y);
            y1 = std::max(y1, y);
        }
    };
    scan(train);
    scan(val);
    if (!(y0 <= y1)) y0 = 0, y1 = 1;
    if (y1 - y0 < 1e-9) y0 -= 0.5, y1 += 0.5;
    const double pad = 0.05 * (y1 - y0);
    y0 -= pad;
    y1 += pad;
    auto px = [&](double x) { return left + (x - x0) / (x1 - x0) * (W - left - right); };
    auto py = [&](double y) { return top + (y1 - y) / (y1 - y0) * (H - top - bottom); };
    std::string s = fmt::format(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
        "font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" "
        "fill=\"white\"/>\n<text x=\"{}\" y=\"18\" font-size=\"13\">loss (train: line, val: "
        "dots)</text>\n",
        W, H, left);
    s += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"black\"/>\n", left,
                     top, H - bottom);
    s += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"black\"/>\n",
                     left, H - bottom, W - right);
    for (int i = 0; i <= 5; ++i) {
        const double y = y0 + (y1 - y0) * i / 5, x = x0 + (x1 - x0) * i / 5;
        s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{:.3g}</text>\n",
                         left - 4, py(y) + 4, y);
        s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{:.0f}</text>\n",
                         px(x), H - bottom + 15, x);
    }
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">step</text>\n",
                     (left + W - right) / 2, H - 8);
    if (!train.empty()) {
        s += "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"";
        for (const auto& [x, y] : train)
            if (std::isfinite(y)) s += fmt::format("{:.1f},{:.1f} ", px(x), py(y));
        s += "\"/>\n";
    }
    for (const auto& [x, y] : val)
        if (std::isfinite(y))
            s += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"#d62728\"/>\n",
                             px(x), py(y));
    s += "</svg>\n";
    return s;
}

base::Status write_loss_curve_svg(const std::string& path,
                                  const std::vector<std::pair<int64_t, double>>& train,
                                  const std::vector<std::pair<int64_t, double>>& val,
                                  base::Env* env) {
    return env->write_file_atomic(path, loss_curve_svg(train, val));
}

}  // namespace jenny::train
