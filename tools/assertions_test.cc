// Each protocol assertion is proven by a seed: with a planted bug that breaks the rule it guards,
// the seed dies on that assertion (its message names the rule); without the bug, the same seed
// passes. An assertion no seed can trip would be a check that cannot fail.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "scenarios/scenario.h"
#include "tools/corpus.h"

namespace sluice::scenarios {
namespace {
namespace assertions_test {

// The CI sweeps' input (tools/make_sim_input.sh): the seeds below were found on it.
const std::string& Input() {
  static const std::string input = [] {
    auto corpus = tools::ReadFortunesCorpus();
    EXPECT_TRUE(corpus.ok()) << corpus.status().ToString();
    return corpus.ok() ? tools::FirstLines(corpus.value(), 300000) : std::string();
  }();
  return input;
}

struct AssertionCase {
  std::string assertion;  // a part of the assertion's reason
  std::string bug;        // the planted bug that breaks its rule
  std::string scenario;
  uint64_t seed;
};

std::string CaseName(const ::testing::TestParamInfo<AssertionCase>& info) {
  std::string name = info.param.bug + "_" + std::to_string(info.param.seed);
  for (char& c : name) {
    if (c == '-') c = '_';
  }
  return name;
}

ScenarioResult RunCase(const AssertionCase& c, bool with_bug) {
  for (const ScenarioInfo& info : ScenarioCatalog()) {
    if (info.name != c.scenario) continue;
    ScenarioOptions options;
    options.seed = c.seed;
    options.input_text = Input();
    if (with_bug) options.plant_bug = c.bug;
    return info.run(options);
  }
  ADD_FAILURE() << "no scenario " << c.scenario;
  return {};
}

class AssertionTest : public ::testing::TestWithParam<AssertionCase> {};

TEST_P(AssertionTest, APlantedBugTripsItAndTheSameSeedPassesWithoutIt) {
  const AssertionCase& c = GetParam();
  const std::string rerun = "sluice sim run " + c.scenario + " --seed " + std::to_string(c.seed) +
                            " --plant-bug " + c.bug + " --input build/sim-input.txt";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(RunCase(c, true), c.assertion) << "rerun: " << rerun;
  const ScenarioResult clean = RunCase(c, false);
  EXPECT_TRUE(clean.pass) << c.scenario << " seed " << c.seed << ": " << clean.failure;
}

INSTANTIATE_TEST_SUITE_P(
    Engine, AssertionTest,
    ::testing::Values(
        AssertionCase{"a sink commits a committable only once its checkpoint completed",
                      "sink-commit-at-precommit", "crash-before-commit", 1},
        AssertionCase{"a source snapshots its position only between batches",
                      "source-offset-after-barrier", "tm-crash", 2},
        AssertionCase{"a channel blocked by barrier alignment delivers nothing",
                      "skip-barrier-alignment", "backpressure-crash", 1},
        AssertionCase{"a completed checkpoint holds the state of every task of the job",
                      "restore-latest-triggered", "tm-crash", 13}),
    CaseName);

}  // namespace assertions_test
}  // namespace
}  // namespace sluice::scenarios
