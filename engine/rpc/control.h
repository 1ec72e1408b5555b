// Control-plane messages between the JobManager and TaskManagers, one per frame. Every message
// carries the sender's view of the JobManager epoch (the fencing token) and the job's execution
// attempt, so that a receiver can drop messages from a deposed JobManager or a cancelled attempt.
// One flat struct keeps the codec small; fields a message type does not use stay default.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/status.h"
#include "engine/runtime/network.h"

namespace sluice {

// Execution attempts are numbered epoch * kAttemptsPerEpoch + deployment, so that attempts of a
// newer JobManager epoch are always higher, and the epoch of an attempt is attempt / this.
inline constexpr int64_t kAttemptsPerEpoch = 1000 * 1000;

// A task's busy, idle and backpressured time since it started running (ns of its host's clock,
// cumulative; Flink's busyTimeMsPerSecond, idleTimeMsPerSecond, backPressuredTimeMsPerSecond
// are their rates), the records it took in and a source's lag (Flink's numRecordsIn and
// pendingRecords), as the autoscaler reads them.
struct TaskTimes {
  int64_t busy_ns = 0;
  int64_t idle_ns = 0;
  int64_t backpressured_ns = 0;
  int64_t records_in = 0;   // records taken in (a source: emitted), cumulative
  int64_t records_lag = 0;  // a throttled source: records behind its rate now
};

enum class ControlType : uint8_t {
  kRegister = 1,              // TM → JM: text = TM id, address = data address, slots
  kRegistered,                // JM → TM: epoch
  kHeartbeat,                 // both ways
  kDeploy,                    // JM → TM: chain, subtask, text = job spec, consumers,
                              //          restore_paths, final_commit
  kTaskState,                 // TM → JM: chain, subtask, task_state, text = message, times
  kTriggerCheckpoint,         // JM → TM: checkpoint_id, chain, subtask (a source task),
                              //          terminate, savepoint
  kAcknowledgeCheckpoint,     // TM → JM: checkpoint_id, chain, subtask, restore_path = state
                              //          file, state_bytes, split_index = splits received (a
                              //          source task), times
  kNotifyCheckpointComplete,  // JM → TM: checkpoint_id (all of the attempt's tasks there)
  kCancelAttempt,             // JM → TM: cancel every task of attempts <= attempt
  kRequestSplit,              // TM → JM: chain, subtask (a source task), split_index = splits
                              //          it received so far in this attempt
  kAddSplits,                 // JM → TM: chain, subtask, split_index = index of splits[0] in
                              //          the task's assignments of this attempt, splits,
                              //          no_more_splits
  kCancelExecution,           // JM → TM: cancel every task of exactly `attempt` (the attempt of
                              //          one pipelined region, restarted alone)
};

enum class TaskState : uint8_t { kRunning = 1, kFinished = 2, kFailed = 3 };

// Why a task failed (kTaskState with kFailed), typed so that the JobManager never decides by
// parsing the message text.
enum class TaskFailure : uint8_t {
  kNone = 0,
  // Restarting may help (a lost connection, an I/O error, a full disk): the restart strategy
  // decides.
  kRecoverable = 1,
  // What the task restores from is gone: no copy of its checkpoint state verifies, or a
  // transaction its checkpoint pre-committed is neither pending nor committed. No restart can
  // bring it back and no older checkpoint may be restored (the fall-back rule,
  // engine/checkpoint/completed_checkpoint.h), so the job fails (Flink's
  // SuppressRestartsException).
  kRestoredStateLost = 2,
};

struct ControlMessage {
  ControlType type = ControlType::kHeartbeat;
  int64_t epoch = 0;
  int64_t attempt = 0;
  int64_t checkpoint_id = 0;
  int32_t chain = 0;
  int32_t subtask = 0;
  int32_t slots = 0;
  TaskState task_state = TaskState::kRunning;
  std::string text;
  Address address;
  // kDeploy: the data address of every consumer subtask of each of the chain's network output
  // edges (Chain::output_edges), edge after edge, subtask by subtask.
  std::vector<Address> consumers;
  std::string restore_path;
  // kDeploy: a final-commit deployment (the job is failing for good): restore, so that the
  // restored checkpoint's transactions are committed, but read no input.
  bool final_commit = false;
  // kTaskState with kFailed: why; kNone otherwise.
  TaskFailure failure = TaskFailure::kNone;
  // kRequestSplit, kAddSplits and a source's kAcknowledgeCheckpoint: see ControlType.
  int64_t split_index = 0;
  std::vector<std::string> splits;  // kAddSplits: each split's bytes (engine/graph/job_graph.h)
  bool no_more_splits = false;      // kAddSplits: the task will get no other split
  int64_t state_bytes = 0;          // kAcknowledgeCheckpoint: the size of the state file
  bool in_flight_data = false;  // kAcknowledgeCheckpoint: it holds unaligned in-flight data
  // kDeploy: the state files the checkpoint being restored holds for the task's chain, by the
  // subtask that wrote them (as many as the chain's parallelism then; empty: a fresh start).
  std::vector<std::string> restore_paths;
  // kTriggerCheckpoint: a stop-with-savepoint's savepoint: the source stops after its barrier.
  bool terminate = false;
  // kTriggerCheckpoint: a savepoint's trigger (its barriers are always aligned, as Flink's).
  bool savepoint = false;
  // kAcknowledgeCheckpoint and kTaskState: the task's times so far.
  TaskTimes times;
  // kAcknowledgeCheckpoint: the shared state files its state names (incremental RocksDB
  // checkpoints' SST files, store paths under checkpoints/shared/), their total size, and the
  // size of those it uploaded for this checkpoint (bytes).
  std::vector<std::string> shared_files;
  int64_t shared_bytes = 0;
  int64_t uploaded_bytes = 0;

  std::string Encode() const;
  // kDataLoss naming the field on malformed bytes.
  static Result<ControlMessage> Decode(std::string_view bytes);
};

const char* ControlTypeName(ControlType type);

// A kTaskState report for subtask `subtask` of `chain` in `attempt`, under JobManager `epoch`.
ControlMessage TaskStateMessage(int64_t epoch, int64_t attempt, int32_t chain, int32_t subtask,
                                TaskState state, std::string text,
                                TaskFailure failure = TaskFailure::kNone);

}  // namespace sluice
