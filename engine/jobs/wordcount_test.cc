#include "engine/jobs/wordcount.h"

#include <gtest/gtest.h>

#include "engine/graph/job_graph.h"
#include "engine/jobs/builtin_jobs.h"

namespace sluice {
namespace {
namespace wordcount_test {

JobRegistry BuiltinJobs() {
  JobRegistry jobs;
  EXPECT_TRUE(RegisterBuiltinJobs(jobs).ok());
  return jobs;
}

JobSpec WordCount(std::initializer_list<std::pair<const char*, const char*>> settings,
                  int splits = 2) {
  JobSpec spec;
  spec.job = "wordcount";
  spec.input_splits = splits;
  for (const auto& [key, value] : settings) spec.settings.Set(key, value);
  return spec;
}

TEST(WordCountJobTest, ChainsWhereThePartitioningAllows) {
  const JobRegistry jobs = BuiltinJobs();
  auto graph = jobs.Build(WordCount({}));
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
  auto chains = BuildChains(graph.value());
  ASSERT_TRUE(chains.ok()) << chains.status().ToString();
  ASSERT_EQ(chains->size(), 2u);
  EXPECT_EQ((*chains)[0].name, "Source -> Tokenize");
  EXPECT_EQ((*chains)[0].parallelism, 2) << "sources follow the input splits";
  EXPECT_EQ((*chains)[0].output_chains, std::vector<int>{1});
  EXPECT_TRUE((*chains)[0].is_source);
  EXPECT_EQ((*chains)[1].name, "Count -> Sink");
  EXPECT_EQ((*chains)[1].parallelism, 4) << "word count's default parallelism.default is 4";
  ASSERT_EQ((*chains)[1].input_edges.size(), 1u);
  EXPECT_EQ(graph->edges[(*chains)[1].input_edges[0]].partitioner, Partitioner::kHash);
  EXPECT_EQ(graph->max_parallelism, 128) << "Flink's derived default for small parallelism";
}

TEST(WordCountJobTest, SettingsShapeTheGraph) {
  const JobRegistry jobs = BuiltinJobs();
  auto graph = jobs.Build(WordCount({{"parallelism.default", "3"},
                                     {"pipeline.max-parallelism", "256"},
                                     {"source.rate-limit", "1000"}},
                                    /*splits=*/3));
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
  EXPECT_EQ(graph->max_parallelism, 256);
  EXPECT_EQ(graph->nodes[0].parallelism, 3);
  EXPECT_EQ(graph->nodes[0].source.records_per_second, 1000);
  EXPECT_EQ(graph->nodes[2].name, "Count");
  EXPECT_EQ(graph->nodes[2].parallelism, 3);
  auto chains = BuildChains(graph.value());
  ASSERT_TRUE(chains.ok());
  EXPECT_EQ(chains->size(), 2u) << "equal parallelism still breaks the chain at KeyBy";
}

TEST(WordCountJobTest, RefusesBadSettingsNamingTheKey) {
  const JobRegistry jobs = BuiltinJobs();
  auto zero = jobs.Build(WordCount({{"parallelism.default", "0"}}));
  EXPECT_EQ(zero.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(zero.status().message().find("parallelism.default"), std::string::npos)
      << zero.status().ToString();
  auto wide = jobs.Build(WordCount({{"parallelism.default", "200"},
                                    {"pipeline.max-parallelism", "128"}}));
  EXPECT_FALSE(wide.ok()) << "an operator wider than max parallelism";
  auto unknown = jobs.Build(WordCount({{"paralelism.default", "3"}}));
  EXPECT_NE(unknown.status().message().find("did you mean 'parallelism.default'"),
            std::string::npos)
      << unknown.status().ToString();
  JobSpec other;
  other.job = "nexmark";
  EXPECT_EQ(jobs.Build(other).status().code(), StatusCode::kNotFound);
}

TEST(WordCountJobTest, SpecRoundTripsAndRejectsGarbage) {
  JobSpec spec = WordCount({{"parallelism.default", "3"}}, 5);
  spec.output_dir = "out";
  EXPECT_EQ(JobSpec::Decode(spec.Encode()).value(), spec);
  EXPECT_FALSE(JobSpec::Decode("garbage").ok());
  const std::string bytes = spec.Encode();
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(JobSpec::Decode(bytes.substr(0, cut)).ok()) << "truncated at " << cut;
  }
  // A session cluster's job carries its id after the rest; application mode's bytes are as
  // before (the id is left out when empty).
  JobSpec session = spec;
  session.job_id = "0123456789abcdef0123456789abcdef";
  const std::string with_id = session.Encode();
  EXPECT_EQ(with_id.substr(0, bytes.size()), bytes);
  EXPECT_EQ(JobSpec::Decode(with_id).value(), session);
  EXPECT_EQ(JobStorageDir("/cp", session), "/cp/0123456789abcdef0123456789abcdef");
  EXPECT_EQ(JobStorageDir("/cp", spec), "/cp");
  session.job_id = "not-hex";
  EXPECT_FALSE(JobSpec::Decode(session.Encode()).ok()) << "a malformed job id";
  EXPECT_FALSE(JobSpec::Decode(with_id + "x").ok()) << "trailing bytes";
}

TEST(WordCountJobTest, TokenizerFollowsTheWordRule) {
  Collector<std::string> words;
  TokenizeLine("Don't STOP--me_now 2day! ünï", &words);
  std::vector<std::string> got(words.view().begin(), words.view().end());
  EXPECT_EQ(got, (std::vector<std::string>{"don", "t", "stop", "me", "now", "2day", "n"}));
}

}  // namespace wordcount_test
}  // namespace
}  // namespace sluice
