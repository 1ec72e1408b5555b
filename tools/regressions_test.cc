// Regression tests for bugs found by seeds: each replays the shrunk fault schedule of a failing
// seed (scenarios/regressions/*.json; a schedule survives engine changes that reshuffle what a
// seed draws) on the input the seed failed on, checks the verdict, and checks that the run still
// reaches the path the bug needed (an event category recorded; a replay that no longer gets there
// proves nothing, so the schedule must then be re-aimed).
#include <gtest/gtest.h>

#include <string>

#include "scenarios/scenario.h"
#include "tools/corpus.h"
#include "tools/fault_schedule.h"

namespace sluice::tools {
namespace {
namespace regressions_test {

struct Regression {
  const char* file;      // under scenarios/regressions/
  const char* scenario;  // with seed: the run the schedule was shrunk from
  uint64_t seed;
  bool beyond_budget;  // damages every copy on purpose: the job must end FAILED cleanly
  const char* path;    // an event category the run must record: the bug's path
  // A -D setting the bug's path needs ("" for none), e.g. local recovery off for a bug in
  // reading checkpoint storage (chaos draws it on in half its seeds, which reads local copies).
  const char* setting = "";
};

// The checkpoint-storage bugs below are reached through restores that read checkpoint storage:
// with local recovery on (which chaos draws in half its seeds since issue 9) they would read
// local copies instead.
constexpr const char* kRemoteReads = "execution.state-recovery.from-local=false";

// Issue 7: exactly-once violations that a 15,000-seed chaos campaign found.
constexpr Regression kRegressions[] = {
    // A sink's commit rename was not durable (its directory sync failed) but a retried commit saw
    // it and counted it; a later sync made its removal from pending/ durable and the store's crash
    // lost it: "transaction ... is neither pending nor committed" in a restart loop. The store now
    // syncs such directories before answering anything else.
    // Re-aimed (I/O error probability 0.25 → 0.3) when chaos began drawing restart strategies
    // and checkpoint retention: the seed's new timing let every directory sync succeed; again
    // (0.3 → 0.35) when credit-based flow control shifted the timing once more.
    {"chaos-20649-commit-sync-failed.json", "chaos", 20649, false, "store.unsynced"},
    // Both copies of a committed checkpoint's state file sat on one disk and were corrupted; the
    // JobManager fell back to an older checkpoint and the replay committed output again. Copies
    // now live on two disks (the nemesis damages one), a restore reads the intact copy, and
    // falling back past a committed checkpoint is gone.
    // Re-aimed when split assignment (a request round trip before a source reads) shifted the
    // first checkpoint past the JobManager's clock skew: the skew now comes later, and the
    // damage names the state file the restore reads (checkpoint 3 since checkpoints trigger an
    // interval after the previous trigger, as Flink's, and subsumed ones are deleted).
    // Re-aimed at the restored checkpoint when credit-based flow control shifted the timing
    // (checkpoint 2), and again when task reports grew (checkpoint 4), and at checkpoint 4's
    // file of attempt 6000001 when epochs became etcd revisions (attempts are numbered by epoch);
    // at checkpoint 3's when checkpoint storage became a shared mount (a connection pool per
    // host, not one connection per task, shifted the timing).
    {"chaos-21360-committed-checkpoint-damaged.json", "chaos", 21360, false,
     "checkpoint.copy_damaged", kRemoteReads},
    // Re-aimed at checkpoint 3's counting-task file (the one the restores read) when
    // TaskManagers began clearing their RocksDB directory at start (one more disk call each
    // shifted the random pick).
    {"chaos-22174-committed-checkpoint-damaged.json", "chaos", 22174, false,
     "checkpoint.copy_damaged", kRemoteReads},
    // Re-aimed at a state file of checkpoint 1 (the one the restore reads) when the sink's new
    // shape shifted the run's timing and the random pick went elsewhere; at checkpoint 2's, damaged
    // at 1.4 s, when checkpoint storage became a shared mount (the restores read checkpoint 2).
    {"chaos-25053-committed-checkpoint-damaged.json", "chaos", 25053, false,
     "checkpoint.copy_damaged", kRemoteReads},
    {"chaos-25170-committed-checkpoint-damaged.json", "chaos", 25170, false,
     "checkpoint.copy_damaged", kRemoteReads},
    // Re-aimed at checkpoint 1's counting-task files (the ones the new leader restores) when
    // deleting subsumed checkpoints left the random pick fewer files to hit; at checkpoint 5's
    // when checkpoint storage became a shared mount (the new leader restores checkpoint 5).
    {"chaos-26178-committed-checkpoint-damaged.json", "chaos", 26178, false,
     "checkpoint.copy_damaged", kRemoteReads},
    // Re-aimed at checkpoint 2's files: the shrunk schedule's random picks no longer hit a file
    // the restore reads.
    {"chaos-26601-committed-checkpoint-damaged.json", "chaos", 26601, false,
     "checkpoint.copy_damaged", kRemoteReads},
    {"chaos-33895-committed-checkpoint-damaged.json", "chaos", 33895, false,
     "checkpoint.copy_damaged", kRemoteReads},
    // Seed 25170's schedule with both copies of the restored state file corrupted (beyond the
    // fault budget): the job must end FAILED naming the checkpoint and file, never restore an
    // older checkpoint and commit twice.
    {"chaos-25170-both-copies-damaged.json", "chaos", 25170, true,
     "task.restored_state_lost", kRemoteReads},
    // The same rule for the metadata a new leader recovers: one damaged copy is read from the
    // other and rewritten before the checkpoint is restored; both damaged (beyond the budget)
    // end the job FAILED, never restoring an older checkpoint.
    {"chaos-25170-metadata-copy-damaged.json", "chaos", 25170, false,
     "checkpoint.repaired"},
    {"chaos-25170-both-metadata-copies-damaged.json", "chaos", 25170, true, "job.failed"},
};

// Issue 9: found by the unaligned-backpressure sweep while unaligned checkpoints were built.
constexpr Regression kIssue9Regressions[] = {
    // A source's final checkpoint barrier, unaligned, overtook its last records queued at the
    // counting tasks; they took their final snapshot at the barrier and emitted those records
    // after it, into a transaction no checkpoint would commit ("missing record '0\t9'"). A
    // source that emitted everything now sends aligned barriers (and consumers accept aligned
    // and unaligned barriers of one checkpoint).
    {"unaligned-backpressure-269-final-barrier-overtook.json", "unaligned-backpressure", 269,
     false, "checkpoint.final_barrier_aligned"},
};

// Issue 10: found by the jm-failover window sweep when high availability moved onto etcd.
constexpr Regression kIssue10Regressions[] = {
    // jobmanager-2 was elected, read the checkpoint pointers (checkpoint 4) and was paused before
    // reading checkpoint 4's metadata; the other JobManager took over, completed checkpoint 5 and
    // deleted checkpoint 4 (pointer, then files). Resumed, the deposed leader found no metadata
    // copy and failed the job for data loss. A leader now confirms under its fence that the
    // pointer still stands before calling a checkpoint lost; fenced, it steps down.
    // Re-aimed (jobmanager-2's pause at 2,053 ms, not 2,057) when checkpoint storage became a
    // shared mount: its recovery now reads the metadata 4 ms sooner.
    {"jm-failover-489006806-deposed-leader-read-subsumed-checkpoint.json", "jm-failover",
     489006806, false, "checkpoint.recovery_fenced"},
    // etcd (the model) was restarted while its disk was full: recording the start failed and the
    // program returned, so the cluster had no coordination service for good and the job never
    // finished (chaos seeds 2066, 2295, 2334; a liveness failure). A start its disk fails is
    // now tried again, as a supervisor restarts etcd. The schedule keeps the etcd faults only.
    {"chaos-2066-etcd-restarted-on-a-full-disk.json", "chaos", 2066, false, "etcd.start_failed"},
};

const std::string& CiInput() {
  static const std::string input = [] {
    auto corpus = ReadFortunesCorpus();
    EXPECT_TRUE(corpus.ok()) << corpus.status().ToString();
    return corpus.ok() ? FirstLines(corpus.value(), 300000) : std::string();
  }();
  return input;
}

class RegressionTest : public ::testing::TestWithParam<Regression> {};

TEST_P(RegressionTest, ScheduleStillReachesItsPathAndPasses) {
  const Regression& regression = GetParam();
  const std::string file = std::string(SLUICE_SOURCE_DIR) + "/scenarios/regressions/" +
                           regression.file;
  const std::string setting = *regression.setting ? std::string(" -D ") + regression.setting : "";
  std::printf("[   SEED   ] %s seed %llu; rerun: sluice sim run %s --seed %llu%s --input "
              "<first 300000 bytes of the fortunes corpus> --faults %s --log-events\n",
              regression.scenario, static_cast<unsigned long long>(regression.seed),
              regression.scenario, static_cast<unsigned long long>(regression.seed),
              setting.c_str(), file.c_str());
  auto schedule = ReadFaultScheduleFile(file);
  ASSERT_TRUE(schedule.ok()) << schedule.status().ToString();
  ASSERT_FALSE(CiInput().empty());
  scenarios::ScenarioOptions options;
  options.seed = regression.seed;
  options.input_text = CiInput();
  options.faults = schedule.value();
  if (*regression.setting) {
    ASSERT_TRUE(options.settings.SetFromArgument(regression.setting).ok());
  }
  const scenarios::ScenarioInfo* info = nullptr;
  const auto catalog = scenarios::ScenarioCatalog();
  for (const auto& entry : catalog) {
    if (entry.name == regression.scenario) info = &entry;
  }
  ASSERT_NE(info, nullptr) << regression.scenario;
  const scenarios::ScenarioResult result = info->run(options);

  EXPECT_TRUE(result.pass) << result.failure;
  EXPECT_EQ(!result.beyond_budget.empty(), regression.beyond_budget) << result.beyond_budget;
  EXPECT_EQ(result.failed_cleanly, regression.beyond_budget);
  EXPECT_TRUE(result.events.contains(regression.path))
      << "the schedule no longer reaches the bug's path (no '" << regression.path
      << "' event): re-aim it";
}

// A test name from its schedule file: "chaos-20649-commit-sync-failed.json" →
// "chaos_20649_commit_sync_failed".
std::string RegressionName(const ::testing::TestParamInfo<Regression>& info) {
  std::string name = info.param.file;
  name = name.substr(0, name.find('.'));
  for (char& c : name) {
    if (c == '-') c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Issue7, RegressionTest, ::testing::ValuesIn(kRegressions),
                         RegressionName);
INSTANTIATE_TEST_SUITE_P(Issue9, RegressionTest, ::testing::ValuesIn(kIssue9Regressions),
                         RegressionName);
INSTANTIATE_TEST_SUITE_P(Issue10, RegressionTest, ::testing::ValuesIn(kIssue10Regressions),
                         RegressionName);

}  // namespace regressions_test
}  // namespace
}  // namespace sluice::tools
