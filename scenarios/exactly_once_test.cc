#include "scenarios/exactly_once.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

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

TEST(ExactlyOnceTest, AtMostOnceAllowsMissingRecordsOnly) {
  const WordCountReference expected("a b a\n");
  EXPECT_TRUE(CheckExactlyOnce(expected, {{"p0", "a\t1\n"}}).at_most_once);
  EXPECT_FALSE(CheckExactlyOnce(expected, {{"p0", "a\t1\n"}}).ok);
  EXPECT_FALSE(CheckExactlyOnce(expected, {{"p0", "a\t1\n"}, {"p1", "a\t1\n"}}).at_most_once);
  EXPECT_FALSE(CheckExactlyOnce(expected, {{"p0", "c\t1\n"}}).at_most_once);
  EXPECT_TRUE(CheckExactlyOnce(expected, {{"p0", "a\t1\na\t2\nb\t1\n"}}).at_most_once);
}

TEST(AtLeastOnceTest, AcceptsReplayedAndOvershootingCountsWithoutGaps) {
  const WordCountReference expected("a b a\n");
  // a's count replayed once after a restore (a 2 twice, then 3: the state counted a record the
  // source replayed); b exactly once.
  auto report = CheckAtLeastOnce(expected, {{"p0", "a\t1\na\t2\nb\t1\n"}, {"p1", "a\t2\na\t3\n"}},
                                 /*complete=*/true);
  EXPECT_TRUE(report.ok) << report.first_violation;
  EXPECT_EQ(report.records, 5);
  EXPECT_EQ(report.duplicates, 1);
  EXPECT_TRUE(CheckAtLeastOnce(expected, {{"p0", "a\t1\na\t2\nb\t1\n"}}, true).ok);
}

TEST(AtLeastOnceTest, RejectsLossGapsAndForeignRecords) {
  const WordCountReference expected("a b a\n");
  auto gap = CheckAtLeastOnce(expected, {{"p0", "a\t1\na\t3\nb\t1\n"}}, true);
  EXPECT_FALSE(gap.ok);
  EXPECT_NE(gap.first_violation.find("missing record 'a\t2' below the committed count 3"),
            std::string::npos)
      << gap.first_violation;
  auto short_count = CheckAtLeastOnce(expected, {{"p0", "a\t1\nb\t1\n"}}, true);
  EXPECT_FALSE(short_count.ok);
  EXPECT_NE(short_count.first_violation.find("missing record 'a\t2': the word occurs 2 times"),
            std::string::npos)
      << short_count.first_violation;
  EXPECT_FALSE(CheckAtLeastOnce(expected, {{"p0", "a\t1\na\t2\n"}}, true).ok);  // b lost
  EXPECT_FALSE(CheckAtLeastOnce(expected, {{"p0", "a\t1\na\t2\nb\t1\nc\t1\n"}}, true).ok);
  EXPECT_FALSE(CheckAtLeastOnce(expected, {{"p0", "a\t0\n"}}, false).ok);
  // A FAILED job commits a prefix of each word's counts: no gap, any length.
  EXPECT_TRUE(CheckAtLeastOnce(expected, {{"p0", "a\t1\na\t1\n"}}, false).ok);
  EXPECT_FALSE(CheckAtLeastOnce(expected, {{"p0", "a\t2\n"}}, false).ok);
}

TEST(WordCountReferenceTest, CountsLikeCountWords) {
  const std::string text = "The cat, the HAT. 42 cats; the end\nthe";
  const WordCountReference reference(text);
  const std::map<std::string, int64_t> counts = CountWords(text);
  EXPECT_EQ(reference.distinct_words(), counts.size());
  int64_t total = 0;
  for (const auto& [word, count] : counts) {
    EXPECT_EQ(reference.Count(word), count) << word;
    total += count;
  }
  EXPECT_EQ(reference.total_words(), total);
  EXPECT_EQ(reference.Count("the"), 4);
  EXPECT_EQ(reference.Count("dog"), 0);
  EXPECT_EQ(reference.Count("The"), 0);  // words are lowercased
  EXPECT_EQ(WordCountReference("").total_words(), 0);
}

// Enough words to grow the index many times; long words that share their first 8 bytes, and
// words that are prefixes of others, must stay apart.
TEST(WordCountReferenceTest, TellsManyAndLongWordsApart) {
  std::string text;
  for (int i = 0; i < 3000; ++i) {
    text += "w" + std::to_string(i) + " internationalization" + std::to_string(i % 7) + " ";
  }
  text += "internationalization internationalisation internationa internationalizatio x";
  const WordCountReference reference(text);
  const std::map<std::string, int64_t> counts = CountWords(text);
  EXPECT_EQ(reference.distinct_words(), counts.size());
  for (const auto& [word, count] : counts) EXPECT_EQ(reference.Count(word), count) << word;
  EXPECT_EQ(reference.Count("internationalization0"), 429);
  EXPECT_EQ(reference.Count("internationalization"), 1);
  EXPECT_EQ(reference.Count("internationalizationx"), 0);
  EXPECT_EQ(reference.Count("internat"), 0);
  EXPECT_EQ(reference.Count("w30000"), 0);

  std::string exact;
  for (const auto& [word, count] : counts) {
    for (int64_t i = count; i >= 1; --i) exact += word + "\t" + std::to_string(i) + "\n";
  }
  EXPECT_TRUE(CheckExactlyOnce(reference, {{"f", exact}}).ok);
  const std::string dropped = "internationalization3\t5\n";
  const size_t at = exact.find(dropped);
  ASSERT_NE(at, std::string::npos);
  std::string missing = exact;
  missing.erase(at, dropped.size());
  EXPECT_EQ(CheckExactlyOnce(reference, {{"f", missing}}).first_violation,
            "missing record 'internationalization3\t5'");
}

TEST(WordCountReferenceTest, KnowsWhichTextItCounted) {
  const WordCountReference reference("a b a");
  EXPECT_TRUE(reference.CountedFrom("a b a"));
  EXPECT_FALSE(reference.CountedFrom("a b b"));    // same length, other bytes
  EXPECT_FALSE(reference.CountedFrom("a b a\n"));  // a prefix of the text is not the text
  EXPECT_FALSE(reference.CountedFrom("a b"));
  const WordCountReference from_counts(CountWords("a b a"));
  EXPECT_FALSE(from_counts.CountedFrom("a b a"));  // built from counts: no text to vouch for
  EXPECT_EQ(from_counts.Count("a"), 2);
}

// Every kind of violation, with the message naming the first one, as the scenarios report it.
TEST(ExactlyOnceTest, ReportsTheFirstViolationWithItsFile) {
  const WordCountReference expected("b a b c");
  auto check = [&](std::map<std::string, std::string> output) {
    return CheckExactlyOnce(expected, output).first_violation;
  };
  EXPECT_EQ(check({{"f", "b\t1\na\t1\nb\t2\nc\t1\n"}}), "");
  EXPECT_EQ(check({{"f", "b\t1\nb\t1\n"}, {"g", "x\t1\n"}}), "duplicate record 'b\t1' (in f)");
  EXPECT_EQ(check({{"g", "b\t1\n"}, {"f", "b\t1\n"}}), "duplicate record 'b\t1' (in g)");
  EXPECT_EQ(check({{"f", "x\t1\n"}}), "unexpected record 'x\t1' (in f)");
  EXPECT_EQ(check({{"f", "b 1\n"}}), "unexpected record 'b 1' (in f)");
  EXPECT_EQ(check({{"f", "\t1\n"}}), "unexpected record '\t1' (in f)");
  EXPECT_EQ(check({{"f", "b\t\n"}}), "unexpected record 'b\t' (in f)");
  EXPECT_EQ(check({{"f", "b\t1x\n"}}), "unexpected record 'b\t1x' (in f)");
  EXPECT_EQ(check({{"f", "b\t-1\n"}}), "unexpected record 'b\t-1' (in f)");
  EXPECT_EQ(check({{"f", "a\t1\n\nb\t1\n"}}), "unexpected record '' (in f)");
  EXPECT_EQ(check({{"f", "b\t99999999999999999999\n"}}),
            "unexpected record 'b\t99999999999999999999' (in f)");
  EXPECT_EQ(check({{"f", "b\t3\n"}}), "record 'b\t3' exceeds the word's count 2 (in f)");
  EXPECT_EQ(check({{"f", "b\t0\n"}}), "record 'b\t0' exceeds the word's count 2 (in f)");
  // Missing: the word that sorts first, not the one the input names first, at its lowest count.
  EXPECT_EQ(check({{"f", "b\t1\nc\t1\n"}}), "missing record 'a\t1'");
  EXPECT_EQ(check({{"f", "a\t1\nc\t1\n"}}), "missing record 'b\t1'");
  EXPECT_EQ(check({{"f", "a\t1\nb\t1\nc\t1\n"}}), "missing record 'b\t2'");
  EXPECT_EQ(check({}), "missing record 'a\t1'");
}

TEST(ExactlyOnceTest, CountsEveryRecordAndTheExpectedOnes) {
  const WordCountReference expected("b a b c");
  // Records after the first violation still count.
  auto report = CheckExactlyOnce(expected, {{"f", "b\t1\nb\t1\nzz\t9\nc\t1"}});
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.records, 4);  // the last line needs no '\n'
  EXPECT_EQ(report.expected, 4);
}

TEST(ExactlyOnceTest, AReferenceServesManyChecks) {
  const WordCountReference expected("a b a");
  const std::map<std::string, std::string> good = {{"f", "a\t2\nb\t1\na\t1\n"}};
  const std::map<std::string, std::string> bad = {{"f", "a\t2\nb\t1\na\t2\n"}};
  for (int round = 0; round < 3; ++round) {  // a check leaves no marks behind in the reference
    EXPECT_TRUE(CheckExactlyOnce(expected, good).ok) << "round " << round;
    EXPECT_EQ(CheckExactlyOnce(expected, bad).first_violation, "duplicate record 'a\t2' (in f)");
  }
}

TEST(ExactlyOnceTest, CountsMadeElsewhereAgreeWithAReference) {
  const std::string text = "one two two three three three";
  const std::map<std::string, int64_t> counts = CountWords(text);
  const std::vector<std::map<std::string, std::string>> outputs = {
      {{"p", "one\t1\ntwo\t1\ntwo\t2\nthree\t3\nthree\t1\nthree\t2\n"}},
      {{"p", "one\t1\ntwo\t1\ntwo\t2\nthree\t3\nthree\t1\n"}},
      {{"p", "one\t1\ntwo\t1\ntwo\t2\nthree\t3\nthree\t1\nthree\t4\n"}},
      {{"p", "one\t1\none\t1\n"}},
  };
  for (const auto& output : outputs) {
    const ExactlyOnceReport by_counts = CheckExactlyOnce(counts, output);
    const ExactlyOnceReport by_reference = CheckExactlyOnce(WordCountReference(text), output);
    EXPECT_EQ(by_counts.ok, by_reference.ok);
    EXPECT_EQ(by_counts.first_violation, by_reference.first_violation);
    EXPECT_EQ(by_counts.records, by_reference.records);
    EXPECT_EQ(by_counts.expected, by_reference.expected);
  }
  // A word listed with count 0 is known, so its records exceed the count rather than being foreign.
  EXPECT_EQ(
      CheckExactlyOnce(std::map<std::string, int64_t>{{"z", 0}}, {{"f", "z\t1\n"}}).first_violation,
      "record 'z\t1' exceeds the word's count 0 (in f)");
}

}  // namespace
}  // namespace sluice::scenarios
