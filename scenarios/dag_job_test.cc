// A job graph that is not a pipeline, run on the simulated cluster: two sources, a union, a
// two-input operator fed by a broadcast, integer keys, and every partitioner (forward, rescale,
// shuffle, rebalance, broadcast, global, custom, hash), with and without a TaskManager crash. The
// expected output is computed here from the input, independently of the engine: every keyed
// operator emits running counts, whose multiset does not depend on arrival order.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/api/data_stream.h"
#include "engine/connectors/line_source.h"
#include "engine/api/job_registry.h"
#include "engine/config/core_options.h"
#include "engine/connectors/file_sink.h"
#include "engine/jobs/builtin_jobs.h"
#include "scenarios/job_scenarios_test_util.h"
#include "scenarios/reference_evaluator.h"
#include "scenarios/scenario.h"
#include "scenarios/wordcount_cluster.h"

namespace sluice::scenarios {
namespace {
namespace dag_job_test {

using Count = std::pair<std::string, int64_t>;
constexpr int kMarksParallelism = 3;

std::vector<std::string> SplitWords(const std::string& line) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < line.size()) {
    const size_t end = std::min(line.find(' ', i), line.size());
    if (end > i) words.push_back(line.substr(i, end - i));
    i = end + 1;
  }
  return words;
}

// Lines ─┬─ Words ─rescale→ Tag(4) ─shuffle→ Long(3) ═hash(word)═> CountWords(4) ─┐
//        │        ─custom(len)→ Length(3) ═hash(int32)═> CountLengths(2) ─────────┼─ union → Sink(2)
//        └ Words ─┐                                                               │
// Again ─broadcast┴→ Marks(3, CoFlatMap) ─global→ Gather(1) ═hash═> CountMarks(1) ─┘
Result<JobGraph> BuildDagJob(const JobContext& context) {
  StreamEnvironment env("dag", 128);
  env.SetParallelism(2);
  const SourceSpec input{context.input_dir, context.settings.GetInt(SourceRateLimit())};
  DataStream<std::string> words =
      env.AddSource("Lines", LineSource(input), context.input_splits)
          .FlatMap<std::string>("Words",
                                [](const std::string& line, Collector<std::string>& out) {
                                  for (std::string& w : SplitWords(line)) out.Emit(w);
                                })
          .SetParallelism(context.input_splits);
  DataStream<Count> word_counts =
      words.Rescale()
          .Map("Tag", [](const std::string& w) { return w; })
          .SetParallelism(4)
          .Shuffle()
          .Filter("Long", [](const std::string& w) { return w.size() >= 2; })
          .SetParallelism(3)
          .KeyBy([](const std::string& w) { return std::string_view(w); })
          .Process<int64_t, Count>("CountWords",
                                   [](const std::string& w, ValueState<int64_t>& n,
                                      Collector<Count>& out) {
                                     n.update(n.value() + 1);
                                     out.Emit(Count("w:" + w, n.value()));
                                   })
          .SetParallelism(4);
  DataStream<Count> length_counts =
      words
          .PartitionCustom(
              [](const int32_t& length, int channels) { return length % channels; },
              [](const std::string& w) { return static_cast<int32_t>(w.size()); })
          .Map("Length", [](const std::string& w) { return static_cast<int32_t>(w.size()); })
          .SetParallelism(3)
          .KeyBy([](const int32_t& length) { return length; })
          .Process<int64_t, Count>("CountLengths",
                                   [](const int32_t& length, ValueState<int64_t>& n,
                                      Collector<Count>& out) {
                                     n.update(n.value() + 1);
                                     out.Emit(Count("len:" + std::to_string(length), n.value()));
                                   })
          .SetParallelism(2);
  DataStream<std::string> again = env.AddSource("Again", LineSource(input), context.input_splits);
  DataStream<Count> mark_counts =
      words.Connect(again.Broadcast())
          .FlatMap<std::string>(
              "Marks", [](const std::string&, Collector<std::string>&) {},
              [](const std::string& line, Collector<std::string>& out) { out.Emit("b:" + line); })
          .SetParallelism(kMarksParallelism)
          .Global()
          .Map("Gather", [](const std::string& mark) { return mark; })
          .SetParallelism(1)
          .KeyBy([](const std::string& mark) { return mark; })
          .Process<int64_t, Count>("CountMarks",
                                   [](const std::string& mark, ValueState<int64_t>& n,
                                      Collector<Count>& out) {
                                     n.update(n.value() + 1);
                                     out.Emit(Count(mark, n.value()));
                                   })
          .SetParallelism(1);
  word_counts.Union(length_counts)
      .Union(mark_counts)
      .AddSink("Sink", MakeFileSink<Count>(FileSinkSpec{context.output_dir},
                                           [](const Count& c, std::string* line) {
                                             *line += c.first + "\t" + std::to_string(c.second);
                                           }))
      .SetParallelism(2);
  return env.Build();
}

// Slot sharing groups: "Upper" and "Count" share slots of group "b", apart from the default
// group's "Lines" and "Sink"; a group boundary also breaks the chain.
Result<JobGraph> BuildGroupsJob(const JobContext& context) {
  StreamEnvironment env("groups", 128);
  env.SetParallelism(2);
  env.AddSource("Lines", LineSource(SourceSpec{context.input_dir, 0}), context.input_splits)
      .Map("Upper", [](const std::string& line) { return line.substr(0, 1); })
      .SlotSharingGroup("b")
      .KeyBy([](const std::string& initial) { return initial; })
      .Process<int64_t, Count>("Count",
                               [](const std::string& initial, ValueState<int64_t>& n,
                                  Collector<Count>& out) {
                                 n.update(n.value() + 1);
                                 out.Emit(Count(initial, n.value()));
                               })
      .SetParallelism(3)
      .SlotSharingGroup("b")
      .AddSink("Sink", MakeFileSink<Count>(FileSinkSpec{context.output_dir},
                                           [](const Count& c, std::string* line) {
                                             *line += c.first + "\t" + std::to_string(c.second);
                                           }));
  return env.Build();
}

// The committed lines the job must produce from `input`, sorted.
std::vector<std::string> ExpectedLines(const std::string& input) {
  std::map<std::string, int64_t> totals;
  size_t start = 0;
  while (start < input.size()) {
    const size_t end = input.find('\n', start);
    const std::string line = input.substr(start, end - start);
    start = end + 1;
    totals["b:" + line] += kMarksParallelism;  // the broadcast reaches every Marks subtask
    for (const std::string& w : SplitWords(line)) {
      if (w.size() >= 2) ++totals["w:" + w];
      ++totals["len:" + std::to_string(w.size())];
    }
  }
  std::vector<std::string> lines;
  for (const auto& [key, total] : totals) {
    for (int64_t n = 1; n <= total; ++n) lines.push_back(key + "\t" + std::to_string(n));
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

std::vector<std::string> CommittedLines(WordCountCluster& cluster) {
  std::vector<std::string> lines;
  for (const auto& [file, contents] : cluster.CommittedOutput()) {
    size_t start = 0;
    while (start < contents.size()) {
      const size_t end = contents.find('\n', start);
      lines.push_back(contents.substr(start, end - start));
      start = end + 1;
    }
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

std::string Input() {
  const char* lines[] = {"a bb ccc dddd", "bb ccc", "the quick brown fox", "a a a zz",
                         "ccc the end"};
  std::string text;
  for (int i = 0; i < 2000; ++i) text += std::string(lines[i % 5]) + " n" + std::to_string(i % 7) + "\n";
  return text;
}

class DagJobTest : public ::testing::Test {
 protected:
  DagJobTest() {
    EXPECT_TRUE(jobs_.Register({.name = "dag", .description = "DAG test job", .build = BuildDagJob})
                    .ok());
    EXPECT_TRUE(
        jobs_.Register({.name = "groups", .description = "slot sharing groups", .build = BuildGroupsJob})
            .ok());
  }
  WordCountClusterOptions Options(uint64_t seed) const {
    WordCountClusterOptions options;
    options.seed = seed;
    options.jobs = &jobs_;
    options.job = "dag";
    options.taskmanagers = 3;
    options.slots_per_taskmanager = 2;
    options.input_splits = 2;
    options.source_records_per_second = 2000;
    return options;
  }
  JobRegistry jobs_;
};

TEST_F(DagJobTest, ChainsWhereForwardEdgesAllowAndPartitionsElsewhere) {
  JobSpec spec;
  spec.job = "dag";
  auto graph = jobs_.Build(spec);
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
  auto chains = BuildChains(*graph);
  ASSERT_TRUE(chains.ok()) << chains.status().ToString();
  std::vector<std::string> names;
  for (const Chain& chain : *chains) names.push_back(chain.name);
  EXPECT_EQ(names, (std::vector<std::string>{"Lines -> Words", "Tag", "Long", "CountWords", "Length",
                                             "CountLengths", "Again", "Marks", "Gather",
                                             "CountMarks", "Sink"}));
  std::vector<std::string> partitioners;
  for (const StreamEdge& edge : graph->edges) {
    partitioners.push_back(PartitionerName(edge.partitioner));
  }
  EXPECT_EQ(partitioners,
            (std::vector<std::string>{"FORWARD", "RESCALE", "SHUFFLE", "HASH", "CUSTOM", "HASH",
                                      "REBALANCE", "BROADCAST", "GLOBAL", "HASH", "REBALANCE",
                                      "FORWARD", "REBALANCE"}))
      << "unset partitioners are forward between equal parallelisms, else rebalance";
  EXPECT_EQ(SlotsRequired(*chains), 4);
}

TEST_F(DagJobTest, CommitsEveryBranchExactlyOnce) {
  const std::string input = Input();
  const std::vector<std::string> expected = ExpectedLines(input);
  for (uint64_t seed : {1, 2}) {
    SCOPED_TRACE("seed " + std::to_string(seed) +
                 " (rerun: ctest -R DagJobTest.CommitsEveryBranchExactlyOnce)");
    WordCountCluster cluster(Options(seed), input);
    ASSERT_TRUE(cluster.job_graph().ok()) << cluster.job_graph().status().ToString();
    cluster.Run(120 * 1000);
    ASSERT_TRUE(cluster.finished()) << cluster.failure();
    EXPECT_EQ(CommittedLines(cluster), expected);
  }
}

TEST_F(DagJobTest, CommitsEveryBranchExactlyOnceAcrossATaskManagerCrash) {
  const std::string input = Input();
  const std::vector<std::string> expected = ExpectedLines(input);
  for (uint64_t seed : {3, 4, 5}) {
    SCOPED_TRACE("seed " + std::to_string(seed) +
                 " (rerun: ctest -R DagJobTest.CommitsEveryBranchExactlyOnceAcrossATaskManagerCrash)");
    WordCountCluster cluster(Options(seed), input);
    sim::World& world = cluster.world();
    const sim::World::HostId victim = cluster.taskmanagers()[seed % 3];
    world.Schedule(700 * kNanosPerMilli, [&world, victim] { world.Crash(victim); });
    world.Schedule(1500 * kNanosPerMilli, [&world, victim] { world.Restart(victim); });
    cluster.Run(120 * 1000);
    ASSERT_TRUE(cluster.finished()) << cluster.failure();
    EXPECT_GE(cluster.restarts(), 1) << "the crash must hit the running job";
    EXPECT_EQ(CommittedLines(cluster), expected);
  }
}

TEST_F(DagJobTest, SlotSharingGroupsTakeSlotsOfTheirOwn) {
  JobSpec spec;
  spec.job = "groups";
  auto graph = jobs_.Build(spec);
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
  auto chains = BuildChains(*graph);
  ASSERT_TRUE(chains.ok()) << chains.status().ToString();
  ASSERT_EQ(chains->size(), 4u) << "a group boundary breaks the chain";
  EXPECT_EQ((*chains)[0].first_slot, 0);  // Lines: default group, slots 0-1
  EXPECT_EQ((*chains)[1].first_slot, 2);  // Upper: group b, slots 2-4
  EXPECT_EQ((*chains)[2].first_slot, 2);  // Count shares group b's slots
  EXPECT_EQ((*chains)[3].first_slot, 0);  // Sink: default group
  EXPECT_EQ(SlotsRequired(*chains), 5);

  // Two TaskManagers of two slots cannot hold it: the cluster adds one, and the job runs.
  const std::string input = Input();
  WordCountClusterOptions options = Options(7);
  options.job = "groups";
  options.taskmanagers = 2;
  WordCountCluster cluster(options, input);
  EXPECT_EQ(cluster.taskmanagers().size(), 3u);
  cluster.Run(120 * 1000);
  ASSERT_TRUE(cluster.finished()) << cluster.failure();
  auto reference = EvaluateReference(*cluster.job_graph(), cluster.partitions());
  ASSERT_TRUE(reference.ok());
  EXPECT_TRUE(CompareWithReference(*reference, cluster.CommittedOutput()).exact);
}

TEST_F(DagJobTest, ReferenceEvaluatorAgreesWithTheHandComputedOutput) {
  const std::string input = Input();
  JobSpec spec;
  spec.job = "dag";
  auto graph = jobs_.Build(spec);
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
  auto reference = EvaluateReference(*graph, WordCountCluster::SplitIntoPartitions(input, 2));
  ASSERT_TRUE(reference.ok()) << reference.status().ToString();
  std::vector<std::string> lines;
  for (const auto& [line, count] : *reference) {
    for (int64_t i = 0; i < count; ++i) lines.push_back(line);
  }
  EXPECT_EQ(lines, ExpectedLines(input));
}

// The generic scenarios judge the DAG job against the reference evaluator.
TEST_F(DagJobTest, PassesScenariosJudgedByTheReferenceEvaluator) {
  for (const ScenarioResult& result :
       ExpectScenariosPass(jobs_, "dag", Input(), {"tm-crash", "chaos", "jm-failover"}, 4,
                           "DagJobTest.PassesScenariosJudgedByTheReferenceEvaluator")) {
    EXPECT_GT(result.records_out, 0) << result.scenario << " seed " << result.seed;
  }
}

}  // namespace dag_job_test
}  // namespace
}  // namespace sluice::scenarios
