// StopMatcher: finds stop strings in streamed text (OpenAI `stop` semantics). Decoded pieces go
// in as they are generated; what comes out is the text that is safe to show now. A suffix that
// could be the start of a stop string is held back until the next piece settles it. When a
// stop string matches, the text before it is emitted, the stop string and everything after it
// are not, and the matcher is done (further feeds return nothing). At the end of generation
// flush() returns the held-back text.
//
//   StopMatcher m({"\n\n", "User:"});
//   for (piece : pieces) { auto out = m.feed(piece); send(out.text); if (out.stopped) break; }
//   send(m.flush());
//
// Matching is on bytes: when several stop strings occur, the one that starts first wins (the
// longest among those starting at the same byte). Feed whole UTF-8 characters (an
// incremental detokenizer's output) and the emitted text splits only between characters.
// Empty stop strings are ignored. Not thread-safe; one per sequence.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace jenny::model {

class StopMatcher {
public:
    explicit StopMatcher(std::vector<std::string> stops);

    struct Output {
        std::string text;      // safe to emit now
        bool stopped = false;  // a stop string matched; `text` ends just before it
        int stop_index = -1;   // which of the stop strings matched, -1 when none
    };
    Output feed(std::string_view piece);
    // The held-back text (empty after a stop); the matcher is done afterwards.
    std::string flush();

    bool stopped() const { return stopped_; }
    // Bytes currently held back.
    size_t pending() const { return buffer_.size(); }

private:
    std::vector<std::string> stops_;
    std::string buffer_;  // text not emitted yet: a possible start of a stop string
    bool stopped_ = false;
    bool done_ = false;
};

}  // namespace jenny::model
