// A job that keeps every kind of keyed state (value, list, map, reducing, aggregating) in a
// KeyedProcessFunction, plus the keyed Aggregate, Sum, Min, Max, MinBy and MaxBy operators, run
// on the simulated cluster through crash scenarios and judged by the reference evaluator. Its
// outputs are chosen not to depend on the order in which one key's records arrive (records of a
// key are all alike), so that the job is deterministic given its input.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>

#include "engine/api/data_stream.h"
#include "engine/connectors/line_source.h"
#include "engine/api/job_registry.h"
#include "engine/config/core_options.h"
#include "engine/connectors/file_sink.h"
#include "scenarios/job_scenarios_test_util.h"
#include "scenarios/reference_evaluator.h"
#include "scenarios/scenario.h"
#include "scenarios/wordcount_cluster.h"

namespace sluice::scenarios {
namespace {
namespace keyed_state_job_test {

using Word = std::pair<std::string, int64_t>;  // word, its length

// Counts a key's records through each kind of state and reports them all per record.
class EveryState final : public KeyedProcessFunction<std::string, Word, std::string> {
 public:
  class Count final : public AggregateFunction<Word, int64_t, int64_t> {
   public:
    int64_t CreateAccumulator() const override { return 0; }
    int64_t Add(const Word&, int64_t acc) const override { return acc + 1; }
    int64_t GetResult(const int64_t& acc) const override { return acc; }
    int64_t Merge(int64_t a, const int64_t& b) const override { return a + b; }
  };
  void Open(KeyedStateStore& state) override {
    count_ = &state.GetValueState<int64_t>("count");
    seen_ = &state.GetListState<int64_t>("seen");
    by_parity_ = &state.GetMapState<int64_t, int64_t>("by-parity");
    total_length_ = &state.GetReducingState<int64_t>(
        "total-length", [](const int64_t& a, const int64_t& b) { return a + b; });
    aggregate_ = &state.GetAggregatingState<Word, int64_t, int64_t>(
        "aggregate", std::make_shared<const Count>());
  }
  void ProcessElement(const Word& word, Context& ctx, Collector<std::string>& out) override {
    count_->update(count_->value() + 1);
    seen_->add(word.second);
    const int64_t parity = count_->value() % 2;
    const int64_t* same = by_parity_->get(parity);
    by_parity_->put(parity, same == nullptr ? 1 : *same + 1);
    total_length_->add(word.second);
    aggregate_->add(word);
    if (count_->value() % 10 == 0) seen_->clear();  // a cleared list is absent from snapshots
    out.Emit("s:" + ctx.current_key() + " n=" + std::to_string(count_->value()) +
             " list=" + std::to_string(seen_->get().size()) +
             " map=" + std::to_string(*by_parity_->get(parity)) +
             " len=" + std::to_string(*total_length_->get()) +
             " agg=" + std::to_string(*aggregate_->get()));
  }

 private:
  ValueState<int64_t>* count_ = nullptr;
  ListState<int64_t>* seen_ = nullptr;
  MapState<int64_t, int64_t>* by_parity_ = nullptr;
  ReducingState<int64_t>* total_length_ = nullptr;
  AggregatingState<Word, int64_t, int64_t>* aggregate_ = nullptr;
};

std::string Show(const std::string& tag, const Word& w) {
  return tag + w.first + "=" + std::to_string(w.second);
}

Result<JobGraph> BuildKeyedStateJob(const JobContext& context) {
  StreamEnvironment env("keyed-state", 128);
  env.SetParallelism(3);
  DataStream<Word> words =
      env.AddSource("Lines", LineSource(SourceSpec{context.input_dir,
                                            context.settings.GetInt(SourceRateLimit())}),
                        context.input_splits)
          .FlatMap<Word>("Words",
                         [](const std::string& line, Collector<Word>& out) {
                           size_t i = 0;
                           while (i < line.size()) {
                             const size_t end = std::min(line.find(' ', i), line.size());
                             if (end > i) {
                               out.Emit(Word(line.substr(i, end - i),
                                             static_cast<int64_t>(end - i)));
                             }
                             i = end + 1;
                           }
                         })
          .SetParallelism(context.input_splits);
  auto by_word = words.KeyBy([](const Word& w) { return w.first; });
  auto field = [](auto& w) -> auto& { return w.second; };
  DataStream<std::string> every_state = by_word.Process<std::string>(
      "EveryState", [] { return std::make_unique<EveryState>(); });
  auto show = [](const char* tag) {
    return [tag](const Word& w) { return Show(tag, w); };
  };
  DataStream<std::string> sums = by_word.Sum("Sum", field).Map("ShowSum", show("sum:"));
  DataStream<std::string> mins = by_word.Min("Min", field).Map("ShowMin", show("min:"));
  DataStream<std::string> maxes = by_word.Max("Max", field).Map("ShowMax", show("max:"));
  DataStream<std::string> min_bys = by_word.MinBy("MinBy", field).Map("ShowMinBy", show("minby:"));
  DataStream<std::string> max_bys = by_word.MaxBy("MaxBy", field).Map("ShowMaxBy", show("maxby:"));
  // An integer key: words by length, counted through Aggregate.
  DataStream<std::string> lengths =
      words.KeyBy([](const Word& w) { return w.second; })
          .Aggregate<int64_t, int64_t>("CountByLength", std::make_shared<const EveryState::Count>())
          .Map("ShowLength", [](const int64_t& n) { return "bylen:" + std::to_string(n); });
  every_state.Union(sums)
      .Union(mins)
      .Union(maxes)
      .Union(min_bys)
      .Union(max_bys)
      .Union(lengths)
      .AddSink("Sink", MakeFileSink<std::string>(
                           FileSinkSpec{context.output_dir},
                           [](const std::string& s, std::string* line) { *line += s; }));
  return env.Build();
}

std::string Input() {
  const char* lines[] = {"alpha beta gamma", "beta gamma delta epsilon", "gamma zeta", "eta",
                         "theta iota kappa lambda mu nu"};
  std::string text;
  for (int i = 0; i < 1500; ++i) {
    text += std::string(lines[i % 5]) + " w" + std::to_string(i % 13) + "\n";
  }
  return text;
}

class KeyedStateJobTest : public ::testing::Test {
 protected:
  KeyedStateJobTest() {
    EXPECT_TRUE(jobs_.Register({.name = "keyed-state",
                                .description = "every kind of keyed state",
                                .build = BuildKeyedStateJob})
                    .ok());
  }
  JobRegistry jobs_;
};

TEST_F(KeyedStateJobTest, ReferenceCountsEachKeyThroughEveryState) {
  JobSpec spec;
  spec.job = "keyed-state";
  auto graph = jobs_.Build(spec);
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
  auto reference = EvaluateReference(*graph, {"ab ab\nab cde\n", "cde ab\n"});
  ASSERT_TRUE(reference.ok()) << reference.status().ToString();
  const std::map<std::string, int64_t>& lines = *reference;
  // "ab" four times: the fourth record sees count 4, a list of 4, 2 even counts, 8 letters.
  auto times = [&](const std::string& line) {
    auto it = lines.find(line);
    return it == lines.end() ? int64_t{0} : it->second;
  };
  EXPECT_EQ(times("s:ab n=4 list=4 map=2 len=8 agg=4"), 1);
  EXPECT_EQ(times("s:cde n=2 list=2 map=1 len=6 agg=2"), 1);
  EXPECT_EQ(times("sum:ab=8"), 1);
  EXPECT_EQ(times("min:cde=3"), 2);
  EXPECT_EQ(times("maxby:ab=2"), 4);
  EXPECT_EQ(times("bylen:4"), 1) << "four words of length 2";
  EXPECT_EQ(times("bylen:2"), 2) << "the second word of length 2 and of length 3";
  EXPECT_EQ(times("bylen:5"), 0);
}

// Keyed state survives crashes, restores and the scenarios' faults: every run commits exactly
// the reference output.
TEST_F(KeyedStateJobTest, PassesScenariosJudgedByTheReferenceEvaluator) {
  int64_t restarts = 0;
  for (const ScenarioResult& result :
       ExpectScenariosPass(jobs_, "keyed-state", Input(),
                           {"tm-crash", "chaos", "checkpoint-corruption"}, 4,
                           "KeyedStateJobTest.PassesScenariosJudgedByTheReferenceEvaluator")) {
    restarts += result.restarts;
  }
  EXPECT_GT(restarts, 0) << "no run restored keyed state";
}

}  // namespace keyed_state_job_test
}  // namespace
}  // namespace sluice::scenarios
