#include "engine/taskmanager/task.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "engine/base/assert.h"
#include "engine/base/bytes.h"
#include "engine/base/checksum.h"
#include "engine/checkpoint/replicated_file.h"
#include "engine/checkpoint/shared_state_registry.h"
#include "engine/config/core_options.h"
#include "engine/exchange/barrier_aligner.h"
#include "engine/exchange/barrier_tracker.h"
#include "engine/graph/watermark_valve.h"
#include "engine/runtime/storage_directory.h"

namespace sluice {
namespace {
// Flink's execution.buffer-timeout default: buffered output leaves at least this often.
constexpr int64_t kBufferTimeoutNs = 100 * kNanosPerMilli;
}  // namespace

namespace {
// The checkpoint storage directory the shared files of `restore_paths` (a checkpoint's state
// files, or a savepoint's copies) are relative to: checkpoints, or the savepoint's directory
// (where a savepoint's state files lie, wherever in checkpoint storage it was written).
std::string RestoreDir(const std::vector<std::string>& restore_paths) {
  const std::string checkpoints = "checkpoints/";
  for (const std::string& path : restore_paths) {
    if (!path.empty() && path.rfind(checkpoints, 0) != 0) return ParentDir(path);
  }
  return "checkpoints";
}

// The job's RocksDB settings if state.backend.type is rocksdb, else nullopt; kInvalidArgument
// naming the key if one does not parse (from a peer that skipped validation).
Result<std::optional<RocksDbOptions>> RocksDbOptionsOf(const Configuration& settings) {
  for (const ConfigOption* option :
       {&StateBackendType(), &RocksDbWriteBufferSize(), &RocksDbBlockCacheSize(),
        &RocksDbTargetFileSizeBase(), &RocksDbMaxSizeLevelBase(), &CheckpointingIncremental()}) {
    auto it = settings.entries().find(option->key);
    if (it != settings.entries().end()) RETURN_IF_ERROR(CheckValue(*option, it->second));
  }
  if (settings.GetString(StateBackendType()) != "rocksdb") return std::optional<RocksDbOptions>();
  RocksDbOptions options;
  options.write_buffer_bytes = settings.GetBytes(RocksDbWriteBufferSize());
  options.block_cache_bytes = settings.GetBytes(RocksDbBlockCacheSize());
  options.target_file_size_base = settings.GetBytes(RocksDbTargetFileSizeBase());
  options.max_bytes_for_level_base = settings.GetBytes(RocksDbMaxSizeLevelBase());
  options.incremental = settings.GetBool(CheckpointingIncremental());
  return std::optional<RocksDbOptions>(options);
}

// The job's flow-control settings; kInvalidArgument naming the key if one does not parse (the
// JobManager validated them, a peer that did not may send anything).
Result<FlowControl> FlowControlOf(const Configuration& settings) {
  for (const ConfigOption* option :
       {&NetworkBuffersPerChannel(), &NetworkFloatingBuffersPerGate(),
        &NetworkMaxBuffersPerChannel(), &CheckpointingMode(), &CheckpointingUnaligned(),
        &CheckpointingMaxConcurrent()}) {
    auto it = settings.entries().find(option->key);
    if (it != settings.entries().end()) RETURN_IF_ERROR(CheckValue(*option, it->second));
  }
  FlowControl flow;
  flow.buffers_per_channel = static_cast<int>(settings.GetInt(NetworkBuffersPerChannel()));
  flow.floating_buffers_per_gate =
      static_cast<int>(settings.GetInt(NetworkFloatingBuffersPerGate()));
  flow.max_buffers_per_channel = static_cast<int>(settings.GetInt(NetworkMaxBuffersPerChannel()));
  return flow;
}
}  // namespace

Task::Task(Host& host, TaskDeployment deployment, ExternalServices services,
           JobGraphFactory build_graph, DataServer* data_server, Sender send)
    : host_(host),
      deployment_(std::move(deployment)),
      log_(host.log, {EventField{"job", 0, deployment_.spec.job},
                      EventField{"chain", deployment_.chain},
                      EventField{"subtask", deployment_.subtask},
                      EventField{"attempt", deployment_.attempt},
                      EventField{"epoch", deployment_.epoch}}),
      services_(std::move(services)),
      build_graph_(std::move(build_graph)),
      data_server_(data_server),
      send_(std::move(send)),
      wakeup_(std::make_shared<WaitList>()),
      checkpoint_storage_(host.fs, services_.checkpoint_dir) {
  // The JobManager validated the job's settings; a value that does not parse (from a peer that
  // did not) leaves local recovery off rather than trip the getter's assertion.
  const ConfigOption& option = StateRecoveryFromLocal();
  auto it = deployment_.spec.settings.entries().find(option.key);
  if (it != deployment_.spec.settings.entries().end() && CheckValue(option, it->second).ok() &&
      deployment_.spec.settings.GetBool(option)) {
    local_state_.emplace(host_, deployment_.chain, deployment_.subtask, name());
  }
}

std::string Task::name() const {
  return "chain" + std::to_string(deployment_.chain) + "[" + std::to_string(deployment_.subtask) +
         "]@a" + std::to_string(deployment_.attempt);
}

void Task::TriggerCheckpoint(int64_t checkpoint_id, bool terminate, bool savepoint) {
  Command command{Command::Kind::kTrigger, checkpoint_id, terminate};
  command.savepoint = savepoint || terminate;
  commands_.push_back(std::move(command));
  wakeup_->NotifyAll(host_.fibers);
}

void Task::NotifyCheckpointComplete(int64_t checkpoint_id) {
  commands_.push_back(Command{Command::Kind::kNotify, checkpoint_id});
  wakeup_->NotifyAll(host_.fibers);
}

void Task::Report(TaskState state, const std::string& message, TaskFailure failure) {
  ControlMessage report = TaskStateMessage(deployment_.epoch, deployment_.attempt,
                                           deployment_.chain, deployment_.subtask, state, message,
                                           failure);
  report.times = Times();
  send_(std::move(report));
}

void Task::IdleWait(int64_t deadline_ns) {
  const int64_t start = host_.clock.NowNs();
  wakeup_->Wait(host_.fibers, deadline_ns);
  idle_ns_ += host_.clock.NowNs() - start;
}

TaskTimes Task::Times() const {
  TaskTimes times;
  if (running_since_ns_ < 0) return times;
  for (const auto& output : outputs_) times.backpressured_ns += output->backpressured_ns();
  times.idle_ns = idle_ns_;
  const int64_t elapsed = host_.clock.NowNs() - running_since_ns_;
  times.busy_ns = std::max<int64_t>(0, elapsed - times.idle_ns - times.backpressured_ns);
  times.records_in = records_in_;
  times.records_lag = source_lag_;
  return times;
}

Task::Metrics Task::metrics() const {
  Metrics metrics;
  metrics.times = Times();
  for (const auto& output : outputs_) metrics.records_out += output->records_sent();
  metrics.chain_name = chain_.name;
  return metrics;
}

void Task::Run() {
  Status s = RunTask();
  if (s.ok()) {
    log_.Info("task.finished", name());
    Report(TaskState::kFinished, "");
  } else {
    log_.Warn("task.failed", name() + ": " + s.ToString());
    Report(TaskState::kFailed, s.ToString(), failure_);
  }
}

Status Task::RunTask() {
  RETURN_IF_ERROR(Build());
  Status restored = Restore();
  if (restored.code() == StatusCode::kDataLoss) {
    // Restoring reads only sealed, verified state and the transactions it lists: data loss here
    // is for good (no copy verifies, a pre-committed transaction is gone).
    failure_ = TaskFailure::kRestoredStateLost;
    log_.Error("task.restored_state_lost", name() + ": " + restored.ToString());
  }
  RETURN_IF_ERROR(restored);
  running_since_ns_ = host_.clock.NowNs();
  Report(TaskState::kRunning, "");
  log_.Info("task.running", name());
  RETURN_IF_ERROR(source_functions_ != nullptr ? RunSource() : RunConsumer());
  final_checkpoint_ = last_snapshot_;
  for (auto& link : links_) RETURN_IF_ERROR(link->EndOfInput());
  for (auto& output : outputs_) RETURN_IF_ERROR(output->SendEndOfPartition());
  const TaskTimes times = Times();
  log_.Info("task.times", name(),
                 {{"chain", deployment_.chain},
                  {"subtask", deployment_.subtask},
                  {"busy_ms", times.busy_ns / kNanosPerMilli},
                  {"idle_ms", times.idle_ns / kNanosPerMilli},
                  {"backpressured_ms", times.backpressured_ns / kNanosPerMilli}});
  return AwaitFinalCommit();
}

Status Task::Build() {
  ASSIGN_OR_RETURN(graph_, build_graph_(deployment_.spec));
  ASSIGN_OR_RETURN(chains_, BuildChains(graph_));
  ASSIGN_OR_RETURN(flow_control_, FlowControlOf(deployment_.spec.settings));
  RETURN_IF_ERROR(CheckCheckpointingSettings(deployment_.spec.settings));
  ASSIGN_OR_RETURN(rate_steps_, SourceRateStepsOf(deployment_.spec.settings));
  unaligned_ = UnalignedCheckpointsOf(deployment_.spec.settings);
  if (deployment_.chain < 0 || deployment_.chain >= static_cast<int>(chains_.size())) {
    return InvalidArgumentError("deployment names unknown chain " +
                                std::to_string(deployment_.chain));
  }
  chain_ = chains_[deployment_.chain];
  chain_of_ = ChainOfNodes(graph_, chains_);
  if (deployment_.subtask < 0 || deployment_.subtask >= chain_.parallelism) {
    return InvalidArgumentError("deployment names subtask " + std::to_string(deployment_.subtask) +
                                " of a chain of parallelism " +
                                std::to_string(chain_.parallelism));
  }
  context_.host = &host_;
  context_.task_name = chain_.name + " (" + std::to_string(deployment_.subtask + 1) + "/" +
                       std::to_string(chain_.parallelism) + ")";
  context_.subtask = deployment_.subtask;
  context_.parallelism = chain_.parallelism;
  context_.max_parallelism = graph_.max_parallelism;
  context_.attempt = deployment_.attempt;
  context_.services = services_;
  ASSIGN_OR_RETURN(const std::optional<RocksDbOptions> rocksdb,
                   RocksDbOptionsOf(deployment_.spec.settings));
  if (rocksdb.has_value()) {
    rocksdb_ = std::make_unique<RocksDbStateBackend>(
        host_,
        std::string(RocksDbStateBackend::kTaskManagerRoot) + "/" +
            std::to_string(deployment_.epoch) + "-" + std::to_string(deployment_.attempt) + "-" +
            std::to_string(deployment_.chain) + "-" + std::to_string(deployment_.subtask),
        *rocksdb, "checkpoints", RestoreDir(deployment_.restore_paths),
        [this](const std::string& store_path) {
          return ReadReplicated(checkpoint_storage_, store_path, kSharedStateMagic);
        });
    context_.rocksdb = rocksdb_.get();
  }
  // One output gate and record writer per network output edge.
  std::vector<ChainLink*> writer_of_edge(graph_.edges.size(), nullptr);
  std::vector<std::unique_ptr<ChainLink>> writers;
  size_t next_address = 0;
  for (size_t i = 0; i < chain_.output_edges.size(); ++i) {
    const StreamEdge& edge = graph_.edges[chain_.output_edges[i]];
    const size_t consumers = static_cast<size_t>(chains_[chain_.output_chains[i]].parallelism);
    if (next_address + consumers > deployment_.consumers.size()) {
      return InvalidArgumentError("deployment lists " +
                                  std::to_string(deployment_.consumers.size()) +
                                  " consumer addresses, too few for the chain's output edges");
    }
    std::vector<Address> addresses(deployment_.consumers.begin() + next_address,
                                   deployment_.consumers.begin() + next_address + consumers);
    next_address += consumers;
    auto gate = std::make_unique<NetworkOutputGate>(
        host_, ChannelKey{deployment_.attempt, edge.id, 0, deployment_.subtask},
        std::move(addresses),
        ConsumersOfProducer(edge.partitioner, deployment_.subtask, chain_.parallelism,
                            static_cast<int>(consumers)),
        flow_control_);
    RETURN_IF_ERROR(gate->Connect(host_.clock.NowNs() + kConnectDeadlineNs));
    writers.push_back(edge.make_writer(context_, gate.get()));
    writer_of_edge[edge.id] = writers.back().get();
    writers_.push_back(writers.back().get());
    outputs_.push_back(std::move(gate));
  }
  // The operators, consumers before producers, so that each gets its outputs' links.
  std::vector<ChainLink*> link_of_node(graph_.nodes.size(), nullptr);
  std::vector<std::unique_ptr<ChainLink>> node_links(chain_.nodes.size());
  for (size_t i = chain_.nodes.size(); i-- > 0;) {
    const OperatorNode& node = graph_.nodes[chain_.nodes[i]];
    std::vector<ChainLink*> outs;
    std::unique_ptr<SideOutputs> side;
    for (int e : node.outputs) {
      const StreamEdge& edge = graph_.edges[e];
      ChainLink* out = nullptr;
      if (IsChainable(graph_, edge)) {
        SLUICE_ASSERT(link_of_node[edge.target] != nullptr, "a chained consumer is built first");
        out = link_of_node[edge.target]->Input(edge.input_index);
      } else {
        out = writer_of_edge[e];
      }
      SLUICE_ASSERT(out != nullptr, "every output edge of a chain's operator has a consumer");
      if (edge.side_output.empty()) {
        outs.push_back(out);
        continue;
      }
      if (!node.emits_side_outputs) {
        return InvalidArgumentError("operator '" + node.name + "' emits no side outputs");
      }
      if (!side) side = std::make_unique<SideOutputs>();
      side->AddConsumer(edge.side_output, out);
    }
    ChainLink* next = nullptr;
    if (outs.size() == 1) {
      next = outs.front();
    } else if (node.make_fan_out) {  // several consumers, or none (the output is dropped)
      fan_outs_.push_back(node.make_fan_out(std::move(outs)));
      next = fan_outs_.back().get();
    }
    if (node.is_source) {
      source_output_ = next;
      if (source_output_ == nullptr || !node.source.make_reader) {
        return InvalidArgumentError("source '" + node.name + "' has no reader or no output");
      }
      continue;
    }
    if (side) {
      side_outputs_.push_back(std::move(side));
      context_.side_outputs = side_outputs_.back().get();
    }
    node_links[i] = node.make_link(context_, next);
    context_.side_outputs = nullptr;
    link_of_node[node.id] = node_links[i].get();
  }
  for (auto& link : node_links) {
    if (link) links_.push_back(std::move(link));
  }
  for (auto& writer : writers) links_.push_back(std::move(writer));
  const OperatorNode& head = graph_.nodes[chain_.nodes.front()];
  head_ = link_of_node[head.id];
  if (head.is_source) source_functions_ = &head.source;
  return Status::Ok();
}

int64_t Task::NextWakeNs() const {
  int64_t next_ms = INT64_MAX;
  for (const auto& link : links_) next_ms = std::min(next_ms, link->NextProcessingTimeMs());
  int64_t wake = next_ms == INT64_MAX ? -1 : next_ms * kNanosPerMilli;
  if (!writers_.empty()) wake = wake < 0 ? next_flush_ns_ : std::min(wake, next_flush_ns_);
  return wake;
}

Status Task::MaybeFlushOutput() {
  // Processing-time timers that are due fire first (their output then leaves with the flush).
  const int64_t now_ms = host_.clock.NowNs() / kNanosPerMilli;
  for (auto& link : links_) {
    if (link->NextProcessingTimeMs() <= now_ms) RETURN_IF_ERROR(link->OnProcessingTime(now_ms));
  }
  if (writers_.empty() || host_.clock.NowNs() < next_flush_ns_) return Status::Ok();
  next_flush_ns_ = host_.clock.NowNs() + kBufferTimeoutNs;
  for (ChainLink* writer : writers_) RETURN_IF_ERROR(writer->FlushBuffers());
  return Status::Ok();
}

Status Task::HandleCommands() {
  while (!commands_.empty()) {
    Command command = std::move(commands_.front());
    commands_.pop_front();
    if (command.kind == Command::Kind::kTrigger) {
      if (command.checkpoint_id > last_snapshot_) {
        // Savepoints are aligned (as Flink's), and so is a source's final checkpoint once it
        // emitted everything: a barrier that overtook its last buffers would let downstream
        // tasks emit after their last snapshot, output no checkpoint would commit.
        if (unaligned_ && !command.savepoint && emitted_all_ && !input_ended_) {
          // The path of regression unaligned-backpressure-269 (its final barrier, unaligned,
          // overtook the last records at the counting tasks, which emitted them after their
          // final snapshot: never committed).
          log_.Info("checkpoint.final_barrier_aligned",
                         name() + " " + std::to_string(command.checkpoint_id));
        }
        if (command.savepoint) savepoints_.insert(command.checkpoint_id);
        RETURN_IF_ERROR(Checkpoint(command.checkpoint_id,
                                   unaligned_ && !command.savepoint && !emitted_all_));
      }
      // A stop-with-savepoint: nothing follows this barrier but the end of the partition.
      if (command.terminate && source_functions_ != nullptr && !input_ended_) stopped_ = true;
      continue;
    }
    if (command.kind == Command::Kind::kAddSplits) {
      // One ordered connection carries the assignments, answering one request at a time.
      SLUICE_ASSERT(command.first_index == splits_received_,
                    "split assignments reach a source task in order, none lost or repeated");
      splits_received_ += static_cast<int64_t>(command.splits.size());
      for (std::string& split : command.splits) {
        assigned_splits_.push_back(AssignedSplit{std::move(split), std::string()});
      }
      no_more_splits_ = no_more_splits_ || command.no_more_splits;
      split_requested_ = false;
      continue;
    }
    if (command.checkpoint_id <= last_completed_) continue;
    last_completed_ = command.checkpoint_id;
    for (auto& link : links_)
      RETURN_IF_ERROR(link->NotifyCheckpointComplete(command.checkpoint_id));
  }
  return Status::Ok();
}

Status Task::AwaitFinalCommit() {
  // FINISHED only once the checkpoint covering everything this task emitted has completed.
  // Later triggers are still acknowledged (with the final state) but do not extend the wait.
  while (last_completed_ < final_checkpoint_) {
    RETURN_IF_ERROR(HandleCommands());
    if (last_completed_ < final_checkpoint_) IdleWait(-1);
  }
  return Status::Ok();
}

}  // namespace sluice
