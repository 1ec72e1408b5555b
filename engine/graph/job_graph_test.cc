// Distribution patterns and pipelined regions (engine/graph/job_graph.h).
#include "engine/graph/job_graph.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

namespace sluice {
namespace {
namespace job_graph_test {

using Tasks = std::vector<std::pair<int, int>>;

TEST(DistributionPatternTest, ForwardAndRescaleArePointwiseOthersAllToAll) {
  EXPECT_EQ(ConsumersOfProducer(Partitioner::kForward, 2, 4, 4).first, 2);
  EXPECT_EQ(ConsumersOfProducer(Partitioner::kForward, 2, 4, 4).end, 3);
  // Rescale 2 -> 4: producer 1 feeds consumers 2 and 3; 4 -> 2: producers 2 and 3 feed 1.
  EXPECT_EQ(ConsumersOfProducer(Partitioner::kRescale, 1, 2, 4).first, 2);
  EXPECT_EQ(ConsumersOfProducer(Partitioner::kRescale, 1, 2, 4).end, 4);
  EXPECT_EQ(ProducersOfConsumer(Partitioner::kRescale, 1, 4, 2), (std::vector<int>{2, 3}));
  // Rescale 3 -> 2: every consumer has a producer, every producer one consumer.
  EXPECT_EQ(ProducersOfConsumer(Partitioner::kRescale, 0, 3, 2), (std::vector<int>{0, 1}));
  EXPECT_EQ(ProducersOfConsumer(Partitioner::kRescale, 1, 3, 2), (std::vector<int>{2}));
  for (Partitioner all : {Partitioner::kRebalance, Partitioner::kHash, Partitioner::kBroadcast,
                          Partitioner::kShuffle, Partitioner::kCustom, Partitioner::kGlobal}) {
    EXPECT_EQ(ConsumersOfProducer(all, 1, 2, 3).first, 0);
    EXPECT_EQ(ConsumersOfProducer(all, 1, 2, 3).end, 3);
    EXPECT_EQ(ProducersOfConsumer(all, 2, 2, 3), (std::vector<int>{0, 1}));
  }
}

// Chains 0 -> 1 -> 2 with the two edges' partitioners and the chains' parallelisms.
std::vector<std::vector<std::pair<int, int>>> Regions(Partitioner first, Partitioner second,
                                                      std::vector<int> parallelism) {
  JobGraph graph;
  graph.edges.resize(2);
  graph.edges[0].partitioner = first;
  graph.edges[1].partitioner = second;
  std::vector<Chain> chains(3);
  for (int c = 0; c < 3; ++c) {
    chains[c].id = c;
    chains[c].parallelism = parallelism[c];
    if (c < 2) {
      chains[c].output_edges = {c};
      chains[c].output_chains = {c + 1};
    }
  }
  return PipelinedRegions(graph, chains);
}

TEST(PipelinedRegionsTest, PointwiseEdgesKeepSubtasksApart) {
  EXPECT_EQ(Regions(Partitioner::kForward, Partitioner::kForward, {2, 2, 2}),
            (std::vector<Tasks>{{{0, 0}, {1, 0}, {2, 0}}, {{0, 1}, {1, 1}, {2, 1}}}));
  // 2 -> rescale -> 4 -> forward -> 4: each source with the two subtasks it feeds.
  EXPECT_EQ(Regions(Partitioner::kRescale, Partitioner::kForward, {2, 4, 4}),
            (std::vector<Tasks>{{{0, 0}, {1, 0}, {1, 1}, {2, 0}, {2, 1}},
                                {{0, 1}, {1, 2}, {1, 3}, {2, 2}, {2, 3}}}));
}

TEST(PipelinedRegionsTest, AnAllToAllEdgeMergesEverySubtaskOnBothSides) {
  EXPECT_EQ(Regions(Partitioner::kForward, Partitioner::kHash, {2, 2, 3}).size(), 1u);
  // 4 -> rescale -> 2 merges pairs of sources; a forward edge after it keeps the pairs apart.
  EXPECT_EQ(
      Regions(Partitioner::kRescale, Partitioner::kForward, {4, 2, 2}),
      (std::vector<Tasks>{{{0, 0}, {0, 1}, {1, 0}, {2, 0}}, {{0, 2}, {0, 3}, {1, 1}, {2, 1}}}));
}

}  // namespace job_graph_test
}  // namespace
}  // namespace sluice
