// Watermark idleness (WatermarkStrategy::WithIdleness) end to end: the timestamps link marks its
// output idle after the timeout and active again on its next record; through a cluster, a sparse
// source that idles stops holding back the window operator's watermark, so its records turn late
// (as in Flink), and a job that merges its late records back still gives the reference's output.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "engine/api/data_stream.h"
#include "engine/api/job_registry.h"
#include "engine/connectors/data_generator.h"
#include "engine/connectors/file_sink.h"
#include "scenarios/job_scenarios_test_util.h"
#include "scenarios/scenario.h"
#include "simnet/world.h"

namespace sluice::scenarios {
namespace {
namespace idleness_job_test {

using Event = std::pair<std::string, int64_t>;                  // source, event time (ms)
using WindowCount = std::tuple<std::string, int64_t, int64_t>;  // source, window start, records

TEST(IdlenessTest, TheTimestampsLinkTurnsIdleAfterTheTimeoutAndActiveOnItsNextRecord) {
  StreamEnvironment env("idleness");
  auto stamped =
      env.AddSource("Events", DataGeneratorSource<Event>(1, [](int64_t) { return Event("a", 0); }),
                    1)
          .AssignTimestampsAndWatermarks(
              WatermarkStrategy<Event>::ForMonotonousTimestamps([](const Event& e) {
                return e.second;
              }).WithIdleness(100));
  auto graph = env.Build();
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
  const OperatorNode& node = graph->nodes[stamped.operator_node()];
  Capture<Event> out;
  RunLinkOnSimHost<Event>(
      node, "Timestamps/Watermarks (1/1)", &out,
      [&](Host& host, ChainLink* link, BatchConsumer<Event>* input) {
        const int64_t start_ms = host.clock.NowMs();
        EXPECT_EQ(link->NextProcessingTimeMs(), start_ms + 100);
        const std::vector<Event> first = {{"a", 1000}};
        host.fibers.SleepUntil((start_ms + 60) * kNanosPerMilli);
        ASSERT_TRUE(input->Consume(first, {}).ok());
        EXPECT_EQ(link->NextProcessingTimeMs(), start_ms + 160) << "a record restarts the timeout";
        ASSERT_TRUE(link->OnProcessingTime(start_ms + 159).ok());  // not due: nothing
        host.fibers.SleepUntil((start_ms + 160) * kNanosPerMilli);
        ASSERT_TRUE(link->OnProcessingTime(host.clock.NowMs()).ok());
        EXPECT_EQ(link->NextProcessingTimeMs(), INT64_MAX) << "idle until the next record";
        ASSERT_TRUE(link->ProcessWatermarkStatus(false).ok());  // upstream statuses are dropped
        const std::vector<Event> second = {{"a", 2000}};
        ASSERT_TRUE(input->Consume(second, {}).ok());
        host.fibers.SleepUntil((start_ms + 400) * kNanosPerMilli);
        ASSERT_TRUE(link->OnProcessingTime(host.clock.NowMs()).ok());
        ASSERT_TRUE(link->ProcessWatermark(kMaxWatermark).ok());  // the end of the input
        EXPECT_EQ(link->NextProcessingTimeMs(), INT64_MAX) << "never idle after the end";
      });
  EXPECT_EQ(out.sequence,
            (std::vector<std::string>{"records:1", "w:999", "idle", "active", "records:1", "w:1999",
                                      "idle", "active", "w:" + std::to_string(kMaxWatermark)}));
}

TEST(IdlenessTest, ANonPositiveTimeoutFailsTheBuild) {
  StreamEnvironment env("idleness");
  env.AddSource("Events", DataGeneratorSource<Event>(1, [](int64_t) { return Event("a", 0); }), 1)
      .AssignTimestampsAndWatermarks(
          WatermarkStrategy<Event>::ForMonotonousTimestamps([](const Event& e) {
            return e.second;
          }).WithIdleness(0))
      .AddSink("Sink", MakeFileSink<Event>(FileSinkSpec{"out"}, [](const Event&, std::string*) {}));
  auto graph = env.Build();
  ASSERT_FALSE(graph.ok());
  EXPECT_NE(graph.status().ToString().find("idle timeout must be positive, not 0 ms"),
            std::string::npos)
      << graph.status().ToString();
}

// Two sources into one tumbling window count per source: "fast" (400 records, 40/s, event time
// 125 ms apart: 50 s of event time in 10 s) and "sparse" (10 records, 2/s, event time 500 ms
// apart: 5 s of event time in 5 s, so it lags far behind, and it ends first). Without idleness the
// sparse source holds the watermark back and no record is late. With a 100 ms idle timeout it
// idles between its records, the window's watermark follows the fast source's, and the sparse
// records arrive late. (Were the fast source to end while the sparse one idles, its final
// watermark would pass at once, as in Flink, and fire the totals before the last sparse records.)
struct IdlenessJob {
  bool idleness = false;
  bool merge_late = false;  // count late records into their windows (else they are dropped)
};

class CountWindow final
    : public KeyedProcessFunction<std::pair<std::string, int64_t>, WindowCount, std::string> {
 public:
  void Open(KeyedStateStore& state) override { total_ = &state.GetValueState<int64_t>("total"); }
  void ProcessElement(const WindowCount& count, Context& ctx,
                      Collector<std::string>& out) override {
    total_->update(total_->value() + std::get<2>(count));
    ctx.timer_service().RegisterEventTimeTimer(kMaxWatermark - 1);  // at the end of the input
  }
  void OnTimer(int64_t, Context& ctx, Collector<std::string>& out) override {
    const auto& [source, start] = ctx.current_key();
    out.Emit(source + " " + std::to_string(start) + " " + std::to_string(total_->value()));
  }

 private:
  ValueState<int64_t>* total_ = nullptr;
};

JobDefinition DefineIdlenessJob(std::string name, IdlenessJob shape) {
  return {
      .name = std::move(name),
      .description = "a sparse, lagging source beside a fast one, into windows",
      .build = [shape](const JobContext& context) -> Result<JobGraph> {
        StreamEnvironment env("idleness", 128);
        env.SetParallelism(2);
        auto strategy = WatermarkStrategy<Event>::ForMonotonousTimestamps(
            [](const Event& e) { return e.second; });
        if (shape.idleness) strategy = strategy.WithIdleness(100);
        auto fast = env.AddSource("Fast",
                                  DataGeneratorSource<Event>(
                                      400, [](int64_t i) { return Event("fast", i * 125); }, 40),
                                  1)
                        .AssignTimestampsAndWatermarks(strategy);
        auto sparse = env.AddSource("Sparse",
                                    DataGeneratorSource<Event>(
                                        10, [](int64_t i) { return Event("sparse", i * 500); }, 2),
                                    1)
                          .AssignTimestampsAndWatermarks(strategy);
        const OutputTag<Event> late("late");
        auto windows =
            fast.Union(sparse)
                .KeyBy([](const Event& e) { return e.first; })
                .Window(TumblingEventTimeWindows::Of(1000))
                .SideOutputLateData(late)
                .Process<WindowCount>("Count", [](const std::string& source,
                                                  const TimeWindow& window,
                                                  const std::vector<Event>& events,
                                                  Collector<WindowCount>& out) {
                  out.Emit(WindowCount(source, window.start, static_cast<int64_t>(events.size())));
                });
        DataStream<WindowCount> counts = windows;
        if (shape.merge_late) {
          counts = windows.Union(windows.GetSideOutput(late).Map("LateOne", [](const Event& e) {
            return WindowCount(e.first, e.second - e.second % 1000, 1);
          }));
        }
        counts
            .KeyBy([](const WindowCount& c) {
              return std::pair<std::string, int64_t>(std::get<0>(c), std::get<1>(c));
            })
            .Process<std::string>("Total", [] { return std::make_unique<CountWindow>(); })
            .AddSink("Sink", MakeFileSink<std::string>(
                                 FileSinkSpec{context.output_dir},
                                 [](const std::string& s, std::string* line) { *line += s; }));
        return env.Build();
      }};
}

class IdlenessJobTest : public ::testing::Test {
 protected:
  IdlenessJobTest() {
    EXPECT_TRUE(jobs_.Register(DefineIdlenessJob("no-idleness", {})).ok());
    EXPECT_TRUE(jobs_.Register(DefineIdlenessJob("idleness-drop", {.idleness = true})).ok());
    EXPECT_TRUE(
        jobs_.Register(DefineIdlenessJob("idleness-merge", {.idleness = true, .merge_late = true}))
            .ok());
  }
  ScenarioResult Run(const std::string& job, uint64_t seed) {
    ScenarioOptions options;
    options.seed = seed;
    options.input_text = std::string(200, 'x') + "\n";  // unused: the sources generate
    options.jobs = &jobs_;
    options.job = job;
    for (const ScenarioInfo& info : ScenarioCatalog()) {
      if (info.name == "tm-crash") return info.run(options);
    }
    ADD_FAILURE() << "no tm-crash scenario";
    return {};
  }
  JobRegistry jobs_;
};

TEST_F(IdlenessJobTest, WithoutIdlenessTheLaggingSourceHoldsTheWatermarkAndNothingIsLate) {
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    const ScenarioResult result = Run("no-idleness", seed);
    EXPECT_TRUE(result.pass) << "seed " << seed << ": " << result.failure
                             << " (rerun: ctest -R IdlenessJobTest)";
    EXPECT_EQ(EventCount(result, "watermark.idle"), 0u) << "seed " << seed;
  }
}

TEST_F(IdlenessJobTest, AnIdleSourceReleasesTheWatermarkSoItsRecordsTurnLate) {
  // The reference sees no watermarks, so it counts every sparse record; the run drops the late
  // ones. That the judge catches the difference is the proof that they were late.
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    const ScenarioResult result = Run("idleness-drop", seed);
    EXPECT_FALSE(result.pass) << "seed " << seed << ": no sparse record was late"
                              << " (rerun: ctest -R IdlenessJobTest)";
    EXPECT_NE(result.failure.find("sparse"), std::string::npos)
        << "seed " << seed << ": " << result.failure;
    EXPECT_GT(EventCount(result, "watermark.idle"), 0u) << "seed " << seed;
  }
}

TEST_F(IdlenessJobTest, LateRecordsMergedBackGiveTheReferenceOutputAcrossCrashes) {
  int64_t restarts = 0;
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    const ScenarioResult result = Run("idleness-merge", seed);
    EXPECT_TRUE(result.pass) << "seed " << seed << ": " << result.failure
                             << " (rerun: ctest -R IdlenessJobTest)";
    EXPECT_GT(EventCount(result, "watermark.idle"), 0u) << "seed " << seed;
    EXPECT_GT(result.records_out, 0) << "seed " << seed;
    restarts += result.restarts;
  }
  EXPECT_GT(restarts, 0) << "no run restored from a checkpoint";
}

}  // namespace idleness_job_test
}  // namespace
}  // namespace sluice::scenarios
