// Word count into the simulator's PostgreSQL (the exactly-once database sink,
// engine/connectors/database_sink.h, over simnet/database_model.h) while a TaskManager crashes
// just after preparing a transaction and the database host crashes: the table holds word count's
// exact output, and nothing is left prepared (what failed attempts prepared was rolled back).
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "engine/runtime/random.h"
#include "scenarios/exactly_once.h"
#include "scenarios/wordcount_cluster.h"
#include "simnet/sim_disk.h"

namespace sluice::scenarios {
namespace {
namespace database_sink_test {

std::string Input() {
  std::string input;
  for (int i = 0; i < 3000; ++i) input += "alpha beta gamma w" + std::to_string(i % 23) + "\n";
  return input;
}

TEST(DatabaseSinkTest, WordCountIntoADatabaseExactlyOnceThroughCrashes) {
  constexpr uint64_t kSeeds = 8;
  const std::string input = Input();
  const WordCountReference expected(input);
  int restarted = 0;    // seeds whose job restarted
  int rolled_back = 0;  // seeds where a restarted writer rolled back an earlier attempt's work
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed) +
                 " (rerun: --gtest_filter=DatabaseSinkTest.*; seeds 1.." +
                 std::to_string(kSeeds) + ")");
    WordCountClusterOptions options;
    options.seed = seed;
    options.database = true;
    options.parallelism = 3;
    options.taskmanagers = 3;
    options.source_records_per_second = 3000;  // about 1 s of input
    WordCountCluster cluster(options, input);
    sim::World& world = cluster.world();
    int aborted = 0;
    // A TaskManager crashes right after one of its sink subtasks prepared a transaction (the
    // k-th prepare of the run): its checkpoint cannot complete, so that transaction, and what the
    // other subtasks prepared for the same checkpoint, must be rolled back by their next attempts.
    Random& random = world.random();
    const int crash_on = static_cast<int>(random.UniformRange(1, 8));
    int precommits = 0;
    sim::World::HostId crashed = 0;
    world.AddEventObserver([&](sim::World::HostId host, Severity, std::string_view category,
                               std::string_view) {
      if (category == "sink.aborted") ++aborted;
      if (category == "sink.precommitted" && ++precommits == crash_on && crashed == 0) {
        crashed = host;
        world.Crash(host);  // deferred to a world event at this instant (a fiber logged it)
      }
    });
    world.RunUntil([&] { return crashed != 0 || cluster.finished(); }, 30 * 1000 * kNanosPerMilli);
    if (crashed != 0) {
      const int64_t restart_at = world.now_ns() + random.UniformRange(50, 400) * kNanosPerMilli;
      world.RunUntil([&] { return world.now_ns() >= restart_at; }, restart_at + kNanosPerMilli);
      world.Restart(crashed);
    }
    // And the database host, a while later.
    const int64_t crash_at = world.now_ns() + random.UniformRange(100, 600) * kNanosPerMilli;
    world.RunUntil([&] { return world.now_ns() >= crash_at || cluster.finished(); },
                   crash_at + kNanosPerMilli);
    if (!cluster.finished()) {
      world.Crash(cluster.database());
      const int64_t restart_at = world.now_ns() + random.UniformRange(50, 400) * kNanosPerMilli;
      world.RunUntil([&] { return world.now_ns() >= restart_at; }, restart_at + kNanosPerMilli);
      world.Restart(cluster.database());
    }
    cluster.Run(world.now_ns() / kNanosPerMilli + 60 * 1000);
    ASSERT_TRUE(cluster.finished()) << cluster.failure();
    const ExactlyOnceReport report = CheckExactlyOnce(expected, cluster.CommittedRows());
    EXPECT_TRUE(report.ok) << report.first_violation;
    EXPECT_TRUE(world.disk(cluster.database()).ListCurrent("postgres/prepared").empty())
        << "a transaction was left prepared";
    restarted += cluster.restarts() > 0 ? 1 : 0;
    rolled_back += aborted > 0 ? 1 : 0;
  }
  EXPECT_GT(restarted, 0) << "some seed restarted the job (the path this test exists for)";
  EXPECT_GT(rolled_back, 0) << "some seed rolled back an earlier attempt's prepared transaction";
  std::printf("%llu seeds: %d restarted, %d rolled back earlier attempts' transactions\n",
              static_cast<unsigned long long>(kSeeds), restarted, rolled_back);
}

}  // namespace database_sink_test
}  // namespace
}  // namespace sluice::scenarios
