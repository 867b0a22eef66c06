#include "jenny/model/stop_matcher.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "jenny/base/rng.h"

namespace jenny::model {
namespace {

struct Streamed {
    std::vector<std::string> emitted;  // per feed, then the flush
    bool stopped = false;
    int stop_index = -1;
    std::string text() const {
        std::string all;
        for (const std::string& e : emitted) all += e;
        return all;
    }
};

Streamed run(const std::vector<std::string>& stops, const std::vector<std::string>& pieces) {
    StopMatcher m(stops);
    Streamed r;
    for (const std::string& p : pieces) {
        StopMatcher::Output out = m.feed(p);
        r.emitted.push_back(out.text);
        if (out.stopped) {
            r.stopped = true;
            r.stop_index = out.stop_index;
            break;
        }
    }
    r.emitted.push_back(m.flush());
    return r;
}

TEST(StopMatcher, NoStopStringsPassesEverythingThrough) {
    const Streamed r = run({}, {"Hello", ", ", "world"});
    EXPECT_EQ(r.emitted, (std::vector<std::string>{"Hello", ", ", "world", ""}));
    EXPECT_FALSE(r.stopped);
}

TEST(StopMatcher, StopSplitAcrossPieces) {
    const Streamed r = run({"###"}, {"Hello #", "#", "# world"});
    EXPECT_EQ(r.emitted, (std::vector<std::string>{"Hello ", "", "", ""}));
    EXPECT_TRUE(r.stopped);
    EXPECT_EQ(r.stop_index, 0);
}

TEST(StopMatcher, FalseStartIsReleased) {
    const Streamed r = run({"###"}, {"a #", "#b", " c"});
    EXPECT_EQ(r.emitted, (std::vector<std::string>{"a ", "##b", " c", ""}));
    EXPECT_FALSE(r.stopped);
}

TEST(StopMatcher, HeldTextComesOutOnFlush) {
    const Streamed r = run({"</s>"}, {"end </"});
    EXPECT_EQ(r.emitted, (std::vector<std::string>{"end ", "</"}));
    EXPECT_FALSE(r.stopped);
}

TEST(StopMatcher, StopAtTheStart) {
    const Streamed r = run({"User:"}, {"User: hi"});
    EXPECT_EQ(r.emitted, (std::vector<std::string>{"", ""}));
    EXPECT_TRUE(r.stopped);
}

TEST(StopMatcher, EarliestOfSeveralStopsWins) {
    Streamed r = run({"world", "lo"}, {"Hello world"});
    EXPECT_EQ(r.text(), "Hel");
    EXPECT_EQ(r.stop_index, 1);
    // Same start: the longest.
    r = run({"ab", "abc"}, {"xabcd"});
    EXPECT_EQ(r.text(), "x");
    EXPECT_EQ(r.stop_index, 1);
    // One stop's prefix held back while another completes later in the same text.
    r = run({"abcd", "cx"}, {"ab", "c", "x"});
    EXPECT_EQ(r.text(), "ab");
    EXPECT_TRUE(r.stopped);
    EXPECT_EQ(r.stop_index, 1);
    r = run({"abcd", "bx"}, {"ab", "x"});
    EXPECT_EQ(r.text(), "a");
    EXPECT_EQ(r.stop_index, 1);
}

TEST(StopMatcher, OverlappingSelfPrefix) {
    const Streamed r = run({"aab"}, {"a", "a", "a", "b", "c"});
    EXPECT_EQ(r.emitted, (std::vector<std::string>{"", "", "a", "", ""}));
    EXPECT_EQ(r.text(), "a");
    EXPECT_TRUE(r.stopped);
}

TEST(StopMatcher, NothingAfterAStop) {
    StopMatcher m({"."});
    EXPECT_EQ(m.feed("One. Two").text, "One");
    EXPECT_TRUE(m.stopped());
    const StopMatcher::Output more = m.feed("three");
    EXPECT_EQ(more.text, "");
    EXPECT_FALSE(more.stopped);
    EXPECT_EQ(m.flush(), "");
}

TEST(StopMatcher, MultibyteStopStrings) {
    const Streamed r = run({"\xe3\x80\x82"}, {"\xe4\xbd\xa0\xe5\xa5\xbd", "\xe3\x80\x82", "x"});
    EXPECT_EQ(r.text(), "\xe4\xbd\xa0\xe5\xa5\xbd");
    EXPECT_TRUE(r.stopped);
}

// Random texts cut into random pieces: the emitted text is the text before the first stop
// (or all of it), and nothing that was emitted is ever part of a stop string.
TEST(StopMatcher, RandomPiecesMatchAWholeTextSearch) {
    base::Rng rng(3);
    const std::vector<std::string> stops = {"abca", "bb", "cab"};
    for (int trial = 0; trial < 2000; ++trial) {
        std::string text;
        const int len = static_cast<int>(rng.below(30));
        for (int i = 0; i < len; ++i) text += static_cast<char>('a' + rng.below(4));
        size_t first = std::string::npos;
        int which = -1;
        for (size_t i = 0; i < stops.size(); ++i) {
            const size_t at = text.find(stops[i]);
            if (at != std::string::npos && (first == std::string::npos || at < first)) {
                first = at;
                which = static_cast<int>(i);
            }
        }
        std::vector<std::string> pieces;
        for (size_t i = 0; i < text.size();) {
            const size_t n = 1 + rng.below(5);
            pieces.push_back(text.substr(i, n));
            i += n;
        }
        const Streamed r = run(stops, pieces);
        ASSERT_EQ(r.text(), text.substr(0, first)) << text;
        ASSERT_EQ(r.stopped, first != std::string::npos) << text;
        ASSERT_EQ(r.stop_index, which) << text;
    }
}

}  // namespace
}  // namespace jenny::model
