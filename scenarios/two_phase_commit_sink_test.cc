// The two-phase-commit file sink against a simulated output store: nothing is visible before the
// checkpoint completes, commits are idempotent, and a restore commits what the restored checkpoint
// pre-committed and aborts everything later.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "engine/connectors/file_sink.h"
#include "engine/connectors/store.h"
#include "simnet/sim_disk.h"
#include "simnet/world.h"

namespace sluice {
namespace {

constexpr uint16_t kPort = 7000;

class SinkTest : public ::testing::Test {
 protected:
  // Runs `body` on a client host next to a store host; fails the test if it does not finish.
  void RunOnClient(std::function<void(Host&, TaskContext&)> body) {
    store_ = world_.AddHost("output-store", [](Host& host) {
      (void)RunStoreServer(host, StoreServerConfig{kPort, "store"});
    });
    bool done = false;
    world_.AddHost("taskmanager", [&](Host& host) {
      TaskContext ctx;
      ctx.host = &host;
      ctx.subtask = 1;
      ctx.attempt = 7;
      ctx.services.output_store = Address{"output-store", kPort};
      body(host, ctx);
      done = true;
    });
    world_.RunUntil([&] { return done; }, 60 * kNanosPerSecond);
    ASSERT_TRUE(done) << "client program did not finish (seed 1)";
  }
  std::vector<std::string> Committed() {
    return world_.disk(store_).ListCurrent("store/output/committed");
  }
  std::vector<std::string> Pending() {
    return world_.disk(store_).ListCurrent("store/output/pending");
  }

  sim::World world_{sim::WorldOptions{.seed = 1}};
  sim::World::HostId store_ = 0;
};

TEST_F(SinkTest, NothingIsCommittedBeforeTheCheckpointCompletes) {
  std::vector<std::string> committed_after_precommit;
  RunOnClient([&](Host&, TaskContext& ctx) {
    TwoPhaseCommitFileSink sink(ctx, FileSinkSpec{"output"});
    ASSERT_TRUE(sink.Open("").ok());
    sink.buffer()->append("a\t1\n");
    std::string state;
    ASSERT_TRUE(sink.PreCommit(3, &state).ok());
    committed_after_precommit = Committed();
    ASSERT_TRUE(sink.CommitUpTo(3).ok());
  });
  EXPECT_TRUE(committed_after_precommit.empty());
  EXPECT_EQ(Committed(), std::vector<std::string>{"part-1-3-a7"});
  EXPECT_TRUE(Pending().empty());
  EXPECT_EQ(world_.disk(store_).ReadCurrent("store/output/committed/part-1-3-a7").value(),
            "a\t1\n");
}

TEST_F(SinkTest, RestoreCommitsThePreCommittedAndAbortsTheRest) {
  RunOnClient([&](Host&, TaskContext& ctx) {
    std::string state_at_4;
    {
      TwoPhaseCommitFileSink sink(ctx, FileSinkSpec{"output"});
      ASSERT_TRUE(sink.Open("").ok());
      sink.buffer()->append("x\t1\n");
      ASSERT_TRUE(sink.PreCommit(4, &state_at_4).ok());
      sink.buffer()->append("x\t2\n");
      std::string state_at_5;
      ASSERT_TRUE(sink.PreCommit(5, &state_at_5).ok());
      // Crash here: checkpoint 4 completed, 5 never did; no commit was sent.
    }
    ctx.attempt = 8;
    TwoPhaseCommitFileSink restored(ctx, FileSinkSpec{"output"});
    ASSERT_TRUE(restored.Open(state_at_4).ok());
    // Idempotence: a second restore from the same state commits nothing twice and fails nothing.
    TwoPhaseCommitFileSink again(ctx, FileSinkSpec{"output"});
    ASSERT_TRUE(again.Open(state_at_4).ok());
  });
  EXPECT_EQ(Committed(), std::vector<std::string>{"part-1-4-a7"});
  EXPECT_TRUE(Pending().empty()) << "the transaction of checkpoint 5 must be aborted";
}

TEST_F(SinkTest, CommitOfAVanishedTransactionIsDataLoss) {
  Status status;
  RunOnClient([&](Host& host, TaskContext& ctx) {
    TwoPhaseCommitFileSink sink(ctx, FileSinkSpec{"output"});
    ASSERT_TRUE(sink.Open("").ok());
    sink.buffer()->append("y\t1\n");
    std::string state;
    ASSERT_TRUE(sink.PreCommit(2, &state).ok());
    StoreClient store(host, ctx.services.output_store);
    ASSERT_TRUE(store.Remove("output/pending/part-1-2-a7").ok());
    status = sink.CommitUpTo(2);
  });
  EXPECT_EQ(status.code(), StatusCode::kDataLoss) << status.ToString();
}

}  // namespace
}  // namespace sluice
