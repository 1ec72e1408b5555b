#include "engine/jobmanager/checkpoint_compatibility.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice {
namespace {
namespace checkpoint_compatibility_test {

// Source(2) -> Count(4), max parallelism 128, each operator a chain of its own.
CheckpointedGraph Graph(int count_parallelism = 4, int max_parallelism = 128,
                        std::string count = "Count") {
  return CheckpointedGraph{max_parallelism,
                           {{"Source", 2, 0}, {std::move(count), count_parallelism, 1}}};
}

CompletedCheckpoint Taken(CheckpointedGraph graph) {
  CompletedCheckpoint checkpoint;
  checkpoint.id = 7;
  checkpoint.graph = std::move(graph);
  return checkpoint;
}

std::string Why(const Status& status) { return status.ok() ? "ok" : status.message(); }

TEST(CheckpointCompatibilityTest, TheSameGraphRestores) {
  EXPECT_TRUE(CheckRestorable(Taken(Graph()), Graph()).ok());
  EXPECT_TRUE(CheckRestorable(Taken(CheckpointedGraph{}), Graph()).ok())
      << "metadata without the record restores as before";
}

TEST(CheckpointCompatibilityTest, AnotherMaxParallelismIsRefusedWithTheSettingToUse) {
  const Status refused = CheckRestorable(Taken(Graph(4, 256)), Graph(4, 128));
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(Why(refused).find("checkpoint 7 was taken with max parallelism 256 and this job has "
                              "128"),
            std::string::npos)
      << Why(refused);
  EXPECT_NE(Why(refused).find("-D pipeline.max-parallelism=256"), std::string::npos);
}

TEST(CheckpointCompatibilityTest, OtherOperatorsOrParallelismAreRefusedNamingThem) {
  EXPECT_NE(Why(CheckRestorable(Taken(Graph(4, 128, "Sum")), Graph()))
                .find("was 'Sum' and is "
                      "'Count'"),
            std::string::npos);
  CheckpointedGraph chained = Graph();
  chained.operators[1].chain = 0;
  EXPECT_NE(Why(CheckRestorable(Taken(Graph()), chained))
                .find("operator 'Count' was chained into task 1 and is in task 0"),
            std::string::npos);
  CheckpointedGraph longer = Graph();
  longer.operators.push_back({"Sink", 4, 2});
  EXPECT_NE(Why(CheckRestorable(Taken(Graph()), longer))
                .find("holds the state of 2 operators "
                      "and this job has 3"),
            std::string::npos);
}

// A rescale: the tasks redistribute the state, given the chains are recorded.
TEST(CheckpointCompatibilityTest, AnotherParallelismRestoresWhenTheChainsAreRecorded) {
  EXPECT_TRUE(CheckRestorable(Taken(Graph(4)), Graph(2)).ok());
  CheckpointedGraph unrecorded = Graph(4);
  for (CheckpointedOperator& op : unrecorded.operators) op.chain = -1;
  EXPECT_NE(Why(CheckRestorable(Taken(unrecorded), Graph(2)))
                .find("operator 'Count' ran at parallelism 4 and this job runs it at 2; the "
                      "checkpoint predates the record of operator chains"),
            std::string::npos);
  EXPECT_TRUE(CheckRestorable(Taken(unrecorded), Graph(4)).ok());
}

TEST(CheckpointCompatibilityTest, TheMetadataKeepsTheGraph) {
  CompletedCheckpoint checkpoint = Taken(Graph());
  checkpoint.state_paths[{0, 0}] = "checkpoints/chk-7/0-0-a1";
  auto decoded = CompletedCheckpoint::DecodeMetadata(checkpoint.EncodeMetadata(), "metadata");
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->graph, Graph());
  EXPECT_EQ(decoded->state_paths, checkpoint.state_paths);
  EXPECT_FALSE(decoded->has_in_flight_data);
  checkpoint.has_in_flight_data = true;
  decoded = CompletedCheckpoint::DecodeMetadata(checkpoint.EncodeMetadata(), "metadata");
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_TRUE(decoded->has_in_flight_data);
}

// Unaligned checkpoints with in-flight data restore only at their own parallelism (a departure
// from Flink, which redistributes the in-flight buffers).
TEST(CheckpointCompatibilityTest, InFlightDataRestoresOnlyAtItsOwnParallelism) {
  CompletedCheckpoint unaligned = Taken(Graph(4));
  unaligned.has_in_flight_data = true;
  EXPECT_TRUE(CheckRestorable(unaligned, Graph(4)).ok());
  EXPECT_NE(Why(CheckRestorable(unaligned, Graph(2)))
                .find("unaligned checkpoint holding in-flight data, which Sluice restores only at "
                      "the parallelism it was taken at"),
            std::string::npos);
}

}  // namespace checkpoint_compatibility_test
}  // namespace
}  // namespace sluice
