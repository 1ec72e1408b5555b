// Broadcast state end to end: every subtask sees every broadcast record and keeps its own copy of
// the state, which survives crashes (a rule seen twice is announced once per subtask, so a lost
// or doubled copy after a restore shows up as a duplicate or a missing line); and, on the runtime
// link, the state's snapshot and restore and the read-only rule for the main input.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/api/data_stream.h"
#include "engine/api/job_registry.h"
#include "engine/config/core_options.h"
#include "engine/connectors/data_generator.h"
#include "engine/connectors/file_sink.h"
#include "engine/connectors/line_source.h"
#include "scenarios/job_scenarios_test_util.h"
#include "scenarios/reference_evaluator.h"
#include "scenarios/wordcount_cluster.h"

namespace sluice::scenarios {
namespace {
namespace broadcast_job_test {

constexpr int kParallelism = 3;

// Announces each rule name the first time this subtask sees it; passes events through.
class AnnounceRules final : public BroadcastProcessFunction<std::string, std::string, std::string> {
 public:
  void Open(BroadcastStateStore& state) override {
    rules_ = &state.Get<std::string, int64_t>("rules");
  }
  void ProcessElement(const std::string& event, Context&, Collector<std::string>& out) override {
    out.Emit("event:" + event);
  }
  void ProcessBroadcastElement(const std::string& rule, Context&,
                               Collector<std::string>& out) override {
    const int64_t* seen = rules_->get(rule);
    rules_->put(rule, seen == nullptr ? 1 : *seen + 1);
    if (seen == nullptr) out.Emit("rule:" + rule);
  }

 private:
  BroadcastState<std::string, int64_t>* rules_ = nullptr;
};

Result<JobGraph> BuildBroadcastJob(const JobContext& context) {
  StreamEnvironment env("broadcast", 128);
  env.SetParallelism(kParallelism);
  auto lines = env.AddSource("Lines",
                             LineSource(SourceSpec{context.input_dir,
                                                   context.settings.GetInt(SourceRateLimit())}),
                             context.input_splits);
  auto rules = lines.Filter("Rules", [](const std::string& l) { return l[0] == 'R'; })
                   .SetParallelism(context.input_splits);
  auto events = lines.Filter("Events", [](const std::string& l) { return l[0] != 'R'; })
                    .SetParallelism(context.input_splits);
  events.Rebalance()
      .Connect(BroadcastStream<std::string>(rules))
      .Process<std::string>("AnnounceRules",
                            [] { return std::make_unique<AnnounceRules>(); })
      .AddSink("Sink", MakeFileSink<std::string>(FileSinkSpec{context.output_dir},
                                                 [](const std::string& s, std::string* line) {
                                                   *line += s;
                                                 }));
  return env.Build();
}

// 20 rules, each twice (once in each half of the input), between events.
std::string Input(int lines) {
  std::string text;
  for (int i = 0; i < lines; ++i) {
    text += i % 10 == 0 ? "R" + std::to_string((i / 10) % 20) + "\n" : "e" + std::to_string(i) + "\n";
  }
  return text;
}

std::map<std::string, int64_t> Expected(int lines) {
  std::map<std::string, int64_t> expected;
  for (int i = 0; i < lines; ++i) {
    if (i % 10 == 0) {
      expected["rule:R" + std::to_string((i / 10) % 20)] = kParallelism;
    } else {
      ++expected["event:e" + std::to_string(i)];
    }
  }
  return expected;
}

class BroadcastJobTest : public ::testing::Test {
 protected:
  BroadcastJobTest() {
    EXPECT_TRUE(jobs_.Register({.name = "broadcast",
                                .description = "broadcast state",
                                .build = BuildBroadcastJob})
                    .ok());
  }
  JobRegistry jobs_;
};

TEST_F(BroadcastJobTest, ReferenceMatchesOutputComputedHere) {
  JobSpec spec;
  spec.job = "broadcast";
  auto graph = jobs_.Build(spec);
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
  auto reference = EvaluateReference(*graph, WordCountCluster::SplitIntoPartitions(Input(400), 2));
  ASSERT_TRUE(reference.ok()) << reference.status().ToString();
  EXPECT_EQ(*reference, Expected(400));
}

TEST_F(BroadcastJobTest, PassesScenariosJudgedByTheReferenceEvaluator) {
  int64_t restarts = 0;
  for (const ScenarioResult& result :
       ExpectScenariosPass(jobs_, "broadcast", Input(400), {"tm-crash", "chaos", "jm-failover"}, 4,
                           "BroadcastJobTest.PassesScenariosJudgedByTheReferenceEvaluator")) {
    restarts += result.restarts;
  }
  EXPECT_GT(restarts, 0);
}

// Keyed: counts each key's values that some rule divides, once every rule has arrived (at the
// final watermark), so the output does not depend on how the two inputs interleave.
class CountDivisible final
    : public KeyedBroadcastProcessFunction<std::string, int64_t, int64_t, std::string> {
 public:
  void Open(KeyedStateStore& keyed, BroadcastStateStore& broadcast) override {
    values_ = &keyed.GetListState<int64_t>("values");
    divisors_ = &broadcast.Get<int64_t, bool>("divisors");
  }
  void ProcessElement(const int64_t& value, Context& ctx, Collector<std::string>&) override {
    values_->add(value);
    ctx.timer_service().RegisterEventTimeTimer(kMaxWatermark - 1);
  }
  void ProcessBroadcastElement(const int64_t& divisor, BroadcastContext&,
                               Collector<std::string>&) override {
    divisors_->put(divisor, true);
  }
  void OnTimer(int64_t, Context& ctx, Collector<std::string>& out) override {
    int64_t count = 0;
    for (int64_t v : values_->get()) {
      for (const auto& [d, unused] : divisors_->entries()) {
        if (v % d == 0) {
          ++count;
          break;
        }
      }
    }
    out.Emit(ctx.current_key() + " " + std::to_string(count));
  }

 private:
  ListState<int64_t>* values_ = nullptr;
  BroadcastState<int64_t, bool>* divisors_ = nullptr;
};

std::string KeyOf(int64_t v) { return "k" + std::to_string(v % 7); }

Result<JobGraph> BuildKeyedBroadcastJob(const JobContext& context) {
  StreamEnvironment env("keyed-broadcast", 128);
  // parallelism.default (kParallelism unless set), so that the rescale scenario can change it:
  // the output does not depend on it.
  env.SetParallelism(context.DefaultParallelism());
  auto numbers =
      env.AddSource("Lines",
                    LineSource(SourceSpec{context.input_dir,
                                          context.settings.GetInt(SourceRateLimit())}),
                    context.input_splits)
          .Map("Parse",
               [](const std::string& l) {
                 const int64_t n = std::stoll(l.substr(1));
                 return l[0] == 'd' ? -n : n;  // divisors travel negated
               })
          .SetParallelism(context.input_splits);
  auto divisors = numbers.Filter("Divisors", [](const int64_t& n) { return n < 0; })
                      .SetParallelism(context.input_splits)
                      .Map("Negate", [](const int64_t& n) { return -n; })
                      .SetParallelism(context.input_splits);
  numbers.Filter("Values", [](const int64_t& n) { return n >= 0; })
      .SetParallelism(context.input_splits)
      .KeyBy([](const int64_t& v) { return KeyOf(v); })
      .Connect(BroadcastStream<int64_t>(divisors))
      .Process<std::string>("CountDivisible", [] { return std::make_unique<CountDivisible>(); })
      .AddSink("Sink", MakeFileSink<std::string>(FileSinkSpec{context.output_dir},
                                                 [](const std::string& s, std::string* line) {
                                                   *line += s;
                                                 }));
  return env.Build();
}

// Values v0..; divisors 3, 5 and 11 ("d3") among them, the last one late in the input.
std::string KeyedInput(int lines) {
  std::string text;
  for (int i = 0; i < lines; ++i) {
    if (i == 5) text += "d3\n";
    if (i == lines / 2) text += "d5\n";
    if (i == lines - 3) text += "d11\n";
    text += "v" + std::to_string(i) + "\n";
  }
  return text;
}

std::map<std::string, int64_t> KeyedExpected(int lines) {
  std::map<std::string, int64_t> counts;
  for (int64_t v = 0; v < lines; ++v) {
    counts[KeyOf(v)] += (v % 3 == 0 || v % 5 == 0 || v % 11 == 0) ? 1 : 0;
  }
  std::map<std::string, int64_t> expected;
  for (const auto& [key, n] : counts) ++expected[key + " " + std::to_string(n)];
  return expected;
}

TEST(KeyedBroadcastJobTest, ReferenceAndScenariosGiveTheCountsComputedHere) {
  JobRegistry jobs;
  ASSERT_TRUE(jobs.Register({.name = "keyed-broadcast",
                             .description = "keyed broadcast state",
                             .default_settings = {{"parallelism.default",
                                                   std::to_string(kParallelism)}},
                             .build = BuildKeyedBroadcastJob})
                  .ok());
  JobSpec spec;
  spec.job = "keyed-broadcast";
  auto graph = jobs.Build(spec);
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
  auto reference =
      EvaluateReference(*graph, WordCountCluster::SplitIntoPartitions(KeyedInput(500), 2));
  ASSERT_TRUE(reference.ok()) << reference.status().ToString();
  EXPECT_EQ(*reference, KeyedExpected(500));
  int64_t restarts = 0;
  uint64_t rescaled = 0;
  for (const ScenarioResult& result : ExpectScenariosPass(
           jobs, "keyed-broadcast", KeyedInput(500), {"tm-crash", "chaos", "rescale"}, 4,
           "KeyedBroadcastJobTest.ReferenceAndScenariosGiveTheCountsComputedHere")) {
    restarts += result.restarts;
    auto it = result.events.find("checkpoint.rescaled");
    rescaled += it == result.events.end() ? 0 : it->second;
  }
  EXPECT_GT(restarts, 0);
  EXPECT_GT(rescaled, 0u) << "keyed state redistributed and broadcast state copied together";
}

// Writes broadcast state from the main input, which Flink forbids.
class WritesFromMain final : public BroadcastProcessFunction<int64_t, int64_t, int64_t> {
 public:
  void Open(BroadcastStateStore& state) override { seen_ = &state.Get<int64_t, int64_t>("seen"); }
  void ProcessElement(const int64_t& n, Context&, Collector<int64_t>& out) override {
    out.Emit(static_cast<int64_t>(seen_->entries().size()));
    if (n < 0) seen_->put(n, n);  // refused: read-only here
  }
  void ProcessBroadcastElement(const int64_t& n, Context&, Collector<int64_t>&) override {
    seen_->put(n, n);
  }

 private:
  BroadcastState<int64_t, int64_t>* seen_ = nullptr;
};

TEST(BroadcastLinkTest, StateIsRestoredAndReadOnlyForTheMainInput) {
  StreamEnvironment env("link");
  auto numbers = env.AddSource("N", DataGeneratorSource<int64_t>(1, [](int64_t i) { return i; }),
                               1);
  auto out = numbers.Connect(BroadcastStream<int64_t>(numbers))
                 .Process<int64_t>("Seen", [] { return std::make_unique<WritesFromMain>(); });
  auto graph = env.Build();
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
  const OperatorNode& node = graph->nodes[out.operator_node()];
  TaskContext ctx;
  ctx.task_name = "Seen (1/1)";
  Capture<int64_t> first_out, second_out;
  std::unique_ptr<ChainLink> first = node.make_link(ctx, &first_out);
  ASSERT_TRUE(first->Open({}).ok());
  auto* rules = dynamic_cast<BatchConsumer<int64_t>*>(first->Input(1));
  auto* main = dynamic_cast<BatchConsumer<int64_t>*>(first->Input(0));
  ASSERT_TRUE(rules != nullptr && main != nullptr);
  const std::vector<int64_t> two_rules = {7, 8};
  const std::vector<int64_t> one = {1};
  ASSERT_TRUE(rules->Consume(two_rules, {}).ok());
  ASSERT_TRUE(main->Consume(one, {}).ok());
  EXPECT_EQ(first_out.records, (std::vector<int64_t>{2}));
  std::string snapshot;
  ASSERT_TRUE(first->Snapshot(1, &snapshot).ok());

  std::unique_ptr<ChainLink> second = node.make_link(ctx, &second_out);
  ASSERT_TRUE(OpenLink(*second, snapshot).ok());
  auto* restored_main = dynamic_cast<BatchConsumer<int64_t>*>(second->Input(0));
  ASSERT_TRUE(restored_main->Consume(one, {}).ok());
  EXPECT_EQ(second_out.records, (std::vector<int64_t>{2})) << "the restored copy has both rules";

  const std::vector<int64_t> negative = {-1};
  const Status refused = restored_main->Consume(negative, {});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("broadcast state 'seen' is read-only in ProcessElement"),
            std::string::npos)
      << refused.ToString();
}

}  // namespace broadcast_job_test
}  // namespace
}  // namespace sluice::scenarios
