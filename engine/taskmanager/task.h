// Task: one subtask of one chain, run on its own fiber inside a TaskManager.
//   source chain:   SplitReader (one split after another, as the JobManager's enumerator assigns
//                   them) → links… → record writers and sinks  (barriers on trigger)
//   consumer chain: one NetworkInputGate per input edge → BarrierAligner over all their channels
//                   → links… → record writers and sinks
// A chain is a tree: an operator with several consumers hands each batch to all of them (fan-out),
// chained ones directly, the others through one record writer and output gate per network edge.
// At a checkpoint the task snapshots its reader and links (a sink pre-commits), forwards the
// barrier, writes the snapshot to checkpoint storage sealed with a checksum (durable: fsynced
// before the write returns) and only then acknowledges to the JobManager.
// End of input (Flink's FLIP-147 "final checkpoint"): a source that has read all its splits and
// was told no more will come waits for the next trigger, emits that barrier and then end-of-partition; a task reports
// FINISHED only after the checkpoint covering its last output has completed (so its sink has
// committed everything).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "engine/checkpoint/completed_checkpoint.h"
#include "engine/runtime/storage_directory.h"
#include "engine/exchange/data_plane.h"
#include "engine/graph/job_graph.h"
#include "engine/graph/job_spec.h"
#include "engine/graph/side_outputs.h"
#include "engine/rpc/control.h"
#include "engine/runtime/host.h"
#include "engine/runtime/sync.h"
#include "engine/state/rocksdb_keyed_state_backend.h"
#include "engine/taskmanager/local_state_store.h"

#include <optional>

namespace sluice {

struct TaskDeployment {
  int64_t epoch = 0;
  int64_t attempt = 0;
  JobSpec spec;
  int chain = 0;
  int subtask = 0;
  // The data address of every consumer subtask of each network output edge, edge after edge
  // (ControlMessage::consumers).
  std::vector<Address> consumers;
  // The restored checkpoint's state files of this chain, by the subtask that wrote them (as
  // many as the chain's parallelism then; empty: a fresh start). At another parallelism than the
  // chain's now, the task restores what its operators' redistribution picks
  // (engine/partition/state_assignment.h).
  std::vector<std::string> restore_paths;
  // The job is failing for good: restore (sinks commit the restored checkpoint's transactions),
  // read no input, take the final checkpoint and finish, so that the committed output is the
  // consistent cut of the restored checkpoint.
  bool final_commit = false;
};

class Task {
 public:
  using Sender = std::function<void(ControlMessage)>;
  static constexpr uint32_t kStateMagic = kTaskStateMagic;

  // `build_graph` rebuilds the deployment's JobGraph from its spec (the program's job registry).
  Task(Host& host, TaskDeployment deployment, ExternalServices services,
       JobGraphFactory build_graph, DataServer* data_server, Sender send);

  // The task's whole life; reports RUNNING, then FINISHED or FAILED. Run on its own fiber.
  void Run();
  // Commands from the TaskManager's control fiber. Never suspend.
  // `terminate`: a stop-with-savepoint's savepoint: the source stops reading after its barrier
  // and finishes once the savepoint completed (no final watermark: Flink's stop without drain).
  // `savepoint`: a savepoint's trigger (aligned even when unaligned checkpoints are on).
  void TriggerCheckpoint(int64_t checkpoint_id, bool terminate = false, bool savepoint = false);
  void NotifyCheckpointComplete(int64_t checkpoint_id);
  // Splits the source's enumerator assigned (kAddSplits): `first_index` is the index of
  // splits[0] among this task's assignments. Run in arrival order with the triggers.
  void AddSplits(int64_t first_index, std::vector<std::string> splits, bool no_more_splits);

  const TaskDeployment& deployment() const { return deployment_; }
  std::string name() const;
  // The task's metrics now (GET /metrics on its TaskManager): its times and records in
  // (TaskTimes), the records its network outputs sent, its chain's name ("Count -> Sink").
  // Never suspends.
  struct Metrics {
    TaskTimes times;
    int64_t records_out = 0;
    std::string chain_name;
  };
  Metrics metrics() const;

 private:
  // How long connecting a data channel (an output to its consumer, an input gate) may take.
  static constexpr int64_t kConnectDeadlineNs = 10LL * 1000 * 1000 * 1000;
  struct Command {
    enum class Kind { kTrigger, kNotify, kAddSplits } kind;
    int64_t checkpoint_id = 0;  // kTrigger, kNotify
    bool terminate = false;     // kTrigger
    bool savepoint = false;     // kTrigger
    // kAddSplits:
    int64_t first_index = 0;
    std::vector<std::string> splits;
    bool no_more_splits = false;
  };
  struct AssignedSplit {
    std::string split;     // the enumerator's bytes
    std::string position;  // SplitReader::Snapshot's bytes; empty: the split's start
  };
  Status RunTask();
  Status Build();
  Status Restore();
  // The state file at `path`: the local copy if `try_local` and one verifies (*local set), else
  // checkpoint storage's; kDataLoss if neither copy is left.
  Result<std::string> ReadState(const std::string& path, bool try_local, bool* local);
  Status RunSource();
  // A source subtask's rate now (records per second; 0: unthrottled), from the job's
  // source.rate-limit and its steps at the subtask's position.
  int64_t SourceRatePerSubtask() const;
  // Opens the next assigned split (source_ must be null).
  Status OpenNextSplit();
  void RequestSplits();
  Status RunConsumer();
  Status HandleCommands();
  // Fires due processing-time timers, then flushes the record writers if the buffer timeout has
  // passed.
  Status MaybeFlushOutput();
  // When the task must wake for MaybeFlushOutput (ns on the host clock), or -1 for never.
  int64_t NextWakeNs() const;
  // A source's (or an ended task's) checkpoint: SnapshotState, then PersistState.
  Status Checkpoint(int64_t checkpoint_id, bool unaligned);
  // Snapshots the source position and every link into *sections and sends barrier n on every
  // output (unaligned: ahead of the queued buffers, copied to *output_state).
  Status SnapshotState(int64_t checkpoint_id, bool unaligned, std::vector<std::string>* sections,
                       std::string* output_state);
  // An unaligned checkpoint's in-flight data as one state file section ("" if there is none).
  static std::string ChannelStateSection(
      const std::vector<std::vector<NetworkInputGate::Event>>& input_state,
      const std::string& output_state);
  // Writes the state file (sections, then the channel state section if any), then acknowledges.
  Status PersistState(int64_t checkpoint_id, std::vector<std::string> sections,
                      std::string channel_state);
  // Reads a restored channel state section: input into restored_input_state_, output queued on
  // the output gates.
  Status RestoreChannelState(const std::string& path, std::string_view section);
  Status AwaitFinalCommit();
  // Waits on wakeup_ until `deadline_ns` (host clock; < 0: none), counting the wait as idle.
  void IdleWait(int64_t deadline_ns);
  // Busy, idle and backpressured time since the task started running (Flink's busyTimeMsPerSecond
  // family, cumulative): idle is waiting for input, splits, a rate limit or a checkpoint;
  // backpressured is waiting for credit (NetworkOutputGate); busy is the rest.
  TaskTimes Times() const;
  void Report(TaskState state, const std::string& message,
              TaskFailure failure = TaskFailure::kNone);

  Host& host_;
  TaskDeployment deployment_;
  // The host's log with the task's job, chain, subtask, attempt and epoch on every event (the
  // structured log's keys); after deployment_, whose job name it views.
  ContextEventLog log_;
  ExternalServices services_;
  JobGraphFactory build_graph_;
  DataServer* data_server_;
  Sender send_;
  std::shared_ptr<WaitList> wakeup_;
  StorageDirectory checkpoint_storage_;  // execution.checkpointing.dir
  // Local recovery (execution.state-recovery.from-local) on: this subtask's local state copies.
  std::optional<TaskLocalStateStore> local_state_;
  std::deque<Command> commands_;

  JobGraph graph_;
  std::vector<Chain> chains_;
  std::vector<int> chain_of_;  // node id → chain id
  Chain chain_;
  // state.backend.type: rocksdb: the keyed operators' RocksDB instances live under
  // rocksdb/<epoch>-<attempt>-<chain>-<subtask>/ on the TaskManager's disk. Declared before the
  // links, so that it outlives them (its destructor removes the directory they leave).
  std::unique_ptr<RocksDbStateBackend> rocksdb_;
  TaskContext context_;
  FlowControl flow_control_;  // the job's taskmanager.network.memory.* settings
  std::vector<std::unique_ptr<NetworkOutputGate>> outputs_;  // one per network output edge
  // The operators' links in chain order (producers first), then the record writers of the output
  // edges: one checkpoint section each, in this order.
  std::vector<std::unique_ptr<ChainLink>> links_;
  std::vector<ChainLink*> writers_;                   // the record writers among links_
  std::vector<std::unique_ptr<ChainLink>> fan_outs_;  // stateless
  std::vector<std::unique_ptr<SideOutputs>> side_outputs_;  // per operator that has consumers
  ChainLink* head_ = nullptr;                         // the head operator's link (not a source)
  ChainLink* source_output_ = nullptr;  // where the source's reader hands its records
  const SourceFunctions* source_functions_ = nullptr;  // the head's, for a source chain
  std::unique_ptr<SplitReader> source_;  // the split being read, if any
  std::string source_split_;             // its bytes
  std::deque<AssignedSplit> assigned_splits_;  // assigned (or restored) and not yet opened
  int64_t splits_received_ = 0;  // kAddSplits splits received in this attempt
  bool split_requested_ = false;  // a kRequestSplit is unanswered
  bool no_more_splits_ = false;
  uint64_t source_lines_ = 0;  // records emitted from the start of the source's splits
  size_t fetched_unemitted_ = 0;  // records the reader fetched and the task has not emitted
  int64_t last_snapshot_ = 0;     // id of the last checkpoint this task snapshotted
  // Checkpoints known to be savepoints (from the trigger, or a barrier's flag) and not yet
  // snapshotted: their barriers carry the flag on, and RocksDB takes full snapshots for them.
  std::set<int64_t> savepoints_;
  int64_t last_completed_ = 0;    // highest completion notified
  int64_t final_checkpoint_ = 0;  // the checkpoint whose barrier followed this task's last output
  bool input_ended_ = false;
  bool stopped_ = false;  // a source that snapshotted a stop-with-savepoint's savepoint
  TaskFailure failure_ = TaskFailure::kRecoverable;  // reported if the task fails
  int64_t next_flush_ns_ = 0;  // buffer timeout: when the record writer flushes next
  // execution.checkpointing.unaligned.enabled (never with AT_LEAST_ONCE).
  bool unaligned_ = false;
  bool emitted_all_ = false;  // a source that emitted its last record (its barriers align)
  // A restored unaligned checkpoint's in-flight input, by channel (RunConsumer takes it first).
  std::vector<std::vector<NetworkInputGate::Event>> restored_input_state_;
  // source.rate-limit.steps: (position in lines, records per second over all subtasks).
  std::vector<std::pair<int64_t, int64_t>> rate_steps_;
  int64_t records_in_ = 0;  // records the task took in (a source: emitted)
  int64_t source_lag_ = 0;  // a throttled source: records behind its rate
  int64_t running_since_ns_ = -1;  // host clock; -1 until the task runs
  int64_t idle_ns_ = 0;
};

}  // namespace sluice
