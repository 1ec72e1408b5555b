// Test helper: runs seeds of named scenarios with a job from a test's own registry and expects
// each to pass (judged by the reference evaluator), naming the failing scenario and seed and how
// to rerun the test. Returns every run's result, in scenario then seed order, for further
// checks (that some run restored state, what each committed).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/api/job_registry.h"
#include "engine/config/configuration.h"
#include "engine/graph/chain.h"
#include "engine/graph/job_graph.h"
#include "scenarios/scenario.h"
#include "simnet/world.h"

namespace sluice::scenarios {

// Records, watermarks and watermark statuses a link hands on (for tests that drive one runtime
// link by hand); `sequence` has all three in order ("records:N", "w:MS", "idle", "active").
template <typename T>
class Capture final : public BatchConsumer<T> {
 public:
  Status Consume(std::span<const T> batch, std::span<const int64_t>) override {
    records.insert(records.end(), batch.begin(), batch.end());
    sequence.push_back("records:" + std::to_string(batch.size()));
    return Status::Ok();
  }
  Status ProcessWatermark(int64_t watermark_ms) override {
    watermarks.push_back(watermark_ms);
    sequence.push_back("w:" + std::to_string(watermark_ms));
    return Status::Ok();
  }
  Status ProcessWatermarkStatus(bool idle) override {
    sequence.push_back(idle ? "idle" : "active");
    return Status::Ok();
  }
  std::vector<T> records;
  std::vector<int64_t> watermarks;
  std::vector<std::string> sequence;
};

// Runs `body(host, link, input)` on a simulated host (seed 1): `node`'s runtime link, built for
// one subtask named `task_name` with `out` downstream and opened fresh, and its input 0 as a
// BatchConsumer<In>. Fails the test if the body does not finish within a minute of simulated time.
template <typename In, typename Out>
void RunLinkOnSimHost(const OperatorNode& node, const std::string& task_name, Capture<Out>* out,
                      const std::function<void(Host&, ChainLink*, BatchConsumer<In>*)>& body) {
  sim::World world(sim::WorldOptions{.seed = 1});
  bool done = false;
  world.AddHost("taskmanager", [&](Host& host) {
    TaskContext ctx;
    ctx.host = &host;
    ctx.task_name = task_name;
    std::unique_ptr<ChainLink> link = node.make_link(ctx, out);
    auto* input = dynamic_cast<BatchConsumer<In>*>(link.get());
    ASSERT_NE(input, nullptr);
    ASSERT_TRUE(link->Open({}).ok());
    body(host, link.get(), input);
    done = true;
  });
  world.RunUntil([&] { return done; }, 60 * kNanosPerSecond);
  ASSERT_TRUE(done) << task_name << " on seed 1 did not finish";
}

inline std::vector<ScenarioResult> ExpectScenariosPass(
    const JobRegistry& jobs, const std::string& job, const std::string& input,
    const std::vector<std::string>& scenarios, uint64_t seeds, const std::string& rerun_test,
    const Configuration& settings = Configuration()) {
  std::vector<ScenarioResult> results;
  for (const ScenarioInfo& info : ScenarioCatalog()) {
    if (std::find(scenarios.begin(), scenarios.end(), info.name) == scenarios.end()) continue;
    for (uint64_t seed = 1; seed <= seeds; ++seed) {
      ScenarioOptions options;
      options.seed = seed;
      options.input_text = input;
      options.jobs = &jobs;
      options.job = job;
      options.settings = settings;
      const ScenarioResult result = info.run(options);
      EXPECT_TRUE(result.pass) << info.name << " seed " << seed << " with job " << job << ": "
                               << result.failure << " (rerun: ctest -R " << rerun_test << ")";
      results.push_back(result);
    }
  }
  return results;
}

// How many times the run recorded events of `category` (0 if none): the paths it reached.
inline uint64_t EventCount(const ScenarioResult& result, std::string_view category) {
  auto it = result.events.find(category);
  return it == result.events.end() ? 0 : it->second;
}

// Runs seeds 1..`last_seed` of `run` (scenario `scenario`) with planted bug `bug` until one
// fails, expects one to, and that seed to pass without the bug (a check that catches the bug,
// not a seed that fails anyway). A range rather than one seed: timing changes elsewhere move which
// seeds reach a bug. `options` holds the input and settings.
inline void ExpectBugCaughtWithin(const std::function<ScenarioResult(const ScenarioOptions&)>& run,
                                  const std::string& scenario, ScenarioOptions options,
                                  const std::string& bug, uint64_t last_seed) {
  options.plant_bug = bug;
  uint64_t caught = 0;
  for (uint64_t seed = 1; seed <= last_seed && caught == 0; ++seed) {
    options.seed = seed;
    if (!run(options).pass) caught = seed;
  }
  ASSERT_NE(caught, 0u) << "rerun: sluice sim sweep " << scenario << " --seeds 1.." << last_seed
                        << " --plant-bug " << bug;
  options.plant_bug.clear();
  const ScenarioResult clean = run(options);
  EXPECT_TRUE(clean.pass) << clean.failure << " (rerun: sluice sim run " << scenario
                          << " --seed " << caught << ")";
}

}  // namespace sluice::scenarios
