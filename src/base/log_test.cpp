#include <gtest/gtest.h>

#include <regex>

#include "jenny/base/log.h"

namespace jenny::base {
namespace {

class LogTest : public ::testing::Test {
protected:
    void SetUp() override {
        saved_ = log_level();
        set_log_sink([this](std::string_view line) { lines_.emplace_back(line); });
    }
    void TearDown() override {
        set_log_sink(nullptr);
        set_log_level(saved_);
    }
    std::vector<std::string> lines_;
    LogLevel saved_;
};

TEST_F(LogTest, FormatsTimestampLevelAndLocation) {
    set_log_level(LogLevel::kInfo);
    JENNY_LOG_INFO("loaded {} tensors", 42);
    ASSERT_EQ(lines_.size(), 1u);
    std::regex re(
        R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} I log_test\.cpp:\d+\] loaded 42 tensors\n)");
    EXPECT_TRUE(std::regex_match(lines_[0], re)) << lines_[0];
}

TEST_F(LogTest, FiltersBelowLevel) {
    set_log_level(LogLevel::kWarn);
    JENNY_LOG_DEBUG("d");
    JENNY_LOG_INFO("i");
    JENNY_LOG_WARN("w");
    JENNY_LOG_ERROR("e");
    ASSERT_EQ(lines_.size(), 2u);
    EXPECT_NE(lines_[0].find(" W "), std::string::npos);
    EXPECT_NE(lines_[1].find(" E "), std::string::npos);
}

TEST(LogLevelParse, KnownAndUnknown) {
    EXPECT_EQ(*parse_log_level("debug"), LogLevel::kDebug);
    EXPECT_EQ(*parse_log_level("warning"), LogLevel::kWarn);
    Result<LogLevel> bad = parse_log_level("loud");
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.status().message().find("use debug, info, warn, error or off"),
              std::string::npos);
}

}  // namespace
}  // namespace jenny::base
