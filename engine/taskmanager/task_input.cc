// Task's consumer side: the input gates of a non-source chain, barrier alignment (or tracking,
// or unaligned overtaking) across their channels, watermarks through the valve, and records into
// the chain until every input has ended. Part of the Task class (task.h).
#include <algorithm>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "engine/base/assert.h"
#include "engine/config/core_options.h"
#include "engine/exchange/barrier_aligner.h"
#include "engine/exchange/barrier_tracker.h"
#include "engine/graph/watermark_valve.h"
#include "engine/taskmanager/task.h"

namespace sluice {

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

}  // namespace sluice
