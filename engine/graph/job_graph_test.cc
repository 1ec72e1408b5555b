#include "engine/graph/job_graph.h"

#include <gtest/gtest.h>

#include "engine/jobs/job_spec.h"
#include "engine/jobs/wordcount.h"

namespace sluice {
namespace {

TEST(JobGraphTest, WordCountChainsWhereThePartitioningAllows) {
  JobSpec spec;
  spec.source_parallelism = 2;
  spec.parallelism = 4;
  auto graph = BuildJobGraph(spec);
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
  auto chains = BuildChains(graph.value());
  ASSERT_TRUE(chains.ok()) << chains.status().ToString();
  ASSERT_EQ(chains->size(), 2u);
  EXPECT_EQ((*chains)[0].name, "Source -> Tokenize");
  EXPECT_EQ((*chains)[0].parallelism, 2);
  EXPECT_EQ((*chains)[0].output_chain, 1);
  EXPECT_EQ((*chains)[1].name, "Count -> Sink");
  EXPECT_EQ((*chains)[1].parallelism, 4);
  EXPECT_EQ((*chains)[1].input_chain, 0);
}

TEST(JobGraphTest, EqualParallelismStillBreaksTheChainAtKeyBy) {
  JobSpec spec;
  spec.source_parallelism = 3;
  spec.parallelism = 3;
  auto chains = BuildChains(BuildJobGraph(spec).value());
  ASSERT_TRUE(chains.ok());
  EXPECT_EQ(chains->size(), 2u);
}

TEST(JobGraphTest, RejectsBadSpecs) {
  JobSpec spec;
  spec.parallelism = 0;
  EXPECT_EQ(BuildJobGraph(spec).status().code(), StatusCode::kInvalidArgument);
  spec.parallelism = 200;
  EXPECT_FALSE(BuildJobGraph(spec).ok());
  spec = JobSpec{};
  spec.job = "nexmark";
  EXPECT_FALSE(BuildJobGraph(spec).ok());
  EXPECT_FALSE(JobSpec::Decode("garbage").ok());
  EXPECT_EQ(JobSpec::Decode(JobSpec{}.Encode()).value().Encode(), JobSpec{}.Encode());
}

TEST(WordCountTest, TokenizerFollowsTheWordRule) {
  Collector<std::string> words;
  TokenizeLine("Don't STOP--me_now 2day! ünï", &words);
  std::vector<std::string> got(words.view().begin(), words.view().end());
  EXPECT_EQ(got, (std::vector<std::string>{"don", "t", "stop", "me", "now", "2day", "n"}));
  std::vector<std::string> reference;
  ForEachWord("Don't STOP--me_now 2day! ünï",
              [&](const std::string& w) { reference.push_back(w); });
  EXPECT_EQ(got, reference);
}

}  // namespace
}  // namespace sluice
