#include "tools/exactly_once.h"

#include <gtest/gtest.h>

namespace sluice::tools {
namespace {
namespace exactly_once_test {

constexpr char kInput[] = "The cat, the HAT!\nhat9 x\n";

TEST(CountWordsTest, LowercasesAndSplitsOnNonAlphanumerics) {
  const auto counts = CountWords(kInput);
  EXPECT_EQ(counts.at("the"), 2);
  EXPECT_EQ(counts.at("hat"), 1);
  EXPECT_EQ(counts.at("hat9"), 1);
  EXPECT_EQ(counts.at("x"), 1);
  EXPECT_EQ(counts.size(), 5u);
  EXPECT_TRUE(CountWords("").empty());
  EXPECT_EQ(CountWords("caf\xc3\xa9").at("caf"), 1);  // non-ASCII bytes separate words
}

TEST(ExactlyOnceCheckerTest, AcceptsEveryRecordOnceInAnyFileOrder) {
  ExactlyOnceChecker checker(kInput);
  checker.AddFile("part-1", "the\t2\nhat\t1\n");
  checker.AddFile("part-0", "x\t1\nthe\t1\ncat\t1\nhat9\t1\n");
  checker.Finish();
  EXPECT_TRUE(checker.ok()) << checker.problem();
  EXPECT_EQ(checker.records(), 6);
  EXPECT_EQ(checker.records_expected(), 6);
}

TEST(ExactlyOnceCheckerTest, ReportsDuplicateWithPlace) {
  ExactlyOnceChecker checker(kInput);
  checker.AddFile("part-0", "the\t1\nthe\t1\n");
  EXPECT_FALSE(checker.ok());
  EXPECT_EQ(checker.problem(), "duplicate record 'the\\t1' at part-0:2");
}

TEST(ExactlyOnceCheckerTest, ReportsMissingRecord) {
  ExactlyOnceChecker checker(kInput);
  checker.AddFile("part-0", "x\t1\nthe\t1\ncat\t1\nhat9\t1\nhat\t1\n");
  checker.Finish();
  EXPECT_FALSE(checker.ok());
  EXPECT_NE(checker.problem().find("missing record 'the\\t2'"), std::string::npos);
}

TEST(ExactlyOnceCheckerTest, ReportsUnexpectedMalformedAndTornRecords) {
  for (const char* bad : {"dog\t1\n", "the\t3\n", "the\t0\n", "the\t01\n", "the 1\n", "\t1\n",
                          "the\t1", "the\t-1\n", "\n"}) {
    ExactlyOnceChecker checker(kInput);
    checker.AddFile("part-0", bad);
    checker.Finish();
    EXPECT_FALSE(checker.ok()) << bad;
  }
}

}  // namespace exactly_once_test
}  // namespace
}  // namespace sluice::tools
