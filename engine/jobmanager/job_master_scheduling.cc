// JobMaster: timers, scheduling and failover (the event handlers are in job_master.cc).
#include <algorithm>

#include "engine/base/assert.h"
#include "engine/jobmanager/job_master.h"

namespace sluice {

int64_t JobMaster::NextDeadline() const {
  int64_t deadline = std::min(next_heartbeat_ns_, coordinator_.NextDeadlineNs());
  if (status_ == JobStatus::kRestarting) deadline = std::min(deadline, restart_at_ns_);
  if (status_ == JobStatus::kWaitingForResources && attempt_ == 0 &&
      host_.clock.NowNs() < started_ns_ + config_.initial_resource_wait_ns) {
    deadline = std::min(deadline, started_ns_ + config_.initial_resource_wait_ns);
  }
  return deadline;
}

void JobMaster::Tick() {
  const int64_t now = host_.clock.NowNs();
  if (now >= next_heartbeat_ns_) {
    next_heartbeat_ns_ = now + config_.heartbeat_interval_ns;
    CheckHeartbeats();
  }
  if (status_ == JobStatus::kRestarting && now >= restart_at_ns_) {
    status_ = JobStatus::kWaitingForResources;
  }
  if (status_ == JobStatus::kWaitingForResources) TryDeploy();
  Execute(coordinator_.OnTick(host_.clock.NowNs()));
}

void JobMaster::CheckHeartbeats() {
  const int64_t now = host_.clock.NowNs();
  std::vector<std::string> silent;
  for (const auto& [id, tm] : taskmanagers_) {
    if (now - tm.last_heard_ns > config_.heartbeat_timeout_ns) silent.push_back(id);
  }
  if (SLUICE_BUG_PLANTED(host_, "heartbeat-timeout-ignored")) silent.clear();
  for (const std::string& id : silent) LoseTaskManager(id, "heartbeat timeout");
  for (const auto& [id, tm] : taskmanagers_) {
    ControlMessage ping;
    ping.type = ControlType::kHeartbeat;
    Send(id, ping);
  }
}

bool JobMaster::TryDeploy() {
  const int groups = SlotsRequired(chains_);
  std::map<std::string, int> free;
  int total = 0;
  for (const auto& [id, tm] : taskmanagers_) {
    free[id] = tm.slots;
    total += tm.slots;
  }
  if (total < groups) return false;
  const bool first_deployment = attempt_ == 0;
  if (first_deployment && static_cast<int>(taskmanagers_.size()) < config_.min_taskmanagers &&
      host_.clock.NowNs() < started_ns_ + config_.initial_resource_wait_ns) {
    return false;
  }
  // Slot g (engine/graph/job_graph.h, SlotsRequired) → the TaskManager with the most free slots
  // (ties: smallest id).
  std::vector<std::string> group_host(groups);
  for (int g = 0; g < groups; ++g) {
    auto best = free.begin();
    for (auto it = free.begin(); it != free.end(); ++it) {
      if (it->second > best->second) best = it;
    }
    group_host[g] = best->first;
    --best->second;
  }
  attempt_ = epoch_ * kAttemptsPerEpoch + ++deployments_;
  restored_from_ = Latest() != nullptr ? Latest()->id : 0;
  executions_.clear();
  std::vector<std::pair<TaskId, bool>> tasks;  // for the checkpoint coordinator: (task, source)
  for (const Chain& chain : chains_) {
    std::vector<Address> consumers;  // of each network output edge, concatenated
    for (int target : chain.output_chains) {
      const Chain& consumer = chains_[target];
      for (int s = 0; s < consumer.parallelism; ++s) {
        consumers.push_back(taskmanagers_[group_host[consumer.first_slot + s]].data_address);
      }
    }
    for (int s = 0; s < chain.parallelism; ++s) {
      const std::string& host = group_host[chain.first_slot + s];
      executions_[{chain.id, s}] = Execution{host, false, false};
      tasks.emplace_back(TaskId{chain.id, s}, chain.is_source);
      ControlMessage deploy;
      deploy.type = ControlType::kDeploy;
      deploy.attempt = attempt_;
      deploy.chain = chain.id;
      deploy.subtask = s;
      deploy.text = config_.job.Encode();
      deploy.consumers = consumers;
      deploy.final_commit = final_commit_;
      if (const CompletedCheckpoint* latest = Latest()) {
        auto path = latest->state_paths.find({chain.id, s});
        if (path != latest->state_paths.end()) deploy.restore_path = path->second;
      }
      Send(host, deploy);
    }
  }
  status_ = JobStatus::kRunning;
  coordinator_.OnDeployed(tasks, host_.clock.NowNs());
  host_.log.Info("job.deployed", "attempt " + std::to_string(attempt_) + " from checkpoint " +
                                     std::to_string(restored_from_));
  return true;
}

void JobMaster::CancelAttempt() {
  for (const auto& [id, tm] : taskmanagers_) {
    ControlMessage cancel;
    cancel.type = ControlType::kCancelAttempt;
    cancel.attempt = attempt_;
    Send(id, cancel);
  }
}

void JobMaster::FailJob(const std::string& reason) {
  if (attempt_ != 0) CancelAttempt();
  executions_.clear();
  coordinator_.OnAttemptEnded();
  failure_ = reason;
  status_ = JobStatus::kFailed;
  host_.log.Error("job.failed", failure_);
}

void JobMaster::Failover(const std::string& reason) {
  if (status_ != JobStatus::kRunning) return;
  CancelAttempt();
  coordinator_.OnAttemptEnded();
  executions_.clear();
  if (final_commit_) {
    // A final-commit attempt failed: it must still complete (see below); retry it.
    status_ = JobStatus::kRestarting;
    restart_at_ns_ = host_.clock.NowNs() + config_.restart.delay_ns;
    host_.log.Warn("job.failing", "final commit retried: " + reason);
    return;
  }
  if (restarts_ >= config_.restart.max_restarts) {
    failure_ =
        reason + "; restart strategy exhausted after " + std::to_string(restarts_) + " restarts";
    if (Latest() == nullptr) {
      status_ = JobStatus::kFailed;  // nothing was ever committed
      host_.log.Error("job.failed", failure_);
      return;
    }
    // Failing for good. Some sinks may not have committed the latest completed checkpoint's
    // transactions yet (a TaskManager died between the notification and its commit), which would
    // leave committed output that is no consistent cut of the input. So, like Flink's FAILING
    // state, the job is not FAILED yet: one more deployment restores the latest completed
    // checkpoint (its sinks commit what it pre-committed and abort the rest) with sources that
    // read nothing, takes its final checkpoint and finishes; only then is the job FAILED. It is
    // retried until it completes and does not count against the restart strategy.
    final_commit_ = true;
    status_ = JobStatus::kRestarting;
    restart_at_ns_ = host_.clock.NowNs() + config_.restart.delay_ns;
    host_.log.Warn("job.failing", failure_ + "; committing checkpoint " +
                                      std::to_string(Latest()->id) + "'s output first");
    return;
  }
  ++restarts_;
  status_ = JobStatus::kRestarting;
  restart_at_ns_ = host_.clock.NowNs() + config_.restart.delay_ns;
  host_.log.Warn("job.restarting", std::to_string(restarts_) + ": " + reason);
}

}  // namespace sluice
