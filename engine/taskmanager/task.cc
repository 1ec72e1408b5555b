#include "engine/taskmanager/task.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "engine/base/assert.h"
#include "engine/base/bytes.h"
#include "engine/base/checksum.h"
#include "engine/checkpoint/replicated_file.h"
#include "engine/runtime/storage_directory.h"
#include "engine/checkpoint/shared_state_registry.h"
#include "engine/config/core_options.h"
#include "engine/exchange/barrier_aligner.h"
#include "engine/exchange/barrier_tracker.h"
#include "engine/graph/watermark_valve.h"

namespace sluice {
namespace {
constexpr int64_t kConnectDeadlineNs = 10LL * 1000 * 1000 * 1000;
constexpr int64_t kThrottleSliceMs = 50;
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

void Task::AddSplits(int64_t first_index, std::vector<std::string> splits, bool no_more_splits) {
  commands_.push_back(Command{Command::Kind::kAddSplits, 0, false, false, first_index, std::move(splits),
                              no_more_splits});
  wakeup_->NotifyAll(host_.fibers);
}

void Task::RequestSplits() {
  ControlMessage request;
  request.type = ControlType::kRequestSplit;
  request.epoch = deployment_.epoch;
  request.attempt = deployment_.attempt;
  request.chain = deployment_.chain;
  request.subtask = deployment_.subtask;
  request.split_index = splits_received_;
  send_(std::move(request));
  split_requested_ = true;
}

Status Task::OpenNextSplit() {
  SLUICE_ASSERT(source_ == nullptr && !assigned_splits_.empty(),
                "a source opens its next split once it has none open");
  AssignedSplit next = std::move(assigned_splits_.front());
  assigned_splits_.pop_front();
  ASSIGN_OR_RETURN(source_, source_functions_->make_reader(context_, next.split, source_output_));
  RETURN_IF_ERROR(source_->Open(next.position));
  source_split_ = std::move(next.split);
  return Status::Ok();
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

int64_t Task::SourceRatePerSubtask() const {
  int64_t rate = graph_.nodes[chain_.nodes.front()].source.records_per_second;
  for (const auto& [from_lines, step_rate] : rate_steps_) {
    if (source_lines_ >= static_cast<uint64_t>(from_lines)) rate = step_rate;
  }
  return rate > 0 ? std::max<int64_t>(1, rate / chain_.parallelism) : 0;
}

Status Task::RunSource() {
  // Throttled sources emit in slices of ~kThrottleSliceMs worth of lines and keep answering
  // checkpoint triggers while they wait for their next slice. The rate may change with the
  // position (source.rate-limit.steps): each rate runs from where the previous one stopped.
  int64_t per_subtask = SourceRatePerSubtask();
  int64_t phase_start_ns = host_.clock.NowNs();
  uint64_t phase_emitted = 0;
  while (!deployment_.final_commit && !stopped_) {
    RETURN_IF_ERROR(HandleCommands());
    if (stopped_) break;
    if (source_ != nullptr && source_->exhausted()) {
      source_.reset();  // the split is done
      source_split_.clear();
    }
    if (source_ == nullptr) {
      if (!assigned_splits_.empty()) {
        RETURN_IF_ERROR(OpenNextSplit());
        continue;
      }
      if (no_more_splits_) break;
      // Flink's SourceReaderBase: a reader without splits asks its enumerator for more.
      if (!split_requested_) RequestSplits();
      RETURN_IF_ERROR(MaybeFlushOutput());
      if (commands_.empty()) IdleWait(NextWakeNs());
      continue;
    }
    const size_t slice_lines =
        per_subtask > 0
            ? static_cast<size_t>(std::max<int64_t>(1, per_subtask * kThrottleSliceMs / 1000))
            : SIZE_MAX;
    ASSIGN_OR_RETURN(const size_t records, source_->Fetch(slice_lines));
    if (records == 0) continue;  // exhausted
    fetched_unemitted_ = records;
    if (SLUICE_BUG_PLANTED(host_, "source-offset-after-barrier") && !stopped_) {
      // Planted bug: a trigger handled here snapshots an offset past records not yet emitted.
      RETURN_IF_ERROR(HandleCommands());
    }
    source_lines_ += records;
    phase_emitted += records;
    RETURN_IF_ERROR(source_->EmitFetched());
    fetched_unemitted_ = 0;
    records_in_ += static_cast<int64_t>(records);
    host_.fibers.AccountWork(static_cast<int64_t>(records));
    RETURN_IF_ERROR(MaybeFlushOutput());
    if (per_subtask == 0) {
      host_.fibers.Yield();
      phase_start_ns = host_.clock.NowNs();
      phase_emitted = 0;
      per_subtask = SourceRatePerSubtask();
      continue;
    }
    const int64_t due =
        phase_start_ns + static_cast<int64_t>(phase_emitted) * kNanosPerSecond / per_subtask;
    // Behind the rate (backpressured or slow): the records that should have been read by now.
    source_lag_ = std::max<int64_t>(0, host_.clock.NowNs() - due) * per_subtask / kNanosPerSecond;
    if (const int64_t next = SourceRatePerSubtask(); next != per_subtask) {
      per_subtask = next;
      phase_start_ns = due;
      phase_emitted = 0;
    }
    while (host_.clock.NowNs() < due && !stopped_) {
      RETURN_IF_ERROR(HandleCommands());
      RETURN_IF_ERROR(MaybeFlushOutput());
      const int64_t wake = NextWakeNs();
      IdleWait(wake < 0 ? due : std::min(due, wake));
    }
  }
  if (!deployment_.final_commit && !stopped_) {
    log_.Info("source.end_of_input", name() + " lines=" + std::to_string(source_lines_));
    // The end of a finite input: the final watermark fires every event-time timer downstream,
    // before the final checkpoint's barrier (so that what they emit is committed).
    RETURN_IF_ERROR(source_output_->ProcessWatermark(kMaxWatermark));
  }
  // Final checkpoint: wait for the next trigger, so that a barrier follows the last record
  // (stopped: the savepoint's barrier was the last thing it emitted).
  emitted_all_ = true;
  const int64_t before = last_snapshot_;
  while (!stopped_ && last_snapshot_ == before) {
    RETURN_IF_ERROR(HandleCommands());
    if (last_snapshot_ == before) IdleWait(-1);
  }
  input_ended_ = true;
  return Status::Ok();
}

Status Task::RunConsumer() {
  // One input gate per network input edge; their channels are numbered one after another for
  // the aligner (a barrier must arrive on every channel of every input).
  struct Input {
    std::unique_ptr<NetworkInputGate> gate;
    std::unique_ptr<RecordDecoder> decoder;
  };
  std::vector<Input> inputs;
  std::vector<std::pair<int, int>> channels;  // global channel → (input, channel of its gate)
  for (int e : chain_.input_edges) {
    const StreamEdge& edge = graph_.edges[e];
    std::vector<int> producers =
        ProducersOfConsumer(edge.partitioner, deployment_.subtask,
                            chains_[chain_of_[edge.source]].parallelism, chain_.parallelism);
    const int connected = static_cast<int>(producers.size());
    Input input;
    input.decoder = edge.make_decoder(head_->Input(edge.input_index));
    input.gate =
        std::make_unique<NetworkInputGate>(host_, std::move(producers), wakeup_, flow_control_);
    RETURN_IF_ERROR(input.gate->Connect(
        *data_server_, ChannelKey{deployment_.attempt, edge.id, deployment_.subtask, 0},
        host_.clock.NowNs() + kConnectDeadlineNs));
    for (int c = 0; c < connected; ++c) {
      channels.emplace_back(static_cast<int>(inputs.size()), c);
    }
    inputs.push_back(std::move(input));
  }
  const int total = static_cast<int>(channels.size());
  SLUICE_ASSERT(total > 0, "a chain that is not a source has network inputs");
  // Watermarks: one valve per input of the head operator over the channels of the edges into it
  // (Flink's StatusWatermarkValve: the minimum over channels that are not idle).
  std::vector<WatermarkValve> valves;
  std::vector<std::pair<int, int>> valve_of(total);  // global channel → (head input, valve input)
  {
    int per_input[2] = {0, 0};
    for (int c = 0; c < total; ++c) {
      const int input_index = graph_.edges[chain_.input_edges[channels[c].first]].input_index;
      SLUICE_ASSERT(input_index == 0 || input_index == 1, "an operator has one or two inputs");
      valve_of[c] = {input_index, per_input[input_index]++};
    }
    for (int i = 0; i < 2 && per_input[i] > 0; ++i) valves.emplace_back(per_input[i]);
    SLUICE_ASSERT(per_input[1] == 0 || per_input[0] > 0, "a second input has a first");
  }
  auto emit = [&](int channel, const WatermarkValve::Output& out) -> Status {
    return EmitValveOutput(out, head_->Input(valve_of[channel].first));
  };
  // EXACTLY_ONCE aligns barriers; AT_LEAST_ONCE only tracks them (no channel ever blocks).
  const bool at_least_once = AtLeastOnceOf(deployment_.spec.settings);
  BarrierAligner aligner(total);
  BarrierTracker tracker(total);
  auto ended = [&](int c) { return at_least_once ? tracker.IsEnded(c) : aligner.IsEnded(c); };
  const bool skip_alignment =
      at_least_once || SLUICE_BUG_PLANTED(host_, "skip-barrier-alignment");
  // A buffer (records, watermark, watermark status) of `channel`, as the chain takes it.
  auto take_buffer = [&](int channel, const NetworkInputGate::Event& buffer) -> Status {
    switch (buffer.kind) {
      case DataKind::kRecords: {
        RETURN_IF_ERROR(inputs[channels[channel].first].decoder->Decode(
            buffer.records, buffer.count, buffer.timestamps));
        records_in_ += buffer.count;
        host_.fibers.AccountWork(buffer.count);
        return Status::Ok();
      }
      case DataKind::kWatermark: {
        const auto [input_index, local] = valve_of[channel];
        return emit(channel, valves[input_index].OnWatermark(local, buffer.watermark_ms));
      }
      case DataKind::kWatermarkStatus: {
        const auto [input_index, local] = valve_of[channel];
        return emit(channel, valves[input_index].OnStatus(local, buffer.idle));
      }
      default:
        return DataLossError("unexpected data event");
    }
  };
  // A restored unaligned checkpoint's in-flight input comes first, channel by channel.
  if (!restored_input_state_.empty()) {
    if (static_cast<int>(restored_input_state_.size()) != total) {
      return DataLossError("restored in-flight input for " +
                           std::to_string(restored_input_state_.size()) + " channels, the task has " +
                           std::to_string(total));
    }
    for (int c = 0; c < total; ++c) {
      for (const NetworkInputGate::Event& buffer : restored_input_state_[c]) {
        RETURN_IF_ERROR(take_buffer(c, buffer));
      }
    }
    restored_input_state_.clear();
  }
  // Unaligned checkpoints (FLIP-76): at the first barrier of checkpoint n the task snapshots its
  // state and sends barrier n ahead of its queued output; until barrier n arrives on a channel,
  // the buffers it overtook there and those the task takes from there meanwhile are the
  // channel's in-flight state, persisted with the snapshot once every channel delivered n.
  struct UnalignedCheckpoint {
    int64_t id = 0;
    std::vector<bool> done;  // by channel: barrier n arrived (or the channel ended)
    std::vector<std::vector<NetworkInputGate::Event>> input;
    std::vector<std::string> sections;
    std::string output;
  };
  std::optional<UnalignedCheckpoint> unaligned;
  const bool lose_in_flight = SLUICE_BUG_PLANTED(host_, "unaligned-loses-in-flight");
  auto complete_unaligned = [&]() -> Status {
    for (int c = 0; c < total; ++c) {
      if (!unaligned->done[c] && !ended(c)) return Status::Ok();
    }
    UnalignedCheckpoint done = std::move(*unaligned);
    unaligned.reset();
    return PersistState(done.id, std::move(done.sections),
                        ChannelStateSection(done.input, done.output));
  };
  auto on_unaligned_barrier = [&](int channel, NetworkInputGate::Event& barrier) -> Status {
    const int64_t id = barrier.checkpoint_id;
    if (id <= last_snapshot_ || (unaligned && id < unaligned->id)) return Status::Ok();  // stale
    if (!unaligned || id > unaligned->id) {
      // A newer checkpoint abandons an older one in progress, unaligned or aligned. Channels
      // that delivered this checkpoint's aligned barrier (a producer whose input had ended sends
      // aligned barriers) count as done: nothing of theirs is in flight before it.
      unaligned.emplace();
      unaligned->id = id;
      unaligned->done.assign(total, false);
      if (aligner.aligning() && aligner.aligned_checkpoint() == id) {
        for (int c = 0; c < total; ++c) unaligned->done[c] = aligner.IsBlocked(c);
        log_.Info("checkpoint.barriers_mixed", name() + " " + std::to_string(id));
      }
      aligner.Abandon();
      unaligned->input.resize(total);
      RETURN_IF_ERROR(SnapshotState(id, true, &unaligned->sections, &unaligned->output));
    }
    SLUICE_ASSERT(!unaligned->done[channel], "two barriers of one checkpoint on one channel");
    unaligned->done[channel] = true;
    if (!lose_in_flight) {
      for (NetworkInputGate::Event& buffer : barrier.overtaken) {
        unaligned->input[channel].push_back(std::move(buffer));
      }
    }
    return complete_unaligned();
  };
  NetworkInputGate::Event event;
  int next_channel = 0;
  while (!(at_least_once ? tracker.AllEnded() : aligner.AllEnded())) {
    RETURN_IF_ERROR(HandleCommands());
    for (const Input& input : inputs) RETURN_IF_ERROR(input.gate->error());
    bool got = false;
    int channel = 0;
    for (int i = 0; i < total && !got; ++i) {
      channel = (next_channel + i) % total;
      const auto [in, local] = channels[channel];
      got = (skip_alignment || !aligner.IsBlocked(channel)) && !ended(channel) &&
            inputs[in].gate->Poll(local, &event);
    }
    if (!got) {
      RETURN_IF_ERROR(MaybeFlushOutput());
      IdleWait(NextWakeNs());
      continue;
    }
    next_channel = (channel + 1) % total;
    // Alignment (Carbone et al. 2015): a channel that delivered barrier n holds back everything
    // after it until every channel has, or the snapshot would include records after the cut.
    SLUICE_ASSERT(!aligner.IsBlocked(channel),
                  "a channel blocked by barrier alignment delivers nothing until the barrier is "
                  "aligned");
    BarrierAligner::Action action = BarrierAligner::Action::kNone;
    int64_t tracked = 0;  // AT_LEAST_ONCE: the checkpoint whose barriers are all in
    switch (event.kind) {
      case DataKind::kRecords:
      case DataKind::kWatermark:
      case DataKind::kWatermarkStatus:
        if (unaligned && !unaligned->done[channel]) unaligned->input[channel].push_back(event);
        RETURN_IF_ERROR(take_buffer(channel, event));
        break;
      case DataKind::kBarrier:
        if (event.savepoint) savepoints_.insert(event.checkpoint_id);
        if (event.unaligned && !at_least_once) {
          RETURN_IF_ERROR(on_unaligned_barrier(channel, event));
        } else if (unaligned && event.checkpoint_id <= unaligned->id) {
          // An aligned barrier of the unaligned checkpoint in progress (its producer's input had
          // ended) completes that channel; one of an older checkpoint is stale.
          if (event.checkpoint_id == unaligned->id) {
            SLUICE_ASSERT(!unaligned->done[channel],
                          "two barriers of one checkpoint on one channel");
            // A source that emitted all its records sends aligned barriers while others still
            // send unaligned ones.
            log_.Info("checkpoint.barriers_mixed",
                           name() + " " + std::to_string(event.checkpoint_id));
            unaligned->done[channel] = true;
            RETURN_IF_ERROR(complete_unaligned());
          }
        } else if (!at_least_once && event.checkpoint_id <= last_snapshot_) {
          // Stale: an unaligned barrier overtook it and its checkpoint was taken.
        } else if (at_least_once) {
          tracked = tracker.OnBarrier(channel, event.checkpoint_id);
        } else {
          action = aligner.OnBarrier(channel, event.checkpoint_id);
        }
        break;
      case DataKind::kEnd:
        // A producer that read its input to the end sent kMaxWatermark before this; one that did
        // not (a final-commit deployment) must not fire the timers its end would.
        if (at_least_once) {
          tracked = tracker.OnEndOfPartition(channel);
        } else {
          action = aligner.OnEndOfPartition(channel);
          if (unaligned) RETURN_IF_ERROR(complete_unaligned());
        }
        break;
      default:
        return DataLossError("unexpected data event");
    }
    if (tracked > last_snapshot_) RETURN_IF_ERROR(Checkpoint(tracked, false));
    if (action == BarrierAligner::Action::kAligned) {
      RETURN_IF_ERROR(Checkpoint(aligner.aligned_checkpoint(), false));
      aligner.Release();
    }
  }
  input_ended_ = true;
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
