// Split assignment by the JobManager's enumerator (FLIP-27), on the simulated cluster: a job
// whose line source has fewer subtasks than its input has files, so that the on-demand
// enumerator hands files out while the job runs and checkpoints hold splits not yet assigned.
// Across TaskManager crashes every file is read exactly once (judged by the reference
// evaluator), and the path is proven reached: with planted bug enumerator-state-not-restored
// (the enumerator forgets its checkpointed state on failover) the same seeds commit duplicates.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/api/data_stream.h"
#include "engine/api/job_registry.h"
#include "engine/config/core_options.h"
#include "engine/connectors/file_sink.h"
#include "engine/connectors/line_source.h"
#include "scenarios/reference_evaluator.h"
#include "scenarios/wordcount_cluster.h"

namespace sluice::scenarios {
namespace {
namespace split_enumerator_job_test {

using Count = std::pair<std::string, int64_t>;
constexpr int kFiles = 7;
constexpr int kReaders = 2;

// Lines(2 subtasks over every file) -> Words ═hash═> running Count(3) -> Sink(3).
Result<JobGraph> BuildFilesJob(const JobContext& context) {
  StreamEnvironment env("files", 128);
  env.SetParallelism(3);
  env.AddSource(
         "Lines",
         LineSource(SourceSpec{context.input_dir, context.settings.GetInt(SourceRateLimit())}),
         kReaders)
      .FlatMap<std::string>("Words",
                            [](const std::string& line, Collector<std::string>& out) {
                              size_t i = 0;
                              while (i < line.size()) {
                                const size_t end = std::min(line.find(' ', i), line.size());
                                if (end > i) out.Emit(line.substr(i, end - i));
                                i = end + 1;
                              }
                            })
      .SetParallelism(kReaders)
      .KeyBy([](const std::string& w) { return std::string_view(w); })
      .Process<int64_t, Count>(
          "Count",
          [](const std::string& w, ValueState<int64_t>& n, Collector<Count>& out) {
            n.update(n.value() + 1);
            out.Emit(Count(w, n.value()));
          })
      .AddSink("Sink", MakeFileSink<Count>(FileSinkSpec{context.output_dir},
                                           [](const Count& c, std::string* line) {
                                             *line += c.first + " " + std::to_string(c.second);
                                           }));
  return env.Build();
}

std::string Input() {
  const char* words[] = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta"};
  std::string text;
  for (int i = 0; i < 3500; ++i) {
    text +=
        std::string(words[i % 7]) + " " + words[(i * 3) % 7] + " n" + std::to_string(i % 11) + "\n";
  }
  return text;
}

class SplitEnumeratorJobTest : public ::testing::Test {
 protected:
  SplitEnumeratorJobTest() {
    EXPECT_TRUE(
        jobs_.Register({.name = "files", .description = "files on demand", .build = BuildFilesJob})
            .ok());
  }
  WordCountClusterOptions Options(uint64_t seed) const {
    WordCountClusterOptions options;
    options.seed = seed;
    options.jobs = &jobs_;
    options.job = "files";
    options.taskmanagers = 3;
    options.slots_per_taskmanager = 3;
    options.input_splits = kFiles;  // the input is stored as this many files
    options.source_records_per_second = 2500;
    return options;
  }
  struct Run {
    bool finished = false;
    int64_t restarts = 0;
    int64_t assignments = 0;  // kAddSplits answers sent
    bool exact = false;
    bool at_most_once = false;
    std::string violation;
  };
  // Seed `seed`, with TaskManager seed % 3 crashing at 900 ms and back at 1700 ms.
  Run RunSeed(uint64_t seed, const std::string& plant_bug = "") const {
    WordCountCluster cluster(Options(seed), Input());
    sim::World& world = cluster.world();
    world.faults().PlantBug(plant_bug);
    Run run;
    cluster.AddEventObserver(
        [&run](sim::World::HostId, Severity, std::string_view category, std::string_view) {
          if (category == "source.splits_assigned") ++run.assignments;
        });
    const sim::World::HostId victim = cluster.taskmanagers()[seed % 3];
    world.Schedule(900 * kNanosPerMilli, [&world, victim] { world.Crash(victim); });
    world.Schedule(1700 * kNanosPerMilli, [&world, victim] { world.Restart(victim); });
    cluster.Run(120 * 1000);
    run.finished = cluster.finished();
    run.restarts = cluster.restarts();
    auto reference = EvaluateReference(*cluster.job_graph(), cluster.partitions());
    EXPECT_TRUE(reference.ok()) << reference.status().ToString();
    const ReferenceReport report = CompareWithReference(*reference, cluster.CommittedOutput());
    run.exact = report.exact;
    run.at_most_once = report.at_most_once;
    run.violation = report.first_violation;
    return run;
  }
  JobRegistry jobs_;
};

TEST_F(SplitEnumeratorJobTest, ReadersTakeFilesOnDemandAndReadEachExactlyOnceAcrossCrashes) {
  for (uint64_t seed : {1, 2, 3}) {
    SCOPED_TRACE("seed " + std::to_string(seed) +
                 " (rerun: ctest -R SplitEnumeratorJobTest.ReadersTakeFilesOnDemand)");
    const Run run = RunSeed(seed);
    ASSERT_TRUE(run.finished);
    EXPECT_GE(run.restarts, 1) << "the crash must hit the running job";
    // 7 files over 2 readers: more answers than readers, and more after the restore.
    EXPECT_GT(run.assignments, kFiles) << "files are handed out while the job runs";
    EXPECT_TRUE(run.exact) << run.violation;
  }
}

TEST_F(SplitEnumeratorJobTest, ForgettingTheEnumeratorStateOnFailoverIsCaught) {
  // The test above reaches the enumerator's restore: the same seeds with the planted bug read
  // files twice (every seed must catch it, or the test above no longer exercises the path).
  for (uint64_t seed : {1, 2, 3}) {
    SCOPED_TRACE("seed " + std::to_string(seed) +
                 " (rerun: ctest -R SplitEnumeratorJobTest.ForgettingTheEnumeratorState)");
    const Run run = RunSeed(seed, "enumerator-state-not-restored");
    ASSERT_GE(run.restarts, 1);
    // Words read twice count past their totals: records the reference never has.
    EXPECT_FALSE(run.at_most_once) << "the planted bug went unnoticed: " << run.violation;
  }
}

}  // namespace split_enumerator_job_test
}  // namespace
}  // namespace sluice::scenarios
