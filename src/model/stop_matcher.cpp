#include "jenny/model/stop_matcher.h"

#include <algorithm>

namespace jenny::model {

StopMatcher::StopMatcher(std::vector<std::string> stops) {
    for (std::string& s : stops) {
        if (!s.empty()) stops_.push_back(std::move(s));
    }
}

StopMatcher::Output StopMatcher::feed(std::string_view piece) {
    Output out;
    if (done_) return out;
    buffer_.append(piece);
    // The buffer held no complete stop string before this piece, so a match ends inside the
    // new text; searching the whole (short) buffer keeps this simple.
    size_t best = std::string::npos;
    for (size_t i = 0; i < stops_.size(); ++i) {
        const size_t at = buffer_.find(stops_[i]);
        if (at == std::string::npos) continue;
        if (best == std::string::npos || at < best ||
            (at == best && stops_[i].size() > stops_[static_cast<size_t>(out.stop_index)].size())) {
            best = at;
            out.stop_index = static_cast<int>(i);
        }
    }
    if (best != std::string::npos) {
        out.text = buffer_.substr(0, best);
        out.stopped = true;
        buffer_.clear();
        stopped_ = done_ = true;
        return out;
    }
    // Hold back the longest suffix that is a proper prefix of some stop string.
    size_t hold = 0;
    for (const std::string& s : stops_) {
        const size_t longest = std::min(s.size() - 1, buffer_.size());
        for (size_t len = longest; len > hold; --len) {
            if (std::string_view(buffer_).substr(buffer_.size() - len) ==
                std::string_view(s).substr(0, len)) {
                hold = len;
                break;
            }
        }
    }
    out.text = buffer_.substr(0, buffer_.size() - hold);
    buffer_.erase(0, buffer_.size() - hold);
    return out;
}

std::string StopMatcher::flush() {
    done_ = true;
    std::string rest;
    rest.swap(buffer_);
    return rest;
}

}  // namespace jenny::model
