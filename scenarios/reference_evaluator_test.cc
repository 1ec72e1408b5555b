#include "scenarios/reference_evaluator.h"

#include <gtest/gtest.h>

#include <string>

#include "engine/api/data_stream.h"
#include "engine/connectors/line_source.h"
#include "engine/connectors/file_sink.h"
#include "engine/jobs/builtin_jobs.h"
#include "scenarios/exactly_once.h"
#include "scenarios/wordcount_cluster.h"

namespace sluice::scenarios {
namespace {

// The reference evaluator runs word count to exactly what word count's own oracle (its
// independent tokenizer and counts) says it must commit.
TEST(ReferenceEvaluatorTest, AgreesWithWordCountsOwnOracle) {
  const std::string text =
      "The cat, the HAT.\n42 cats; the end\nthe quick brown fox\njumps over the lazy dog\nthe";
  JobRegistry jobs;
  ASSERT_TRUE(RegisterBuiltinJobs(jobs).ok());
  JobSpec spec;
  spec.input_splits = 3;
  auto graph = jobs.Build(spec);
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
  auto reference =
      EvaluateReference(*graph, WordCountCluster::SplitIntoPartitions(text, spec.input_splits));
  ASSERT_TRUE(reference.ok()) << reference.status().ToString();
  std::map<std::string, int64_t> expected;
  for (const auto& [word, count] : CountWords(text)) {
    for (int64_t i = 1; i <= count; ++i) ++expected[word + "\t" + std::to_string(i)];
  }
  EXPECT_EQ(*reference, expected);
}

TEST(ReferenceEvaluatorTest, ComparesCommittedOutputAsAMultiset) {
  const std::map<std::string, int64_t> reference = {{"a", 2}, {"b", 1}};
  auto exact = CompareWithReference(reference, {{"part-0", "a\nb\n"}, {"part-1", "a\n"}});
  EXPECT_TRUE(exact.exact);
  EXPECT_EQ(exact.records, 3);
  EXPECT_EQ(exact.expected, 3);
  auto missing = CompareWithReference(reference, {{"part-0", "a\n"}});
  EXPECT_FALSE(missing.exact);
  EXPECT_TRUE(missing.at_most_once);
  EXPECT_EQ(missing.first_violation, "missing record \"a\" (1 more expected)");
  auto duplicate = CompareWithReference(reference, {{"part-0", "b\na\n"}, {"part-1", "b\n"}});
  EXPECT_FALSE(duplicate.at_most_once);
  EXPECT_EQ(duplicate.first_violation, "duplicate record \"b\" in part-1");
  auto unexpected = CompareWithReference(reference, {{"part-0", "c\n"}});
  EXPECT_FALSE(unexpected.at_most_once);
  EXPECT_EQ(unexpected.first_violation, "unexpected record \"c\" in part-0");
}

TEST(ReferenceEvaluatorTest, RefusesAJobWhoseSinkDeclaresNoReference) {
  StreamEnvironment env("opaque");
  Sink<std::string> sink;
  sink.make_writer = [](const TaskContext&) -> std::unique_ptr<BatchConsumer<std::string>> {
    return nullptr;
  };
  env.AddSource("Source", LineSource(SourceSpec{"input"}), 1).AddSink("Opaque", sink);
  auto graph = env.Build();
  ASSERT_TRUE(graph.ok());
  Status judgeable = CheckReferenceSemantics(*graph);
  EXPECT_EQ(judgeable.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(judgeable.message().find("'Opaque'"), std::string::npos) << judgeable.message();
  EXPECT_FALSE(EvaluateReference(*graph, {"x\n"}).ok());
}

// Each record of a broadcast edge reaches every instance; forward keeps the instance; global
// gathers on instance 0.
TEST(ReferenceEvaluatorTest, RoutesByThePartitionersThatGiveAJobItsMeaning) {
  StreamEnvironment env("routes");
  env.SetParallelism(3);
  auto lines = env.AddSource("Source", LineSource(SourceSpec{"input"}), 3);
  auto sink = MakeFileSink<std::string>(FileSinkSpec{"output"},
                                        [](const std::string& s, std::string* out) { *out += s; });
  lines.Broadcast().Map("Copy", [](const std::string& s) { return "b:" + s; }).AddSink("S1", sink);
  lines.Global().Map("Gather", [](const std::string& s) { return "g:" + s; }).AddSink("S2", sink);
  auto graph = env.Build();
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
  auto reference = EvaluateReference(*graph, {"x\n", "y\n", ""});
  ASSERT_TRUE(reference.ok()) << reference.status().ToString();
  EXPECT_EQ(*reference, (std::map<std::string, int64_t>{{"b:x", 3}, {"b:y", 3}, {"g:x", 1},
                                                        {"g:y", 1}}));
}

}  // namespace
}  // namespace sluice::scenarios
