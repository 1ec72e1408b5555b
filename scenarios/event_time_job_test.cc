// Event time end to end: timestamps assigned per source split with bounded out-of-orderness,
// watermarks through chains, the network and a two-input operator (the minimum of its inputs),
// and a KeyedProcessFunction that counts per key in one-second tumbling windows with event-time
// timers (and keeps a processing-time timer, which must survive restores without output). Run
// on the simulated cluster through crash scenarios and judged by the reference evaluator; the
// reference's windows are checked against counts made here.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/api/data_stream.h"
#include "engine/api/job_registry.h"
#include "engine/config/core_options.h"
#include "engine/connectors/data_generator.h"
#include "engine/connectors/file_sink.h"
#include "engine/connectors/line_source.h"
#include "scenarios/job_scenarios_test_util.h"
#include "scenarios/reference_evaluator.h"
#include "scenarios/scenario.h"
#include "scenarios/wordcount_cluster.h"
#include "simnet/world.h"

namespace sluice::scenarios {
namespace {
namespace event_time_job_test {

using Event = std::pair<std::string, int64_t>;  // key, event time (ms)
constexpr int64_t kWindowMs = 1000;
constexpr int64_t kOutOfOrdernessMs = 50;

// Counts each key's events per tumbling window; a window's count leaves when the watermark
// passes its end.
class TumblingCount final : public KeyedProcessFunction<std::string, Event, std::string> {
 public:
  void Open(KeyedStateStore& state) override {
    counts_ = &state.GetMapState<int64_t, int64_t>("window-counts");
    pings_ = &state.GetValueState<int64_t>("processing-time-pings");
  }
  void ProcessElement(const Event& event, Context& ctx, Collector<std::string>& out) override {
    const int64_t start = ctx.timestamp() - ctx.timestamp() % kWindowMs;
    const int64_t* count = counts_->get(start);
    counts_->put(start, count == nullptr ? 1 : *count + 1);
    ctx.timer_service().RegisterEventTimeTimer(start + kWindowMs - 1);
    // A processing-time timer per key, re-armed when it fires: state only, never output.
    ctx.timer_service().RegisterProcessingTimeTimer(
        ctx.timer_service().current_processing_time() / 100 * 100 + 100);
  }
  void OnTimer(int64_t timestamp, Context& ctx, Collector<std::string>& out) override {
    if (ctx.time_domain() == TimeDomain::kProcessingTime) {
      pings_->update(pings_->value() + 1);
      return;
    }
    const int64_t start = timestamp + 1 - kWindowMs;
    const int64_t* count = counts_->get(start);
    if (count == nullptr) return;
    out.Emit(ctx.current_key() + " " + std::to_string(start) + " " + std::to_string(*count));
    counts_->remove(start);
  }

 private:
  MapState<int64_t, int64_t>* counts_ = nullptr;
  ValueState<int64_t>* pings_ = nullptr;
};

Result<JobGraph> BuildEventTimeJob(const JobContext& context) {
  StreamEnvironment env("event-time", 128);
  env.SetParallelism(2);
  auto parse = [](const std::string& line) {
    const size_t space = line.find(' ');
    return Event(line.substr(0, space), std::stoll(line.substr(space + 1)));
  };
  auto events =
      env.AddSource(
             "Lines",
             LineSource(SourceSpec{context.input_dir, context.settings.GetInt(SourceRateLimit())}),
             context.input_splits)
          .Map("Parse", parse)
          .SetParallelism(context.input_splits);
  auto strategy = WatermarkStrategy<Event>::ForBoundedOutOfOrderness(
      kOutOfOrdernessMs, [](const Event& e) { return e.second; });
  auto even = events.Filter("Even", [](const Event& e) { return e.first.back() % 2 == 0; })
                  .SetParallelism(context.input_splits)
                  .AssignTimestampsAndWatermarks(strategy);
  auto odd = events.Filter("Odd", [](const Event& e) { return e.first.back() % 2 != 0; })
                 .SetParallelism(context.input_splits)
                 .AssignTimestampsAndWatermarks(strategy);
  even.Connect(odd)
      .Map<Event>(
          "Merge", [](const Event& e) { return e; }, [](const Event& e) { return e; })
      .SetParallelism(3)
      .KeyBy([](const Event& e) { return e.first; })
      .Process<std::string>("TumblingCount", [] { return std::make_unique<TumblingCount>(); })
      .SetParallelism(2)
      .AddSink("Sink", MakeFileSink<std::string>(
                           FileSinkSpec{context.output_dir},
                           [](const std::string& s, std::string* line) { *line += s; }));
  return env.Build();
}

// A ProcessFunction that reads each record's timestamp (the assigner's, carried through Map).
class StampWithTime final : public ProcessFunction<Event, std::string> {
 public:
  void ProcessElement(const Event& e, Context& ctx, Collector<std::string>& out) override {
    if (ctx.timestamp() % 3 == 0) out.Emit(e.first + "@" + std::to_string(ctx.timestamp()));
  }
};

Result<JobGraph> BuildStampJob(const JobContext& context) {
  StreamEnvironment env("stamp", 128);
  env.SetParallelism(2);
  env.AddSource("Lines", LineSource(SourceSpec{context.input_dir, 0}), context.input_splits)
      .Map("Parse",
           [](const std::string& line) {
             const size_t space = line.find(' ');
             return Event(line.substr(0, space), std::stoll(line.substr(space + 1)));
           })
      .AssignTimestampsAndWatermarks(WatermarkStrategy<Event>::ForMonotonousTimestamps(
          [](const Event& e) { return e.second * 2; }))
      .Rebalance()
      .Map("Same", [](const Event& e) { return e; })
      .SetParallelism(3)
      .Process<std::string>("Stamp", [] { return std::make_unique<StampWithTime>(); })
      .SetParallelism(3)
      .AddSink("Sink", MakeFileSink<std::string>(
                           FileSinkSpec{context.output_dir},
                           [](const std::string& s, std::string* line) { *line += s; }));
  return env.Build();
}

// Line i: key k<i % 5>, event time i * 10 ms, shifted back by up to 40 ms (disorder within the
// bound of 50 ms).
std::string Input(int lines) {
  std::string text;
  for (int i = 0; i < lines; ++i) {
    const int64_t time = int64_t{i} * 10 + 100 - (i * 7919 % 5) * 10;
    text += "k" + std::to_string(i % 5) + " " + std::to_string(time) + "\n";
  }
  return text;
}

std::map<std::string, int64_t> ExpectedWindows(int lines) {
  std::map<std::pair<std::string, int64_t>, int64_t> counts;
  for (int i = 0; i < lines; ++i) {
    const int64_t time = int64_t{i} * 10 + 100 - (i * 7919 % 5) * 10;
    ++counts[{"k" + std::to_string(i % 5), time - time % kWindowMs}];
  }
  std::map<std::string, int64_t> expected;
  for (const auto& [window, count] : counts) {
    ++expected[window.first + " " + std::to_string(window.second) + " " + std::to_string(count)];
  }
  return expected;
}

class EventTimeJobTest : public ::testing::Test {
 protected:
  EventTimeJobTest() {
    EXPECT_TRUE(jobs_
                    .Register({.name = "event-time",
                               .description = "tumbling counts with event-time timers",
                               .build = BuildEventTimeJob})
                    .ok());
  }
  JobRegistry jobs_;
};

// Timestamps reach a ProcessFunction across the network (a rebalance) in the runtime as in the
// reference, and the reference's lines are the ones computed here.
TEST_F(EventTimeJobTest, ProcessFunctionSeesTheAssignedTimestamps) {
  ASSERT_TRUE(
      jobs_.Register({.name = "stamp", .description = "timestamps", .build = BuildStampJob}).ok());
  const std::string input = Input(600);
  std::map<std::string, int64_t> expected;
  size_t start = 0;
  while (start < input.size()) {
    const size_t end = input.find('\n', start);
    const std::string line = input.substr(start, end - start);
    start = end + 1;
    const size_t space = line.find(' ');
    const int64_t timestamp = std::stoll(line.substr(space + 1)) * 2;
    if (timestamp % 3 == 0) ++expected[line.substr(0, space) + "@" + std::to_string(timestamp)];
  }
  WordCountClusterOptions options;
  options.seed = 5;
  options.jobs = &jobs_;
  options.job = "stamp";
  WordCountCluster cluster(options, input);
  cluster.Run(60 * 1000);
  ASSERT_TRUE(cluster.finished()) << cluster.failure();
  auto reference = EvaluateReference(*cluster.job_graph(), cluster.partitions());
  ASSERT_TRUE(reference.ok()) << reference.status().ToString();
  EXPECT_EQ(*reference, expected);
  const ReferenceReport report = CompareWithReference(*reference, cluster.CommittedOutput());
  EXPECT_TRUE(report.exact) << report.first_violation;
}

TEST_F(EventTimeJobTest, ReferenceFiresEveryWindowOnce) {
  JobSpec spec;
  spec.job = "event-time";
  auto graph = jobs_.Build(spec);
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
  const int lines = 3000;
  auto reference =
      EvaluateReference(*graph, WordCountCluster::SplitIntoPartitions(Input(lines), 2));
  ASSERT_TRUE(reference.ok()) << reference.status().ToString();
  EXPECT_EQ(*reference, ExpectedWindows(lines));
}

TEST_F(EventTimeJobTest, FinishesExactlyOnceAndDeterministically) {
  const std::string input = Input(3000);
  WordCountClusterOptions options;
  options.seed = 11;
  options.jobs = &jobs_;
  options.job = "event-time";
  options.source_records_per_second = 1000;
  uint64_t first_trace = 0;
  for (int run = 0; run < 2; ++run) {
    WordCountCluster cluster(options, input);
    cluster.Run(120 * 1000);
    ASSERT_TRUE(cluster.finished()) << cluster.failure();
    auto reference = EvaluateReference(*cluster.job_graph(), cluster.partitions());
    ASSERT_TRUE(reference.ok());
    const ReferenceReport report = CompareWithReference(*reference, cluster.CommittedOutput());
    EXPECT_TRUE(report.exact) << report.first_violation;
    EXPECT_EQ(report.records, report.expected);
    EXPECT_GT(report.records, 100) << "every key's windows are committed";
    EXPECT_GT(cluster.checkpoints_completed(), 1) << "windows fired across several checkpoints";
    if (run == 0) {
      first_trace = cluster.world().trace_hash();
    } else {
      EXPECT_EQ(cluster.world().trace_hash(), first_trace) << "seed 11 is not deterministic";
    }
  }
}

// Timers and window state survive crashes and restores.
TEST_F(EventTimeJobTest, PassesScenariosJudgedByTheReferenceEvaluator) {
  int64_t restarts = 0;
  for (const ScenarioResult& result :
       ExpectScenariosPass(jobs_, "event-time", Input(3000), {"tm-crash", "chaos", "jm-failover"},
                           4, "EventTimeJobTest.PassesScenariosJudgedByTheReferenceEvaluator")) {
    restarts += result.restarts;
  }
  EXPECT_GT(restarts, 0) << "no run restored timers";
}

// One timer per key, each emitting how often another fiber of the host has run so far.
class EmitOtherFiberRuns final : public KeyedProcessFunction<int64_t, int64_t, int64_t> {
 public:
  explicit EmitOtherFiberRuns(const int64_t* other_runs) : other_runs_(other_runs) {}
  void ProcessElement(const int64_t&, Context& ctx, Collector<int64_t>&) override {
    ctx.timer_service().RegisterEventTimeTimer(1000);
  }
  void OnTimer(int64_t, Context&, Collector<int64_t>& out) override { out.Emit(*other_runs_); }

 private:
  const int64_t* other_runs_;
};

// A watermark that fires thousands of timers lets the host's other fibers run meanwhile (a real
// TaskManager must keep answering heartbeats; a benchmark once lost its JobManager's lease here).
TEST(TimerFiringTest, AWatermarkFiringManyTimersLetsOtherFibersRun) {
  constexpr int64_t kKeys = 5000;
  int64_t other_runs = 0;
  StreamEnvironment env("timers");
  auto fired =
      env.AddSource("Keys", DataGeneratorSource<int64_t>(kKeys, [](int64_t i) { return i; }), 1)
          .KeyBy([](const int64_t& key) { return key; })
          .Process<int64_t>(
              "Fire", [&other_runs] { return std::make_unique<EmitOtherFiberRuns>(&other_runs); });
  auto graph = env.Build();
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
  const OperatorNode& node = graph->nodes[fired.operator_node()];
  Capture<int64_t> out;
  RunLinkOnSimHost<int64_t>(node, "Fire (1/1)", &out,
                            [&](Host& host, ChainLink* link, BatchConsumer<int64_t>* input) {
                              std::vector<int64_t> keys(kKeys);
                              for (int64_t i = 0; i < kKeys; ++i) keys[i] = i;
                              ASSERT_TRUE(input->Consume(keys, {}).ok());
                              bool stop = false;
                              const FiberId other = host.fibers.Spawn("other", [&] {
                                while (!stop) {
                                  ++other_runs;
                                  host.fibers.Yield();
                                }
                              });
                              ASSERT_TRUE(link->ProcessWatermark(kMaxWatermark).ok());
                              stop = true;
                              host.fibers.Join(other);
                            });
  ASSERT_EQ(out.records.size(), static_cast<size_t>(kKeys));
  EXPECT_EQ(out.records.front(), 0) << "the firing starts before the other fiber runs";
  EXPECT_GT(out.records.back(), 0) << "the other fiber ran while the timers fired";
}

}  // namespace event_time_job_test
}  // namespace
}  // namespace sluice::scenarios
