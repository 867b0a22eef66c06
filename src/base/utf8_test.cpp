// find_invalid_utf8 against Unicode's well-formed byte sequences (table 3-7).
#include "jenny/base/utf8.h"

#include <gtest/gtest.h>

namespace jenny::base {
namespace {

constexpr size_t kValid = std::string_view::npos;

TEST(Utf8, Valid) {
    EXPECT_EQ(find_invalid_utf8(""), kValid);
    EXPECT_EQ(find_invalid_utf8("plain ASCII text, long enough for the fast path"), kValid);
    EXPECT_EQ(find_invalid_utf8("caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80"), kValid);
    EXPECT_EQ(find_invalid_utf8("\xef\xbf\xbf\xf4\x8f\xbf\xbf\xed\x9f\xbf"),
              kValid);  // U+FFFF, U+10FFFF, U+D7FF
}

TEST(Utf8, InvalidAtTheRightOffset) {
    EXPECT_EQ(find_invalid_utf8("abc\xff"), 3u);
    EXPECT_EQ(find_invalid_utf8("abcdefghij\x80"), 10u);   // lone continuation
    EXPECT_EQ(find_invalid_utf8("a\xc0\xaf"), 1u);         // overlong '/'
    EXPECT_EQ(find_invalid_utf8("a\xe0\x80\xaf"), 1u);     // overlong 3-byte
    EXPECT_EQ(find_invalid_utf8("ab\xed\xa0\x80"), 2u);    // surrogate U+D800
    EXPECT_EQ(find_invalid_utf8("\xf4\x90\x80\x80"), 0u);  // above U+10FFFF
    EXPECT_EQ(find_invalid_utf8("\xf5\x80\x80\x80"), 0u);
    EXPECT_EQ(find_invalid_utf8("xy\xe4\xb8"), 2u);  // truncated at the end
    EXPECT_EQ(find_invalid_utf8("\xe4\xb8x"), 0u);   // truncated in the middle
    EXPECT_EQ(find_invalid_utf8("\xc3\xa9\xc3"), 2u);
}

}  // namespace
}  // namespace jenny::base
