#include "tools/cli_common.h"

#include <gtest/gtest.h>

namespace sluice::tools {
namespace {

TEST(ParseUint64Test, AcceptsDecimalRange) {
  EXPECT_EQ(ParseUint64("0", "--seed").value(), 0u);
  EXPECT_EQ(ParseUint64("18446744073709551615", "--seed").value(), UINT64_MAX);
}

TEST(ParseUint64Test, RejectsSignsSpacesOverflowAndEmpty) {
  for (const char* bad :
       {"", "-1", "+1", " 1", "1x", "0x10", "18446744073709551616", "999999999999999999999"}) {
    auto parsed = ParseUint64(bad, "--seed");
    EXPECT_FALSE(parsed.ok()) << bad;
    EXPECT_NE(parsed.status().message().find("--seed"), std::string::npos) << bad;
  }
}

TEST(ParseSeedRangeTest, AcceptsInclusiveRanges) {
  auto range = ParseSeedRange("1..200");
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(range->first, 1u);
  EXPECT_EQ(range->last, 200u);
  auto single = ParseSeedRange("7..7");
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single->first, single->last);
}

TEST(ParseSeedRangeTest, RejectsBadSyntaxReversedAndHugeRanges) {
  for (const char* bad :
       {"", "1", "1-200", "..5", "5..", "a..b", "10..1", "1...3", "0..18446744073709551615"}) {
    EXPECT_FALSE(ParseSeedRange(bad).ok()) << bad;
  }
}

TEST(ShellQuoteTest, QuotesOnlyWhenNeeded) {
  EXPECT_EQ(ShellQuote("build/tools/sluice"), "build/tools/sluice");
  EXPECT_EQ(ShellQuote("my file"), "'my file'");
  EXPECT_EQ(ShellQuote("it's"), "'it'\\''s'");
  EXPECT_EQ(ShellQuote(""), "''");
}

TEST(FirstLineTest, StopsAtNewline) {
  EXPECT_EQ(FirstLine("a\nb"), "a");
  EXPECT_EQ(FirstLine("abc"), "abc");
}

}  // namespace
}  // namespace sluice::tools
