// Event-time windows end to end: tumbling (Reduce), sliding (Aggregate) and session (Process)
// windows over the same timestamped stream, checked against windows computed here and run
// through crash scenarios judged by the reference evaluator.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/api/data_stream.h"
#include "engine/connectors/data_generator.h"
#include "engine/connectors/line_source.h"
#include "engine/api/job_registry.h"
#include "engine/config/core_options.h"
#include "engine/connectors/file_sink.h"
#include "scenarios/job_scenarios_test_util.h"
#include "scenarios/reference_evaluator.h"
#include "scenarios/scenario.h"
#include "scenarios/wordcount_cluster.h"
#include "simnet/world.h"

namespace sluice::scenarios {
namespace {
namespace window_job_test {

using Event = std::pair<std::string, int64_t>;  // key, event time (ms)
using Count = std::pair<std::string, int64_t>;

class CountEvents final : public AggregateFunction<Count, int64_t, int64_t> {
 public:
  int64_t CreateAccumulator() const override { return 0; }
  int64_t Add(const Count&, int64_t acc) const override { return acc + 1; }
  int64_t GetResult(const int64_t& acc) const override { return acc; }
  int64_t Merge(int64_t a, const int64_t& b) const override { return a + b; }
};

Result<JobGraph> BuildWindowJob(const JobContext& context) {
  StreamEnvironment env("windows", 128);
  env.SetParallelism(2);
  auto counts =
      env.AddSource("Lines",
                        LineSource(SourceSpec{context.input_dir, context.settings.GetInt(SourceRateLimit())}),
                        context.input_splits)
          .Map("Parse",
               [](const std::string& line) {
                 const size_t space = line.find(' ');
                 return Event(line.substr(0, space), std::stoll(line.substr(space + 1)));
               })
          .SetParallelism(context.input_splits)
          .AssignTimestampsAndWatermarks(WatermarkStrategy<Event>::ForBoundedOutOfOrderness(
              50, [](const Event& e) { return e.second; }))
          .Map("One", [](const Event& e) { return Count(e.first, 1); })
          .SetParallelism(context.input_splits);
  auto by_key = counts.KeyBy([](const Count& c) { return c.first; });
  auto sink = MakeFileSink<std::string>(FileSinkSpec{context.output_dir},
                                        [](const std::string& s, std::string* line) { *line += s; });
  auto tumbling =
      by_key.Window(TumblingEventTimeWindows::Of(1000))
          .Reduce("Tumbling", [](const Count& a, const Count& b) {
            return Count(a.first, a.second + b.second);
          })
          .Map("ShowTumbling",
               [](const Count& c) { return "t:" + c.first + " " + std::to_string(c.second); });
  auto sliding =
      by_key.Window(SlidingEventTimeWindows::Of(2000, 500))
          .Aggregate<int64_t, int64_t>("Sliding", std::make_shared<const CountEvents>())
          .Map("ShowSliding", [](const int64_t& n) { return "s:" + std::to_string(n); });
  auto sessions = by_key.Window(EventTimeSessionWindows::WithGap(300))
                      .Process<std::string>(
                          "Sessions", [](const std::string& key, const TimeWindow& window,
                                         const std::vector<Count>& elements,
                                         Collector<std::string>& out) {
                            out.Emit("w:" + key + " " + std::to_string(window.start) + " " +
                                     std::to_string(window.end) + " " +
                                     std::to_string(elements.size()));
                          });
  tumbling.Union(sliding).Union(sessions).AddSink("Sink", sink);
  return env.Build();
}

// Key k<i % 5> at about i * 10 ms (up to 40 ms early), with a 2 s silence every 8 s.
std::vector<Event> Events(int lines) {
  std::vector<Event> events;
  for (int i = 0; i < lines; ++i) {
    if ((i / 200) % 4 == 3) continue;
    events.emplace_back("k" + std::to_string(i % 5), int64_t{i} * 10 + 100 - (i * 7919 % 5) * 10);
  }
  return events;
}
std::string Input(int lines) {
  std::string text;
  for (const Event& e : Events(lines)) text += e.first + " " + std::to_string(e.second) + "\n";
  return text;
}

// The sessions, computed directly: per key, sorted times, split where the gap is >= 300 ms.
std::map<std::string, int64_t> ExpectedSessions(int lines) {
  std::map<std::string, std::vector<int64_t>> times;
  for (const Event& e : Events(lines)) times[e.first].push_back(e.second);
  std::map<std::string, int64_t> expected;
  for (auto& [key, ts] : times) {
    std::sort(ts.begin(), ts.end());
    size_t first = 0;
    for (size_t i = 1; i <= ts.size(); ++i) {
      if (i < ts.size() && ts[i] < ts[i - 1] + 300) continue;
      ++expected["w:" + key + " " + std::to_string(ts[first]) + " " +
                 std::to_string(ts[i - 1] + 300) + " " + std::to_string(i - first)];
      first = i;
    }
  }
  return expected;
}

// The tumbling (1 s) and sliding (2 s every 0.5 s) windows' lines, computed directly.
std::map<std::string, int64_t> ExpectedTumblingAndSliding(int lines) {
  std::map<std::pair<std::string, int64_t>, int64_t> tumbling, sliding;
  for (const Event& e : Events(lines)) {
    ++tumbling[{e.first, e.second - e.second % 1000}];
    for (int64_t start = e.second - e.second % 500; start > e.second - 2000; start -= 500) {
      ++sliding[{e.first, start}];
    }
  }
  std::map<std::string, int64_t> expected;
  for (const auto& [window, n] : tumbling) ++expected["t:" + window.first + " " + std::to_string(n)];
  for (const auto& [window, n] : sliding) ++expected["s:" + std::to_string(n)];
  return expected;
}

class WindowJobTest : public ::testing::Test {
 protected:
  WindowJobTest() {
    EXPECT_TRUE(jobs_.Register({.name = "windows",
                                .description = "tumbling, sliding and session windows",
                                .build = BuildWindowJob})
                    .ok());
  }
  JobRegistry jobs_;
};

TEST(WindowAssignerTest, WindowsAlignAsFlinksDo) {
  EXPECT_EQ(TumblingEventTimeWindows::Of(1000).assign(2500),
            (std::vector<TimeWindow>{{2000, 3000}}));
  EXPECT_EQ(TumblingEventTimeWindows::Of(1000, 100).assign(2050),
            (std::vector<TimeWindow>{{1100, 2100}}));
  EXPECT_EQ(TumblingEventTimeWindows::Of(1000).assign(-1),
            (std::vector<TimeWindow>{{-1000, 0}}));
  EXPECT_EQ(SlidingEventTimeWindows::Of(2000, 500).assign(2100),
            (std::vector<TimeWindow>{{2000, 4000}, {1500, 3500}, {1000, 3000}, {500, 2500}}));
  EXPECT_EQ(EventTimeSessionWindows::WithGap(300).assign(42),
            (std::vector<TimeWindow>{{42, 342}}));
}

TEST_F(WindowJobTest, ReferenceSessionsMatchSessionsComputedHere) {
  JobSpec spec;
  spec.job = "windows";
  auto graph = jobs_.Build(spec);
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
  auto reference = EvaluateReference(*graph, WordCountCluster::SplitIntoPartitions(Input(3000), 2));
  ASSERT_TRUE(reference.ok()) << reference.status().ToString();
  std::map<std::string, int64_t> sessions, others;
  for (const auto& [line, n] : *reference) (line.rfind("w:", 0) == 0 ? sessions : others)[line] = n;
  EXPECT_EQ(sessions, ExpectedSessions(3000));
  EXPECT_GT(sessions.size(), 5u) << "the silences split sessions";
  EXPECT_EQ(others, ExpectedTumblingAndSliding(3000));
}

TEST_F(WindowJobTest, PassesScenariosJudgedByTheReferenceEvaluator) {
  int64_t restarts = 0;
  for (const ScenarioResult& result :
       ExpectScenariosPass(jobs_, "windows", Input(3000),
                           {"tm-crash", "chaos", "checkpoint-corruption"}, 4,
                           "WindowJobTest.PassesScenariosJudgedByTheReferenceEvaluator")) {
    EXPECT_GT(result.records_out, 0) << result.scenario << " seed " << result.seed;
    restarts += result.restarts;
  }
  EXPECT_GT(restarts, 0) << "no run restored window state";
}

// Processing-time windows on the runtime link, on a simulated host: records are windowed by the
// clock when they arrive, and a window fires when the clock passes its end.
TEST(ProcessingTimeWindowTest, WindowsFollowTheClock) {
  StreamEnvironment env("processing-time");
  auto counts = env.AddSource("Counts", DataGeneratorSource<Count>(1, [](int64_t) {
                                return Count("a", 1);
                              }),
                              1);
  auto sums = counts.KeyBy([](const Count& c) { return c.first; })
                  .Window(TumblingProcessingTimeWindows::Of(1000))
                  .Reduce("Sum", [](const Count& a, const Count& b) {
                    return Count(a.first, a.second + b.second);
                  });
  auto graph = env.Build();
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
  const OperatorNode& sum = graph->nodes[sums.operator_node()];
  Capture<Count> out;
  std::vector<int64_t> fired_at;  // clock (ms) when each firing happened
  RunLinkOnSimHost<Count>(
      sum, "Sum (1/1)", &out, [&](Host& host, ChainLink* link, BatchConsumer<Count>* input) {
    // Two records in the window of now, three in the next second's.
    auto feed = [&](int n) {
      for (int i = 0; i < n; ++i) {
        const std::vector<Count> batch = {Count("a", 1)};
        ASSERT_TRUE(input->Consume(batch, {}).ok());
      }
    };
    auto run_timers_until = [&](int64_t until_ms) {
      while (link->NextProcessingTimeMs() <= until_ms) {
        host.fibers.SleepUntil(link->NextProcessingTimeMs() * kNanosPerMilli);
        const size_t before = out.records.size();
        ASSERT_TRUE(link->OnProcessingTime(host.clock.NowMs()).ok());
        if (out.records.size() > before) fired_at.push_back(host.clock.NowMs());
      }
    };
    const int64_t start_ms = host.clock.NowMs();
    const int64_t first_end = start_ms - start_ms % 1000 + 1000;
    feed(2);
    EXPECT_TRUE(out.records.empty()) << "nothing fires before the window's end";
    run_timers_until(first_end);
    host.fibers.SleepUntil(first_end * kNanosPerMilli + 10 * kNanosPerMilli);
    feed(3);
    run_timers_until(first_end + 1000);
    EXPECT_EQ(link->NextProcessingTimeMs(), INT64_MAX) << "fired windows are forgotten";
  });
  EXPECT_EQ(out.records, (std::vector<Count>{{"a", 2}, {"a", 3}}));
  ASSERT_EQ(fired_at.size(), 2u);
  EXPECT_EQ(fired_at[1] - fired_at[0], 1000);
}

}  // namespace window_job_test
}  // namespace
}  // namespace sluice::scenarios
