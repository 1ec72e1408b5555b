// Two-input keyed operators end to end: a KeyedCoProcessFunction (an unbounded join kept in
// ListState), an interval join and a tumbling window join over the same two timestamped streams,
// checked against joins computed here and run through crash scenarios judged by the reference
// evaluator.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/api/data_stream.h"
#include "engine/api/job_registry.h"
#include "engine/config/core_options.h"
#include "engine/connectors/file_sink.h"
#include "engine/connectors/data_generator.h"
#include "engine/connectors/line_source.h"
#include "scenarios/job_scenarios_test_util.h"
#include "scenarios/reference_evaluator.h"
#include "scenarios/scenario.h"
#include "scenarios/wordcount_cluster.h"

namespace sluice::scenarios {
namespace {
namespace join_job_test {

struct Event {
  bool left = false;
  int32_t key = 0;
  int64_t time = 0;  // ms
  auto Tie() { return std::tie(left, key, time); }
  auto Tie() const { return std::tie(left, key, time); }
};

std::string Show(const char* kind, const Event& l, const Event& r) {
  return std::string(kind) + ":" + std::to_string(l.key) + " " + std::to_string(l.time) + " " +
         std::to_string(r.time);
}

// Every pair of one key, whatever the times: both sides kept in ListState.
class EveryPair final : public KeyedCoProcessFunction<int32_t, Event, Event, std::string> {
 public:
  void Open(KeyedStateStore& state) override {
    left_ = &state.GetListState<Event>("left");
    right_ = &state.GetListState<Event>("right");
  }
  void ProcessElement1(const Event& l, Context&, Collector<std::string>& out) override {
    left_->add(l);
    for (const Event& r : right_->get()) out.Emit(Show("c", l, r));
  }
  void ProcessElement2(const Event& r, Context& ctx, Collector<std::string>& out) override {
    if (ctx.current_key() != r.key) ctx.Fail("records of the second input arrive under their key");
    right_->add(r);
    for (const Event& l : left_->get()) out.Emit(Show("c", l, r));
  }

 private:
  ListState<Event>* left_ = nullptr;
  ListState<Event>* right_ = nullptr;
};

Result<JobGraph> BuildJoinJob(const JobContext& context) {
  StreamEnvironment env("joins", 128);
  env.SetParallelism(3);
  auto events =
      env.AddSource("Lines",
                    LineSource(SourceSpec{context.input_dir,
                                          context.settings.GetInt(SourceRateLimit())}),
                    context.input_splits)
          .Map("Parse",
               [](const std::string& line) {
                 Event e;
                 e.left = line[0] == 'L';
                 const size_t space = line.find(' ', 2);
                 e.key = std::stoi(line.substr(2, space - 2));
                 e.time = std::stoll(line.substr(space + 1));
                 return e;
               })
          .SetParallelism(context.input_splits)
          .AssignTimestampsAndWatermarks(WatermarkStrategy<Event>::ForBoundedOutOfOrderness(
              50, [](const Event& e) { return e.time; }));
  auto left = events.Filter("Left", [](const Event& e) { return e.left; })
                  .SetParallelism(context.input_splits);
  auto right = events.Filter("Right", [](const Event& e) { return !e.left; })
                   .SetParallelism(context.input_splits);
  auto key = [](const Event& e) { return e.key; };
  auto every = left.Connect(right).KeyBy(key, key).Process<std::string>(
      "EveryPair",
      KeyedCoProcessFunctionFactory<int32_t, Event, Event, std::string>(
          [] { return std::make_unique<EveryPair>(); }));
  auto interval = left.KeyBy(key)
                      .IntervalJoin(right.KeyBy(key))
                      .Between(-100, 50)
                      .Process<std::string>("IntervalJoin", [](const Event& l, const Event& r,
                                                              Collector<std::string>& out) {
                        out.Emit(Show("i", l, r));
                      });
  auto window = left.Join(right)
                    .Where(key)
                    .EqualTo(key)
                    .Window(TumblingEventTimeWindows::Of(500))
                    .Apply("WindowJoin", [](const Event& l, const Event& r) {
                      return Show("w", l, r);
                    });
  auto sink = MakeFileSink<std::string>(FileSinkSpec{context.output_dir},
                                        [](const std::string& s, std::string* line) { *line += s; });
  every.Union(interval).Union(window).AddSink("Sink", sink);
  return env.Build();
}

// Record i: right if i % 3 == 0, key i % 7, at about i * 10 ms (up to 40 ms early).
std::vector<Event> Events(int lines) {
  std::vector<Event> events;
  for (int i = 0; i < lines; ++i) {
    events.push_back({i % 3 != 0, i % 7, int64_t{i} * 10 + 100 - (i * 7919 % 5) * 10});
  }
  return events;
}
std::string Input(int lines) {
  std::string text;
  for (const Event& e : Events(lines)) {
    text += std::string(e.left ? "L " : "R ") + std::to_string(e.key) + " " +
            std::to_string(e.time) + "\n";
  }
  return text;
}

std::map<std::string, int64_t> ExpectedJoins(int lines) {
  std::map<std::string, int64_t> expected;
  const std::vector<Event> events = Events(lines);
  for (const Event& l : events) {
    if (!l.left) continue;
    for (const Event& r : events) {
      if (r.left || r.key != l.key) continue;
      ++expected[Show("c", l, r)];
      if (r.time >= l.time - 100 && r.time <= l.time + 50) ++expected[Show("i", l, r)];
      if (l.time / 500 == r.time / 500) ++expected[Show("w", l, r)];
    }
  }
  return expected;
}

class JoinJobTest : public ::testing::Test {
 protected:
  JoinJobTest() {
    EXPECT_TRUE(jobs_.Register({.name = "joins",
                                .description = "keyed co-process, interval and window joins",
                                .build = BuildJoinJob})
                    .ok());
  }
  JobRegistry jobs_;
};

TEST_F(JoinJobTest, ReferenceJoinsMatchJoinsComputedHere) {
  JobSpec spec;
  spec.job = "joins";
  auto graph = jobs_.Build(spec);
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
  auto reference = EvaluateReference(*graph, WordCountCluster::SplitIntoPartitions(Input(600), 2));
  ASSERT_TRUE(reference.ok()) << reference.status().ToString();
  const std::map<std::string, int64_t> expected = ExpectedJoins(600);
  EXPECT_EQ(*reference, expected);
  int64_t interval = 0, window = 0;
  for (const auto& [line, n] : expected) {
    interval += line[0] == 'i' ? n : 0;
    window += line[0] == 'w' ? n : 0;
  }
  EXPECT_GT(interval, 100);
  EXPECT_GT(window, 100);
}

TEST_F(JoinJobTest, PassesScenariosJudgedByTheReferenceEvaluator) {
  int64_t restarts = 0;
  for (const ScenarioResult& result :
       ExpectScenariosPass(jobs_, "joins", Input(600), {"tm-crash", "chaos", "jm-failover"}, 4,
                           "JoinJobTest.PassesScenariosJudgedByTheReferenceEvaluator")) {
    EXPECT_GT(result.records_out, 0) << result.scenario << " seed " << result.seed;
    restarts += result.restarts;
  }
  EXPECT_GT(restarts, 0) << "no run restored join state";
}

TEST(JoinBuildTest, SessionWindowJoinAndInvertedBoundsAreRefused) {
  auto build = [](bool session) {
    StreamEnvironment env("bad-join");
    auto a = env.AddSource("A", DataGeneratorSource<Event>(10, [](int64_t i) {
                             return Event{true, static_cast<int32_t>(i), i};
                           }),
                           1);
    auto key = [](const Event& e) { return e.key; };
    if (session) {
      a.Join(a).Where(key).EqualTo(key).Window(EventTimeSessionWindows::WithGap(10)).Apply(
          "SessionJoin", [](const Event& l, const Event&) { return l.time; });
    } else {
      a.KeyBy(key).IntervalJoin(a.KeyBy(key)).Between(5, 1).Process<int64_t>(
          "Inverted", [](const Event& l, const Event&, Collector<int64_t>& out) {
            out.Emit(l.time);
          });
    }
    return env.Build();
  };
  auto session = build(true);
  ASSERT_FALSE(session.ok());
  EXPECT_NE(session.status().message().find("SessionJoin"), std::string::npos)
      << session.status().ToString();
  auto inverted = build(false);
  ASSERT_FALSE(inverted.ok());
  EXPECT_NE(inverted.status().message().find("Inverted"), std::string::npos)
      << inverted.status().ToString();
}

}  // namespace join_job_test
}  // namespace
}  // namespace sluice::scenarios
