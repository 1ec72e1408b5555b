#include "tools/sweep_runner.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <set>

#include "tools/test_faults.h"

namespace sluice::tools {
namespace {
namespace sweep_runner_test {

using testing::Fault;

TEST(ParseShardTest, AcceptsOneBasedShards) {
  auto shard = ParseShard("1/4");
  ASSERT_TRUE(shard.ok());
  EXPECT_EQ(shard->index, 1u);
  EXPECT_EQ(shard->count, 4u);
  EXPECT_TRUE(ParseShard("4/4").ok());
  EXPECT_TRUE(ParseShard("1/1").ok());
}

TEST(ParseShardTest, RejectsZeroOutOfRangeAndBadSyntax) {
  for (const char* bad : {"0/4", "5/4", "1/0", "a/4", "1/b", "1-4", "", "/", "1/", "-1/4"}) {
    auto shard = ParseShard(bad);
    ASSERT_FALSE(shard.ok()) << bad;
    EXPECT_NE(shard.status().message().find("--shard"), std::string::npos) << bad;
  }
}

TEST(ShardSeedsTest, ShardsCoverTheRangeExactlyOnce) {
  const SeedRange range{10, 46};
  std::multiset<uint64_t> seen;
  for (uint64_t index = 1; index <= 5; ++index) {
    const SeedSequence seeds = ShardSeeds(range, Shard{index, 5});
    for (uint64_t i = 0; i < seeds.count; ++i) {
      EXPECT_EQ((seeds.At(i) - range.first) % 5, index - 1);
      seen.insert(seeds.At(i));
    }
  }
  EXPECT_EQ(seen.size(), 37u);
  for (uint64_t seed = 10; seed <= 46; ++seed) EXPECT_EQ(seen.count(seed), 1u) << seed;
  EXPECT_EQ(ShardSeeds(SeedRange{1, 2}, Shard{3, 4}).count, 0u);  // more shards than seeds
}

RunOutcome FakeRun(uint64_t seed, const std::set<uint64_t>& failing) {
  RunOutcome outcome;
  outcome.result.scenario = "fake";
  outcome.result.seed = seed;
  outcome.result.pass = failing.count(seed) == 0;
  if (!outcome.result.pass) outcome.result.failure = "exactly once: seed " + std::to_string(seed);
  outcome.result.faults = {Fault(static_cast<int64_t>(seed), "crash", "tm")};
  return outcome;
}

SweepResult Sweep(uint64_t first, uint64_t last, int jobs, bool fail_fast,
                  const std::function<RunOutcome(uint64_t)>& run_seed,
                  std::vector<uint64_t>* arrived = nullptr) {
  SweepPlan plan;
  plan.seeds = ShardSeeds(SeedRange{first, last}, Shard{});
  plan.jobs = jobs;
  plan.fail_fast = fail_fast;
  SweepCallbacks callbacks;
  callbacks.run_seed = run_seed;
  callbacks.on_result = [arrived](const RunOutcome& outcome) {
    if (arrived != nullptr) arrived->push_back(outcome.result.seed);
  };
  auto result = RunSweep(plan, RunSpec{"sluice", "fake", "", "", ""}, callbacks);
  EXPECT_TRUE(result.ok()) << result.status().message();
  return result.ok() ? std::move(result).value() : SweepResult{};
}

std::vector<uint64_t> Seeds(const SweepResult& result) {
  std::vector<uint64_t> seeds;
  for (const RunOutcome& outcome : result.outcomes) seeds.push_back(outcome.result.seed);
  return seeds;
}

TEST(RunSweepTest, WorkersRunEverySeedAndTheParentMergesInSeedOrder) {
  const std::set<uint64_t> failing = {7, 13, 14};
  for (int jobs : {1, 3}) {
    std::vector<uint64_t> arrived;
    const SweepResult result = Sweep(
        1, 20, jobs, false, [&](uint64_t seed) { return FakeRun(seed, failing); }, &arrived);
    EXPECT_EQ(result.seeds_run, 20u) << jobs;
    EXPECT_EQ(result.failed, 3u);
    EXPECT_FALSE(result.stopped_early);
    EXPECT_EQ(Seeds(result), (std::vector<uint64_t>{7, 13, 14})) << jobs;
    EXPECT_EQ(arrived.size(), 20u);
    ASSERT_EQ(result.outcomes.size(), 3u);
    EXPECT_EQ(result.outcomes[0].result.failure, "exactly once: seed 7");
    EXPECT_EQ(result.outcomes[0].result.faults.at(0).at_ms, 7);  // the faults survive the pipe
  }
}

TEST(RunSweepTest, FailFastStopsAtTheLowestFailingSeedWhateverTheJobs) {
  const std::set<uint64_t> failing = {9, 12, 30};
  for (int jobs : {1, 2, 4}) {
    const SweepResult result =
        Sweep(1, 40, jobs, true, [&](uint64_t seed) { return FakeRun(seed, failing); });
    EXPECT_EQ(Seeds(result), std::vector<uint64_t>{9}) << jobs;
    EXPECT_EQ(result.seeds_run, 9u) << jobs;
    EXPECT_EQ(result.failed, 1u);
    EXPECT_TRUE(result.stopped_early);
  }
}

TEST(RunSweepTest, AWorkerThatDiesFailsItsSeedAndAnotherCarriesOn) {
  const SweepResult result = Sweep(1, 10, 2, false, [](uint64_t seed) {
    if (seed == 5) raise(SIGKILL);  // the seed "crashes" its worker process
    return FakeRun(seed, {});
  });
  EXPECT_EQ(result.seeds_run, 10u);
  ASSERT_EQ(Seeds(result), std::vector<uint64_t>{5});
  EXPECT_NE(result.outcomes[0].result.failure.find("crashed"), std::string::npos);
  EXPECT_NE(result.outcomes[0].result.failure.find("signal 9"), std::string::npos);
}

TEST(RunSweepTest, KeepsPassesForJUnitAndRejectsBadJobs) {
  SweepPlan plan;
  plan.seeds = ShardSeeds(SeedRange{3, 8}, Shard{2, 2});  // 4, 6, 8
  plan.jobs = 2;
  plan.keep_passes = true;
  SweepCallbacks callbacks;
  callbacks.run_seed = [](uint64_t seed) { return FakeRun(seed, {}); };
  auto result = RunSweep(plan, RunSpec{}, callbacks);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(Seeds(result.value()), (std::vector<uint64_t>{4, 6, 8}));
  plan.jobs = 0;
  EXPECT_FALSE(RunSweep(plan, RunSpec{}, callbacks).ok());
}

}  // namespace sweep_runner_test
}  // namespace
}  // namespace sluice::tools
