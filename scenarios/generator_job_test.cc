// The seeded data generator source (engine/connectors/data_generator.h): records that are a pure
// function of their index, split over the source's subtasks, resumed from the checkpointed
// position after a crash, and judged by the reference evaluator.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "engine/api/data_stream.h"
#include "engine/api/job_registry.h"
#include "engine/config/core_options.h"
#include "engine/connectors/data_generator.h"
#include "engine/connectors/file_sink.h"
#include "engine/runtime/random.h"
#include "scenarios/job_scenarios_test_util.h"
#include "scenarios/reference_evaluator.h"
#include "scenarios/scenario.h"

namespace sluice::scenarios {
namespace {
namespace generator_job_test {

using Reading = std::pair<int32_t, int64_t>;  // sensor, value
constexpr int64_t kReadings = 20000;

// Reading i: a sensor and a value drawn from a generator seeded with the index (and a job
// constant), so every subtask, run and the reference agree on it.
Reading Generate(int64_t i) {
  Random random(0x5e05 ^ static_cast<uint64_t>(i) * 0x9e3779b97f4a7c15ULL);
  return Reading(static_cast<int32_t>(random.Uniform(17)), random.UniformRange(0, 999));
}

Result<JobGraph> BuildGeneratorJob(const JobContext& context) {
  StreamEnvironment env("generator", 128);
  env.SetParallelism(3);
  env.AddSource("Readings",
                DataGeneratorSource<Reading>(kReadings, Generate,
                                             context.settings.GetInt(SourceRateLimit())),
                2)
      .KeyBy([](const Reading& r) { return r.first; })
      .Process<int64_t, std::string>("CountPerSensor",
                                     [](const Reading& r, ValueState<int64_t>& n,
                                        Collector<std::string>& out) {
                                       n.update(n.value() + 1);
                                       out.Emit(std::to_string(r.first) + " " +
                                                std::to_string(n.value()));
                                     })
      .AddSink("Sink", MakeFileSink<std::string>(
                           FileSinkSpec{context.output_dir},
                           [](const std::string& s, std::string* line) { *line += s; }));
  return env.Build();
}

class GeneratorJobTest : public ::testing::Test {
 protected:
  GeneratorJobTest() {
    EXPECT_TRUE(jobs_.Register({.name = "generator",
                                .description = "counts per sensor of generated readings",
                                .build = BuildGeneratorJob})
                    .ok());
  }
  JobRegistry jobs_;
};

TEST_F(GeneratorJobTest, ReferenceGeneratesEveryIndexOnce) {
  JobSpec spec;
  spec.job = "generator";
  auto graph = jobs_.Build(spec);
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
  auto reference = EvaluateReference(*graph, {});
  ASSERT_TRUE(reference.ok()) << reference.status().ToString();
  std::map<int32_t, int64_t> per_sensor;
  for (int64_t i = 0; i < kReadings; ++i) ++per_sensor[Generate(i).first];
  int64_t lines = 0;
  for (const auto& [line, n] : *reference) lines += n;
  EXPECT_EQ(lines, kReadings);
  for (const auto& [sensor, total] : per_sensor) {
    EXPECT_EQ(reference->count(std::to_string(sensor) + " " + std::to_string(total)), 1u);
  }
}

TEST_F(GeneratorJobTest, PassesScenariosJudgedByTheReferenceEvaluator) {
  Configuration settings;
  settings.Set("source.rate-limit", "5000");
  int64_t restarts = 0;
  for (const ScenarioResult& result :
       ExpectScenariosPass(jobs_, "generator", std::string(200, 'x') + "\n",  // input unused
                           {"tm-crash", "chaos"}, 4,
                           "GeneratorJobTest.PassesScenariosJudgedByTheReferenceEvaluator",
                           settings)) {
    if (!result.failed_cleanly) {
      EXPECT_EQ(result.records_out, kReadings) << result.scenario << " seed " << result.seed;
    }
    restarts += result.restarts;
  }
  EXPECT_GT(restarts, 0) << "no run resumed a generator from its checkpointed position";
}

}  // namespace generator_job_test
}  // namespace
}  // namespace sluice::scenarios
