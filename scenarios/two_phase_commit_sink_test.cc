// The two-phase-commit file sink against a simulated output store: nothing is visible before the
// checkpoint completes, commits are idempotent, and a restore commits what the restored checkpoint
// pre-committed and aborts everything later.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "engine/connectors/file_sink.h"
#include "engine/checkpoint/store.h"
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

// A zombie task (a cancelled attempt still opening on a TaskManager that has not heard so) must
// not abort what a newer attempt pre-committed: that transaction may belong to a completed
// checkpoint. Only transactions of older attempts are aborted.
TEST_F(SinkTest, RestoreAbortsOnlyOlderAttemptsTransactions) {
  std::vector<std::string> pending_after_zombie;
  RunOnClient([&](Host&, TaskContext& ctx) {
    TwoPhaseCommitFileSink sink(ctx, FileSinkSpec{"output"});  // attempt 7
    ASSERT_TRUE(sink.Open("").ok());
    sink.buffer()->append("z\t1\n");
    std::string state;
    ASSERT_TRUE(sink.PreCommit(3, &state).ok());
    ctx.attempt = 6;  // the zombie
    TwoPhaseCommitFileSink zombie(ctx, FileSinkSpec{"output"});
    ASSERT_TRUE(zombie.Open("").ok());
    pending_after_zombie = Pending();
    ctx.attempt = 8;  // a newer attempt restoring a checkpoint before 3
    TwoPhaseCommitFileSink newer(ctx, FileSinkSpec{"output"});
    ASSERT_TRUE(newer.Open("").ok());
  });
  EXPECT_EQ(pending_after_zombie, std::vector<std::string>{"part-1-3-a7"});
  EXPECT_TRUE(Pending().empty()) << "a newer attempt aborts what an older one left pending";
  EXPECT_TRUE(Committed().empty());
}

// chaos seed 20649: a commit's rename happened but its directory sync failed. The store
// must not let a client see that rename (a retried commit then counts it as committed) before it
// is durable: it syncs the directory before answering anything else, so what the client saw
// survives the store's crash.
TEST_F(SinkTest, ACommitSeenAfterAFailedDirectorySyncSurvivesACrash) {
  Status failed_commit;
  Status retried_commit;
  RunOnClient([&](Host&, TaskContext& ctx) {
    TwoPhaseCommitFileSink sink(ctx, FileSinkSpec{"output"});
    ASSERT_TRUE(sink.Open("").ok());
    sink.buffer()->append("w\t1\n");
    std::string state;
    ASSERT_TRUE(sink.PreCommit(2, &state).ok());
    world_.disk(store_).SetIoErrorProbability(1.0);  // renames work, directory syncs fail
    failed_commit = sink.CommitUpTo(2);
    world_.disk(store_).SetIoErrorProbability(0.0);
    // The restored sink retries the commit: the rename is done, so it checks committed/.
    ctx.attempt = 8;
    TwoPhaseCommitFileSink restored(ctx, FileSinkSpec{"output"});
    retried_commit = restored.Open(state);
  });
  EXPECT_EQ(failed_commit.code(), StatusCode::kIoError) << failed_commit.ToString();
  EXPECT_TRUE(retried_commit.ok()) << retried_commit.ToString();
  world_.Crash(store_);
  EXPECT_EQ(Committed(), std::vector<std::string>{"part-1-2-a7"})
      << "the commit the sink counted was lost in the crash";
}

}  // namespace
}  // namespace sluice
