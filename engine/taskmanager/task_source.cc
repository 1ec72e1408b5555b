// Task's source side: split requests and assignments (engine/jobmanager/source_coordinator.h),
// opening each split's reader, and the source loop, throttled to source.rate-limit (and its
// steps) while it keeps answering checkpoint triggers. Part of the Task class (task.h).
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "engine/base/assert.h"
#include "engine/taskmanager/task.h"

namespace sluice {
namespace {
// A throttled source emits in slices of about this many milliseconds' worth of records.
constexpr int64_t kThrottleSliceMs = 50;
}  // namespace

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

}  // namespace sluice
