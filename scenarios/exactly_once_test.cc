#include "scenarios/exactly_once.h"

#include <gtest/gtest.h>

namespace sluice::scenarios {
namespace {

TEST(ExactlyOnceTest, AcceptsTheExactOutputInAnyFileSplit) {
  auto counts = CountWords("The cat, the HAT.");
  EXPECT_EQ(counts.at("the"), 2);
  auto report = CheckExactlyOnce(counts, {{"a", "the\t1\ncat\t1\n"}, {"b", "hat\t1\nthe\t2\n"}});
  EXPECT_TRUE(report.ok) << report.first_violation;
  EXPECT_EQ(report.records, 4);
}

TEST(ExactlyOnceTest, RejectsDuplicateMissingAndForeignRecords) {
  auto counts = CountWords("a b a");
  EXPECT_FALSE(CheckExactlyOnce(counts, {{"f", "a\t1\na\t2\nb\t1\nb\t1\n"}}).ok);
  auto missing = CheckExactlyOnce(counts, {{"f", "a\t1\nb\t1\n"}});
  EXPECT_FALSE(missing.ok);
  EXPECT_NE(missing.first_violation.find("missing record 'a\t2'"), std::string::npos);
  EXPECT_FALSE(CheckExactlyOnce(counts, {{"f", "a\t1\na\t2\nb\t1\nc\t1\n"}}).ok);
  EXPECT_FALSE(CheckExactlyOnce(counts, {{"f", "a\t1\na\t3\nb\t1\n"}}).ok);
}

}  // namespace
}  // namespace sluice::scenarios
