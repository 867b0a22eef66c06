#include <gtest/gtest.h>

#include "jenny/base/progress.h"

namespace jenny::base {
namespace {

// A fake clock and terminal/CI switches around the real Env.
class FakeEnv : public EnvWrapper {
public:
    FakeEnv() : EnvWrapper(Env::Default()) {}
    uint64_t now_micros() override { return now; }
    bool is_tty(int) override { return tty; }
    std::optional<std::string> get_env(const std::string& name) override {
        if (name == "CI") return ci;
        return std::nullopt;
    }
    uint64_t now = 1'000'000;
    bool tty = false;
    std::optional<std::string> ci;
};

TEST(Progress, PlainLinesWhenNotATerminal) {
    FakeEnv env;
    std::string out;
    ProgressOptions opts;
    opts.interval_seconds = 10;
    opts.unit = "tok";
    opts.sink = [&](std::string_view s) { out += s; };
    {
        Progress p("tokenize", 1000, opts, &env);
        EXPECT_FALSE(p.is_terminal());
        env.now += 1'000'000;
        p.add(100);  // 1 s since start: too soon for a line
        EXPECT_EQ(out, "");
        env.now += 9'000'000;
        p.add(400);  // 10 s: one line, 500 done at 50/s, 500 left -> 10 s
        EXPECT_EQ(out, "tokenize: 500/1000 (50.0%) 50 tok/s ETA 10s\n");
        env.now += 10'000'000;
        p.set(1000);
    }  // destructor finishes
    EXPECT_EQ(out,
              "tokenize: 500/1000 (50.0%) 50 tok/s ETA 10s\n"
              "tokenize: 1000/1000 (100.0%) 50 tok/s ETA 0s\n"
              "tokenize: 1000/1000 (100.0%) 50 tok/s done in 20s\n");
    EXPECT_EQ(out.find('\r'), std::string::npos);
    EXPECT_EQ(out.find('\x1b'), std::string::npos);
}

TEST(Progress, CiForcesPlainEvenOnTerminal) {
    FakeEnv env;
    env.tty = true;
    env.ci = "true";
    std::string out;
    ProgressOptions opts;
    opts.sink = [&](std::string_view s) { out += s; };
    Progress p("train", 0, opts, &env);  // unknown total
    EXPECT_FALSE(p.is_terminal());
    env.now += 2'000'000;
    p.add(30);
    p.finish();
    EXPECT_EQ(out, "train: 30 15/s done in 2s\n");
}

TEST(Progress, TerminalRedrawsInPlace) {
    FakeEnv env;
    env.tty = true;
    std::string out;
    ProgressOptions opts;
    opts.sink = [&](std::string_view s) { out += s; };
    Progress p("eval", 200, opts, &env);
    EXPECT_TRUE(p.is_terminal());
    env.now += 1'000'000;
    p.add(50);
    EXPECT_EQ(out.rfind("\reval [######..................]  25% 50/200 50/s ETA 3s\x1b[K", 0), 0u)
        << out;
    p.finish();
    EXPECT_EQ(out.back(), '\n');
}

TEST(Progress, HumanUnits) {
    EXPECT_EQ(Progress::human_count(12), "12");
    EXPECT_EQ(Progress::human_count(45600), "45.6k");
    EXPECT_EQ(Progress::human_count(1.5e6), "1.50M");
    EXPECT_EQ(Progress::human_duration(42), "42s");
    EXPECT_EQ(Progress::human_duration(187), "3m07s");
    EXPECT_EQ(Progress::human_duration(3720), "1h02m");
}

}  // namespace
}  // namespace jenny::base
