#include <gtest/gtest.h>

#include "jenny/base/result.h"
#include "jenny/base/status.h"

namespace jenny::base {
namespace {

TEST(Status, DefaultIsOk) {
    Status s;
    EXPECT_TRUE(s.ok());
    EXPECT_EQ(s.code(), StatusCode::kOk);
    EXPECT_EQ(s.message(), "");
    EXPECT_EQ(s.to_string(), "ok");
}

TEST(Status, CarriesCodeAndMessage) {
    Status s = Status::not_found("open /x: No such file");
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(s.code(), StatusCode::kNotFound);
    EXPECT_EQ(s.to_string(), "not found: open /x: No such file");
}

TEST(Status, WithContextPrefixesAndKeepsCode) {
    Status s = Status::corruption("bad magic").with_context("loading model.gguf");
    EXPECT_EQ(s.code(), StatusCode::kCorruption);
    EXPECT_EQ(s.message(), "loading model.gguf: bad magic");
    EXPECT_TRUE(Status().with_context("x").ok());
}

TEST(Status, Equality) {
    EXPECT_EQ(Status::io_error("a"), Status::io_error("a"));
    EXPECT_FALSE(Status::io_error("a") == Status::io_error("b"));
    EXPECT_FALSE(Status::io_error("a") == Status::internal("a"));
}

Result<int> half(int x) {
    if (x % 2 != 0) return Status::invalid_argument("odd");
    return x / 2;
}

Status quarter(int x, int* out) {
    JENNY_ASSIGN_OR_RETURN(int h, half(x));
    JENNY_ASSIGN_OR_RETURN(*out, half(h));
    return Status();
}

Status check_even(int x) {
    JENNY_RETURN_IF_ERROR(half(x).status());
    return Status();
}

TEST(Result, ValueOrStatus) {
    Result<int> ok = half(8);
    ASSERT_TRUE(ok.ok());
    EXPECT_EQ(*ok, 4);
    EXPECT_TRUE(ok.status().ok());
    Result<int> bad = half(3);
    EXPECT_FALSE(bad.ok());
    EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(bad.value_or(-1), -1);
}

TEST(Result, MacrosPropagate) {
    int out = 0;
    EXPECT_TRUE(quarter(8, &out).ok());
    EXPECT_EQ(out, 2);
    EXPECT_EQ(quarter(6, &out).message(), "odd");  // 6/2 = 3 is odd
    EXPECT_TRUE(check_even(2).ok());
    EXPECT_FALSE(check_even(1).ok());
}

TEST(Result, MoveOnlyValue) {
    Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
    ASSERT_TRUE(r.ok());
    std::unique_ptr<int> p = std::move(r).value();
    EXPECT_EQ(*p, 7);
}

TEST(ResultDeathTest, ValueOfFailedResultAborts) {
    Result<int> bad = Status::internal("boom");
    EXPECT_DEATH((void)bad.value(), "value\\(\\) of a failed Result: internal error: boom");
}

}  // namespace
}  // namespace jenny::base
