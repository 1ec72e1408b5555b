// Side outputs end to end: a ProcessFunction and a KeyedProcessFunction (from a record and from a
// timer) emit records of another type to side outputs, read chained and over the network,
// checked against output computed here and run through crash scenarios judged by the reference
// evaluator. A window's late records reach SideOutputLateData's side output, checked on the
// window operator's runtime link with records and watermarks fed by hand (lateness depends on the
// watermark, so no scenario can judge it).
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

namespace sluice::scenarios {
namespace {
namespace side_output_job_test {

const OutputTag<int64_t> kOddLengths("odd-lengths");
const OutputTag<std::string> kFirstSeen("first-seen");
const OutputTag<std::string> kTimerFired("timer-fired");

// Lines of even length stay on the main output; odd ones leave as their length on a side output.
class SplitByLength final : public ProcessFunction<std::string, std::string> {
 public:
  void ProcessElement(const std::string& line, Context& ctx,
                      Collector<std::string>& out) override {
    if (line.size() % 2 == 0) {
      out.Emit("even:" + line);
    } else {
      ctx.Output(kOddLengths, static_cast<int64_t>(line.size()));
    }
  }
};

// Counts per first word; its first record and its end-of-input timer go to side outputs.
class CountFirstWords final : public KeyedProcessFunction<std::string, std::string, std::string> {
 public:
  void Open(KeyedStateStore& state) override { count_ = &state.GetValueState<int64_t>("count"); }
  void ProcessElement(const std::string&, Context& ctx, Collector<std::string>&) override {
    if (count_->value() == 0) {
      ctx.Output(kFirstSeen, "first:" + ctx.current_key());
      ctx.timer_service().RegisterEventTimeTimer(kMaxWatermark - 1);
    }
    count_->update(count_->value() + 1);
  }
  void OnTimer(int64_t, Context& ctx, Collector<std::string>& out) override {
    out.Emit("count:" + ctx.current_key() + " " + std::to_string(count_->value()));
    ctx.Output(kTimerFired, "timer:" + ctx.current_key());
  }

 private:
  ValueState<int64_t>* count_ = nullptr;
};

std::string FirstWord(const std::string& line) { return line.substr(0, line.find(' ')); }

Result<JobGraph> BuildSideOutputJob(const JobContext& context) {
  StreamEnvironment env("side-outputs", 128);
  env.SetParallelism(3);
  auto lines = env.AddSource("Lines",
                             LineSource(SourceSpec{context.input_dir,
                                                   context.settings.GetInt(SourceRateLimit())}),
                             context.input_splits);
  auto split = lines
                   .Process<std::string>("SplitByLength",
                                         [] { return std::make_unique<SplitByLength>(); })
                   .SetParallelism(context.input_splits);
  // Chained: same parallelism, forward.
  auto odd = split.GetSideOutput(kOddLengths)
                 .Map("ShowOdd", [](const int64_t& n) { return "odd:" + std::to_string(n); })
                 .SetParallelism(context.input_splits);
  auto counts = lines.KeyBy([](const std::string& line) { return FirstWord(line); })
                    .Process<std::string>(
                        "CountFirstWords",
                        KeyedProcessFunctionFactory<std::string, std::string, std::string>(
                            [] { return std::make_unique<CountFirstWords>(); }));
  // Over the network: rebalanced to another parallelism.
  auto first = counts.GetSideOutput(kFirstSeen).Rebalance().Map(
      "ShowFirst", [](const std::string& s) { return s; });
  auto timers = counts.GetSideOutput(kTimerFired);
  auto sink = MakeFileSink<std::string>(FileSinkSpec{context.output_dir},
                                        [](const std::string& s, std::string* line) { *line += s; });
  split.Union(odd).Union(counts).Union(first).Union(timers).AddSink("Sink", sink);
  return env.Build();
}

std::string Input(int lines) {
  std::string text;
  for (int i = 0; i < lines; ++i) {
    text += "w" + std::to_string(i % 13) + std::string(static_cast<size_t>(i % 5), '.') + " x\n";
  }
  return text;
}

std::map<std::string, int64_t> Expected(int lines) {
  std::map<std::string, int64_t> expected;
  std::map<std::string, int64_t> counts;
  for (int i = 0; i < lines; ++i) {
    const std::string line =
        "w" + std::to_string(i % 13) + std::string(static_cast<size_t>(i % 5), '.') + " x";
    if (line.size() % 2 == 0) {
      ++expected["even:" + line];
    } else {
      ++expected["odd:" + std::to_string(line.size())];
    }
    ++counts[FirstWord(line)];
  }
  for (const auto& [word, n] : counts) {
    ++expected["first:" + word];
    ++expected["timer:" + word];
    ++expected["count:" + word + " " + std::to_string(n)];
  }
  return expected;
}

class SideOutputJobTest : public ::testing::Test {
 protected:
  SideOutputJobTest() {
    EXPECT_TRUE(jobs_.Register({.name = "side-outputs",
                                .description = "side outputs of process functions",
                                .build = BuildSideOutputJob})
                    .ok());
  }
  JobRegistry jobs_;
};

TEST_F(SideOutputJobTest, ReferenceMatchesOutputComputedHere) {
  JobSpec spec;
  spec.job = "side-outputs";
  auto graph = jobs_.Build(spec);
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
  auto reference = EvaluateReference(*graph, WordCountCluster::SplitIntoPartitions(Input(400), 2));
  ASSERT_TRUE(reference.ok()) << reference.status().ToString();
  EXPECT_EQ(*reference, Expected(400));
}

TEST_F(SideOutputJobTest, PassesScenariosJudgedByTheReferenceEvaluator) {
  int64_t restarts = 0;
  for (const ScenarioResult& result :
       ExpectScenariosPass(jobs_, "side-outputs", Input(400), {"tm-crash", "chaos"}, 4,
                           "SideOutputJobTest.PassesScenariosJudgedByTheReferenceEvaluator")) {
    restarts += result.restarts;
  }
  EXPECT_GT(restarts, 0);
}

TEST(SideOutputBuildTest, AnOperatorWithoutSideOutputsIsRefused) {
  StreamEnvironment env("bad");
  auto numbers = env.AddSource("N", DataGeneratorSource<int64_t>(10, [](int64_t i) { return i; }),
                               1);
  numbers.Map("Double", [](const int64_t& n) { return 2 * n; })
      .GetSideOutput(kOddLengths)
      .AddSink("Sink", MakeFileSink<int64_t>(FileSinkSpec{"out"}, [](const int64_t& n,
                                                                      std::string* line) {
                 *line += std::to_string(n);
               }));
  auto graph = env.Build();
  ASSERT_FALSE(graph.ok());
  EXPECT_NE(graph.status().message().find("'Double' has no side outputs"), std::string::npos)
      << graph.status().ToString();
}

TEST(SideOutputLateDataTest, ALateRecordGoesToTheSideOutputAndWatermarksFollow) {
  using Event = std::pair<std::string, int64_t>;
  const OutputTag<Event> late("late");
  StreamEnvironment env("late");
  auto events = env.AddSource(
      "Events", DataGeneratorSource<Event>(1, [](int64_t) { return Event("a", 0); }), 1);
  auto windows = events.KeyBy([](const Event& e) { return e.first; })
                     .Window(TumblingEventTimeWindows::Of(1000))
                     .SideOutputLateData(late)
                     .Reduce("Sum", [](const Event& a, const Event& b) {
                       return Event(a.first, a.second + b.second);
                     });
  windows.GetSideOutput(late).AddSink(
      "Late", MakeFileSink<Event>(FileSinkSpec{"out"}, [](const Event&, std::string*) {}));
  auto graph = env.Build();
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
  const OperatorNode& sum = graph->nodes[windows.operator_node()];
  ASSERT_EQ(sum.name, "Sum");

  Capture<Event> main, side;
  SideOutputs side_outputs;
  side_outputs.AddConsumer("late", &side);
  TaskContext ctx;
  ctx.task_name = "Sum (1/1)";
  ctx.side_outputs = &side_outputs;
  std::unique_ptr<ChainLink> link = sum.make_link(ctx, &main);
  auto* input = dynamic_cast<BatchConsumer<Event>*>(link.get());
  ASSERT_NE(input, nullptr);
  ASSERT_TRUE(link->Open({}).ok());

  const std::vector<Event> first = {{"a", 1}, {"a", 2}};
  const std::vector<int64_t> first_times = {100, 200};
  ASSERT_TRUE(input->Consume(first, first_times).ok());
  ASSERT_TRUE(link->ProcessWatermark(1500).ok());  // fires [0, 1000)
  EXPECT_EQ(main.records, (std::vector<Event>{{"a", 3}}));
  EXPECT_EQ(side.watermarks, (std::vector<int64_t>{1500})) << "the side stream's time advances";

  const std::vector<Event> second = {{"a", 10}, {"a", 20}};
  const std::vector<int64_t> second_times = {300, 1600};  // 300 is late: its window is gone
  ASSERT_TRUE(input->Consume(second, second_times).ok());
  EXPECT_EQ(side.records, (std::vector<Event>{{"a", 10}}));
  ASSERT_TRUE(link->ProcessWatermark(kMaxWatermark).ok());
  EXPECT_EQ(main.records, (std::vector<Event>{{"a", 3}, {"a", 20}}));
  EXPECT_EQ(side.watermarks, (std::vector<int64_t>{1500, kMaxWatermark}));
}

}  // namespace side_output_job_test
}  // namespace
}  // namespace sluice::scenarios
