#include "engine/jobs/tokens.h"

#include <gtest/gtest.h>

#include "engine/graph/job_graph.h"
#include "engine/jobs/builtin_jobs.h"

namespace sluice {
namespace {
namespace tokens_test {

TEST(TokensJobTest, EachSourceFeedsItsOwnPipelinedRegion) {
  JobRegistry jobs;
  ASSERT_TRUE(RegisterBuiltinJobs(jobs).ok());
  JobSpec spec;
  spec.job = "tokens";
  spec.input_splits = 5;
  auto graph = jobs.Build(spec);
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
  auto chains = BuildChains(graph.value());
  ASSERT_TRUE(chains.ok()) << chains.status().ToString();
  ASSERT_EQ(chains->size(), 2u);
  EXPECT_EQ((*chains)[0].parallelism, 2) << "two sources read the five splits on demand";
  EXPECT_EQ((*chains)[1].parallelism, 4);
  EXPECT_EQ(graph->edges[(*chains)[1].input_edges[0]].partitioner, Partitioner::kRescale);
  const auto regions = PipelinedRegions(graph.value(), chains.value());
  ASSERT_EQ(regions.size(), 2u);
  EXPECT_EQ(regions[0], (std::vector<std::pair<int, int>>{{0, 0}, {1, 0}, {1, 1}}));
}

}  // namespace tokens_test
}  // namespace
}  // namespace sluice
