// The simulator's PostgreSQL (simnet/database_model.h) held to the semantics the real server
// keeps (CheckDatabaseSemantics, which engine/runtime/real/postgres_database_test.cc runs against
// PostgreSQL), and its durability: a prepared transaction survives the server's crash, and
// a commit whose answer the crash cut off is found committed.
#include "simnet/database_model.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/runtime/database_conformance_test_util.h"
#include "simnet/sim_disk.h"
#include "simnet/sim_test_util.h"
#include "simnet/world.h"

namespace sluice::sim {
namespace {
namespace database_model_test {

using testing::RunFor;
using testing::SeededOptions;

constexpr char kUrl[] = "postgresql://sluice@postgres:5432/results";

World::HostId AddDatabase(World& world) {
  return world.AddHost("postgres", [](Host& host) {
    DatabaseModelConfig config;
    config.tables = {{"words", 2}};
    (void)RunDatabaseModel(host, config);
  });
}

TEST(DatabaseModelTest, KeepsTheSemanticsTheSeamPromises) {
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    World world(SeededOptions(seed));
    const World::HostId database = AddDatabase(world);
    bool done = false;
    world.AddHost("client", [&](Host& host) {
      CheckDatabaseSemantics(host.databases, kUrl, [&] {
        return CommittedRows(world.disk(database), "postgres", "words");
      });
      done = true;
    });
    RunFor(world, [&] { return done; });
    ASSERT_TRUE(done) << "seed " << seed;
  }
}

TEST(DatabaseModelTest, PreparedAndCommittedTransactionsSurviveTheServersCrash) {
  World world(SeededOptions(7));
  const World::HostId database = AddDatabase(world);
  int step = 0;
  Status after_crash;
  world.AddHost("client", [&](Host& host) {
    auto db = host.databases.Connect(kUrl);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE((*db)->PrepareTransaction("c/1", "words", {{"kept", "1"}}).ok());
    ASSERT_TRUE((*db)->PrepareTransaction("c/2", "words", {{"also", "1"}}).ok());
    ASSERT_TRUE((*db)->CommitPrepared("c/2").ok());
    step = 1;
    while (step == 1) host.fibers.SleepFor(10 * kNanosPerMilli);
    // The server crashed and restarted: this connection is gone, a new one finds both.
    after_crash = (*db)->CommitPrepared("c/1");
    auto again = host.databases.Connect(kUrl);
    for (int tries = 0; !again.ok() && tries < 100; ++tries) {
      host.fibers.SleepFor(50 * kNanosPerMilli);
      again = host.databases.Connect(kUrl);
    }
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_EQ((*again)->ListPrepared("c/").value(), std::vector<std::string>{"c/1"});
    EXPECT_TRUE((*again)->Committed("c/2").value());
    ASSERT_TRUE((*again)->CommitPrepared("c/1").ok());
    step = 3;
  });
  RunFor(world, [&] { return step == 1; });
  ASSERT_EQ(step, 1);
  world.Crash(database);
  world.Restart(database);
  step = 2;
  RunFor(world, [&] { return step == 3; });
  ASSERT_EQ(step, 3);
  EXPECT_EQ(after_crash.code(), StatusCode::kUnavailable) << "the old connection broke";
  EXPECT_EQ(CommittedRows(world.disk(database), "postgres", "words").size(), 2u);
}

TEST(DatabaseModelTest, AUrlTheSimulatorCannotReadIsRefused) {
  World world(SeededOptions(1));
  AddDatabase(world);
  bool done = false;
  world.AddHost("client", [&](Host& host) {
    EXPECT_EQ(host.databases.Connect("host=postgres port=5432").status().code(),
              StatusCode::kInvalidArgument);
    EXPECT_EQ(host.databases.Connect("postgresql://postgres:99999/x").status().code(),
              StatusCode::kInvalidArgument);
    EXPECT_EQ(host.databases.Connect("postgresql://nowhere/x").status().code(),
              StatusCode::kUnavailable);
    done = true;
  });
  RunFor(world, [&] { return done; });
  EXPECT_TRUE(done);
}

}  // namespace database_model_test
}  // namespace
}  // namespace sluice::sim
