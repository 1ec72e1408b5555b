// Sink V2 (engine/api/sink.h) and the file sink on it, against a simulated output store: nothing
// is visible before the checkpoint completes, committables commit in checkpoint order, commits are
// idempotent, and a restore commits what the restored checkpoint pre-committed and aborts
// everything later.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/api/sink.h"
#include "engine/connectors/file_sink.h"
#include "simnet/store_server.h"
#include "simnet/sim_disk.h"
#include "simnet/world.h"

namespace sluice {
namespace {
namespace two_phase_commit_sink_test {

constexpr uint16_t kPort = 7000;

class SinkTest : public ::testing::Test {
 protected:
  // Runs `body` on a client host next to a store host; fails the test if it does not finish.
  void RunOnClient(std::function<void(Host&, TaskContext&)> body) {
    store_ = world_.AddHost("output-store", [](Host& host) {
      (void)RunStoreServer(host, StoreServerConfig{kPort, "store"});
    });
    bool done = false;
    const sim::World::HostId client = world_.AddHost("taskmanager", [&](Host& host) {
      TaskContext ctx;
      ctx.host = &host;
      ctx.subtask = 1;
      ctx.attempt = 7;
      ctx.services.output_root = "mnt/output";
      body(host, ctx);
      done = true;
    });
    world_.MountShared(client, "mnt/output", Address{"output-store", kPort});
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

// A file sink of lines, driven as its task drives it.
class FileSink {
 public:
  explicit FileSink(const TaskContext& ctx)
      : link_(MakeFileSink<std::string>(FileSinkSpec{"output"},
                                        [](const std::string& s, std::string* line) {
                                          *line += s;
                                        })
                  .make_writer(ctx)) {}
  Status Open(std::string_view restored) { return OpenLink(*link_, restored); }
  Status Write(std::string line) {
    const std::vector<std::string> batch = {std::move(line)};
    return link_->Consume(batch, {});
  }
  // Pre-commits at barrier `checkpoint_id`; the sink's state for that checkpoint.
  std::string PreCommit(int64_t checkpoint_id) {
    std::string state;
    const Status status = link_->Snapshot(checkpoint_id, &state);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return state;
  }
  Status CheckpointCompleted(int64_t checkpoint_id) {
    return link_->NotifyCheckpointComplete(checkpoint_id);
  }

 private:
  std::unique_ptr<BatchConsumer<std::string>> link_;
};

TEST_F(SinkTest, NothingIsCommittedBeforeTheCheckpointCompletes) {
  std::vector<std::string> committed_after_precommit;
  RunOnClient([&](Host&, TaskContext& ctx) {
    FileSink sink(ctx);
    ASSERT_TRUE(sink.Open("").ok());
    ASSERT_TRUE(sink.Write("a\t1").ok());
    sink.PreCommit(3);
    committed_after_precommit = Committed();
    ASSERT_TRUE(sink.CheckpointCompleted(3).ok());
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
      FileSink sink(ctx);
      ASSERT_TRUE(sink.Open("").ok());
      ASSERT_TRUE(sink.Write("x\t1").ok());
      state_at_4 = sink.PreCommit(4);
      ASSERT_TRUE(sink.Write("x\t2").ok());
      sink.PreCommit(5);
      // Crash here: checkpoint 4 completed, 5 never did; no commit was sent.
    }
    ctx.attempt = 8;
    FileSink restored(ctx);
    ASSERT_TRUE(restored.Open(state_at_4).ok());
    // Idempotence: a second restore from the same state commits nothing twice and fails nothing.
    FileSink again(ctx);
    ASSERT_TRUE(again.Open(state_at_4).ok());
  });
  EXPECT_EQ(Committed(), std::vector<std::string>{"part-1-4-a7"});
  EXPECT_TRUE(Pending().empty()) << "the transaction of checkpoint 5 must be aborted";
}

// Scaling in from 2 subtasks to 1: the one subtask restores both old subtasks' lists
// (kSplitDistribute) and commits what each pre-committed into the restored checkpoint.
TEST_F(SinkTest, ARescaledRestoreCommitsEveryOldSubtasksTransactions) {
  RunOnClient([&](Host&, TaskContext& ctx) {
    std::vector<std::string> states;
    for (int subtask : {1, 2}) {
      ctx.subtask = subtask;
      FileSink sink(ctx);
      ASSERT_TRUE(sink.Open("").ok());
      ASSERT_TRUE(sink.Write("w\t" + std::to_string(subtask)).ok());
      states.push_back(sink.PreCommit(4));
    }
    ctx.subtask = 0;
    ctx.attempt = 8;
    auto link = MakeFileSink<std::string>(FileSinkSpec{"output"},
                                          [](const std::string& s, std::string* line) {
                                            *line += s;
                                          })
                    .make_writer(ctx);
    const std::vector<std::string_view> restored(states.begin(), states.end());
    ASSERT_TRUE(link->Open(restored).ok());
  });
  EXPECT_EQ(Committed(), (std::vector<std::string>{"part-1-4-a7", "part-2-4-a7"}));
  EXPECT_TRUE(Pending().empty());
}

TEST_F(SinkTest, CommitOfAVanishedTransactionIsDataLoss) {
  Status status;
  RunOnClient([&](Host& host, TaskContext& ctx) {
    FileSink sink(ctx);
    ASSERT_TRUE(sink.Open("").ok());
    ASSERT_TRUE(sink.Write("y\t1").ok());
    sink.PreCommit(2);
    StorageDirectory store(host.fs, ctx.services.output_root);
    ASSERT_TRUE(store.Remove("output/pending/part-1-2-a7").ok());
    status = sink.CheckpointCompleted(2);
  });
  EXPECT_EQ(status.code(), StatusCode::kDataLoss) << status.ToString();
}

// A zombie task (a cancelled attempt still opening on a TaskManager that has not heard so) must
// not abort what a newer attempt pre-committed: that transaction may belong to a completed
// checkpoint. Only transactions of older attempts are aborted.
TEST_F(SinkTest, RestoreAbortsOnlyOlderAttemptsTransactions) {
  std::vector<std::string> pending_after_zombie;
  RunOnClient([&](Host&, TaskContext& ctx) {
    FileSink sink(ctx);  // attempt 7
    ASSERT_TRUE(sink.Open("").ok());
    ASSERT_TRUE(sink.Write("z\t1").ok());
    sink.PreCommit(3);
    ctx.attempt = 6;  // the zombie
    FileSink zombie(ctx);
    ASSERT_TRUE(zombie.Open("").ok());
    pending_after_zombie = Pending();
    ctx.attempt = 8;  // a newer attempt restoring a checkpoint before 3
    FileSink newer(ctx);
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
    FileSink sink(ctx);
    ASSERT_TRUE(sink.Open("").ok());
    ASSERT_TRUE(sink.Write("w\t1").ok());
    const std::string state = sink.PreCommit(2);
    world_.disk(store_).SetIoErrorProbability(1.0);  // renames work, directory syncs fail
    failed_commit = sink.CheckpointCompleted(2);
    world_.disk(store_).SetIoErrorProbability(0.0);
    // The restored sink retries the commit: the rename is done, so it checks committed/.
    ctx.attempt = 8;
    FileSink restored(ctx);
    retried_commit = restored.Open(state);
  });
  EXPECT_EQ(failed_commit.code(), StatusCode::kIoError) << failed_commit.ToString();
  EXPECT_TRUE(retried_commit.ok()) << retried_commit.ToString();
  world_.Crash(store_);
  EXPECT_EQ(Committed(), std::vector<std::string>{"part-1-2-a7"})
      << "the commit the sink counted was lost in the crash";
}

// The Sink V2 protocol itself, with a writer and a committer that keep their effects in memory.
struct Txn {
  int64_t id = 0;
  std::string rows;
  auto Tie() { return std::tie(id, rows); }
  auto Tie() const { return std::tie(id, rows); }
};

struct Effects {
  std::vector<std::string> committed;  // rows of each commit, in order
  int opened = 0;
};

class MemoryWriter final : public SinkWriter<std::string, Txn> {
 public:
  explicit MemoryWriter(Effects* effects) : effects_(effects) {}
  Status Open() override {
    ++effects_->opened;
    return Status::Ok();
  }
  Status Write(std::span<const std::string> batch, std::span<const int64_t>) override {
    for (const std::string& row : batch) rows_ += row + ";";
    return Status::Ok();
  }
  Result<std::vector<Txn>> PrepareCommit(int64_t checkpoint_id) override {
    std::vector<Txn> txns;
    if (!rows_.empty()) txns.push_back(Txn{checkpoint_id, rows_});
    rows_.clear();
    return txns;
  }

 private:
  Effects* effects_;
  std::string rows_;
};

class MemoryCommitter final : public Committer<Txn> {
 public:
  explicit MemoryCommitter(Effects* effects) : effects_(effects) {}
  Status Commit(const Txn& txn) override {
    effects_->committed.push_back(std::to_string(txn.id) + ":" + txn.rows);
    return Status::Ok();
  }

 private:
  Effects* effects_;
};

class SinkV2Test : public ::testing::Test {
 protected:
  std::unique_ptr<BatchConsumer<std::string>> MakeLink(const TaskContext& ctx) {
    return MakeTwoPhaseCommittingSink<std::string, Txn>(
               [this](const TaskContext&) { return std::make_unique<MemoryWriter>(&effects_); },
               [this](const TaskContext&) {
                 return std::make_unique<MemoryCommitter>(&effects_);
               },
               [](const std::string& row, std::string* committed) { *committed += row; })
        .make_writer(ctx);
  }
  // Runs `body` on a simulated host (the link logs and checks planted bugs there).
  void Run(std::function<void(const TaskContext&)> body) {
    sim::World world(sim::WorldOptions{.seed = 1});
    bool done = false;
    world.AddHost("taskmanager", [&](Host& host) {
      TaskContext ctx;
      ctx.host = &host;
      ctx.task_name = "Sink (1/1)";
      body(ctx);
      done = true;
    });
    world.RunUntil([&] { return done; }, 10 * kNanosPerSecond);
    ASSERT_TRUE(done) << "seed 1";
  }
  Effects effects_;
};

TEST_F(SinkV2Test, CommittablesCommitInCheckpointOrderWhenTheirCheckpointCompletes) {
  Run([&](const TaskContext& ctx) {
    auto link = MakeLink(ctx);
    ASSERT_TRUE(link->Open({}).ok());
    EXPECT_EQ(effects_.opened, 1);
    const std::vector<std::string> a = {"a", "b"}, c = {"c"};
    ASSERT_TRUE(link->Consume(a, {}).ok());
    std::string state;
    ASSERT_TRUE(link->Snapshot(1, &state).ok());
    ASSERT_TRUE(link->Snapshot(2, &state).ok());  // nothing written: no committable
    ASSERT_TRUE(link->Consume(c, {}).ok());
    ASSERT_TRUE(link->Snapshot(3, &state).ok());
    EXPECT_TRUE(effects_.committed.empty()) << "nothing commits before its checkpoint completes";
    ASSERT_TRUE(link->NotifyCheckpointComplete(3).ok());  // 1 was never notified: 3 covers it
    ASSERT_TRUE(link->NotifyCheckpointComplete(3).ok());  // a repeated notification: nothing
  });
  EXPECT_EQ(effects_.committed, (std::vector<std::string>{"1:a;b;", "3:c;"}));
}

TEST_F(SinkV2Test, ARestoreCommitsTheRestoredCommittablesBeforeTheWriterOpens) {
  std::string state_at_2;
  Run([&](const TaskContext& ctx) {
    auto link = MakeLink(ctx);
    ASSERT_TRUE(link->Open({}).ok());
    const std::vector<std::string> x = {"x"}, y = {"y"};
    ASSERT_TRUE(link->Consume(x, {}).ok());
    std::string state;
    ASSERT_TRUE(link->Snapshot(1, &state).ok());
    ASSERT_TRUE(link->Consume(y, {}).ok());
    ASSERT_TRUE(link->Snapshot(2, &state_at_2).ok());  // holds 1's and 2's: neither completed
  });
  EXPECT_TRUE(effects_.committed.empty());
  effects_ = Effects();
  Run([&](const TaskContext& ctx) {
    auto link = MakeLink(ctx);
    // Checkpoint 2 completed; the notification was lost.
    ASSERT_TRUE(OpenLink(*link, state_at_2).ok());
    EXPECT_EQ(effects_.opened, 1);
    ASSERT_TRUE(link->NotifyCheckpointComplete(2).ok());  // late: nothing is left to commit
  });
  EXPECT_EQ(effects_.committed, (std::vector<std::string>{"1:x;", "2:y;"}));
}

TEST_F(SinkV2Test, MalformedStateIsDataLossNamingTheTask) {
  for (const std::string& state : {std::string("\x05"), std::string("\x01\x02\x03zz"),
                                   std::string("\x00junk", 5)}) {
    Status status;
    Run([&](const TaskContext& ctx) { status = OpenLink(*MakeLink(ctx), state); });
    EXPECT_EQ(status.code(), StatusCode::kDataLoss) << status.ToString();
    EXPECT_NE(status.ToString().find("Sink (1/1): sink state malformed"), std::string::npos)
        << status.ToString();
    EXPECT_EQ(effects_.opened, 0) << "the writer must not open on a state it cannot read";
  }
}

}  // namespace two_phase_commit_sink_test
}  // namespace
}  // namespace sluice
