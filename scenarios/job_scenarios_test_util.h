// Test helper: runs seeds of named scenarios with a job from a test's own registry and expects
// each to pass (judged by the reference evaluator), naming the failing scenario and seed and how
// to rerun the test. Returns every run's result, in scenario then seed order, for further
// checks (that some run restored state, what each committed).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/api/job_registry.h"
#include "engine/config/configuration.h"
#include "engine/graph/chain.h"
#include "scenarios/scenario.h"

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

inline std::vector<ScenarioResult> ExpectScenariosPass(const JobRegistry& jobs, const std::string& job,
                                   const std::string& input,
                                   const std::vector<std::string>& scenarios, uint64_t seeds,
                                   const std::string& rerun_test,
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

}  // namespace sluice::scenarios
