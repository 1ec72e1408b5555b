#include "engine/jobmanager/job_scheduler.h"

#include <algorithm>
#include <climits>
#include <set>

#include "engine/base/assert.h"

namespace sluice {
namespace {
constexpr int64_t kNanosPerMs = 1000 * 1000;
// How long a failed final-commit deployment waits before it is retried (it is not a restart:
// the strategy has already given up).
constexpr int64_t kFinalCommitRetryDelayNs = 200 * kNanosPerMs;
}  // namespace

JobScheduler::JobScheduler(Options options, std::vector<Chain> chains,
                           CheckpointCoordinator* checkpoints)
    : options_(std::move(options)),
      chains_(std::move(chains)),
      checkpoints_(checkpoints),
      restart_strategy_(options_.restart, options_.random, options_.bug_planted) {
  SLUICE_ASSERT(checkpoints_ != nullptr, "the scheduler tells a checkpoint coordinator");
  SLUICE_ASSERT(options_.heartbeat_interval_ns > 0 && options_.heartbeat_timeout_ns > 0,
                "heartbeat interval and timeout are positive");
}

JobScheduler::Command JobScheduler::Log(Severity severity, std::string category, std::string text) {
  Command command;
  command.kind = CommandKind::kLog;
  command.severity = severity;
  command.category = std::move(category);
  command.text = std::move(text);
  return command;
}

void JobScheduler::OnStarted(int64_t now_ns) {
  started_ns_ = now_ns;
  next_heartbeat_ns_ = now_ns;
}

JobScheduler::Commands JobScheduler::OnTaskManagerRegistered(const std::string& id, int slots,
                                                             const Address& data_address,
                                                             int64_t now_ns) {
  Commands out;
  if (slots < 1 || id.empty()) return out;
  if (taskmanagers_.count(id) != 0) Release(id, "registered again", now_ns, &out);
  taskmanagers_[id] = TaskManager{data_address, slots, now_ns};
  out.push_back(
      Log(Severity::kInfo, "taskmanager.registered", id + " slots=" + std::to_string(slots)));
  return out;
}

void JobScheduler::OnHeardFrom(const std::string& id, int64_t now_ns) {
  auto it = taskmanagers_.find(id);
  if (it != taskmanagers_.end()) it->second.last_heard_ns = now_ns;
}

JobScheduler::Commands JobScheduler::OnTaskManagerLost(const std::string& id,
                                                       const std::string& reason, int64_t now_ns) {
  Commands out;
  Release(id, reason, now_ns, &out);
  return out;
}

void JobScheduler::Release(const std::string& id, const std::string& reason, int64_t now_ns,
                           Commands* out) {
  auto it = taskmanagers_.find(id);
  if (it == taskmanagers_.end()) return;
  taskmanagers_.erase(it);
  Command release;
  release.kind = CommandKind::kReleaseTaskManager;
  release.taskmanager = id;
  release.text = reason;
  out->push_back(std::move(release));
  out->push_back(Log(Severity::kWarning, "taskmanager.lost", id + ": " + reason));
  for (const auto& [task, execution] : executions_) {
    if (execution.taskmanager == id && !execution.finished) {
      Failover("taskmanager " + id + " lost (" + reason + ")", now_ns, out);
      return;
    }
  }
}

JobScheduler::Commands JobScheduler::OnTaskFinished(TaskId task, int64_t attempt) {
  Commands out;
  if (!Accepts(attempt)) return out;
  auto it = executions_.find(task);
  if (it == executions_.end()) return out;
  it->second.finished = true;
  for (const auto& [other, execution] : executions_) {
    if (!execution.finished) return out;
  }
  Command done;
  if (final_commit_) {
    status_ = JobStatus::kFailed;
    done.kind = CommandKind::kFailed;
    done.text = failure_;
    out.push_back(Log(Severity::kError, "job.failed", failure_));
  } else {
    status_ = JobStatus::kFinished;
    done.kind = CommandKind::kFinished;
    out.push_back(
        Log(Severity::kInfo, "job.finished",
            "attempt " + std::to_string(attempt_) + " restarts " + std::to_string(restarts_)));
  }
  out.push_back(std::move(done));
  return out;
}

JobScheduler::Commands JobScheduler::OnTaskFailed(TaskId task, int64_t attempt, TaskFailure failure,
                                                  const std::string& message, int64_t now_ns) {
  Commands out;
  if (!Accepts(attempt) || executions_.count(task) == 0) return out;
  const std::string what = "task " + std::to_string(task.first) + "/" + std::to_string(task.second);
  if (failure == TaskFailure::kRestoredStateLost) {
    // The fall-back rule: checkpoint restored_from_ may have been committed, so restoring an
    // older one would commit its output twice; no restart can bring the lost state back.
    Fail(what + " cannot restore checkpoint " + std::to_string(restored_from_) + ": " + message,
         &out);
    return out;
  }
  Failover(what + " failed: " + message, now_ns, &out);
  return out;
}

JobScheduler::Commands JobScheduler::Failover(const std::string& reason, int64_t now_ns) {
  Commands out;
  Failover(reason, now_ns, &out);
  return out;
}

JobScheduler::Commands JobScheduler::FailJob(const std::string& reason) {
  Commands out;
  Fail(reason, &out);
  return out;
}

void JobScheduler::Fail(const std::string& reason, Commands* out) {
  if (attempt_ != 0) {
    Command cancel;
    cancel.kind = CommandKind::kCancelAttempt;
    cancel.attempt = attempt_;
    for (const auto& [id, tm] : taskmanagers_) cancel.taskmanagers.push_back(id);
    out->push_back(std::move(cancel));
  }
  executions_.clear();
  checkpoints_->OnAttemptEnded();
  failure_ = reason;
  status_ = JobStatus::kFailed;
  out->push_back(Log(Severity::kError, "job.failed", failure_));
  Command failed;
  failed.kind = CommandKind::kFailed;
  failed.text = failure_;
  out->push_back(std::move(failed));
}

void JobScheduler::Failover(const std::string& reason, int64_t now_ns, Commands* out) {
  if (status_ != JobStatus::kRunning) return;
  Command cancel;
  cancel.kind = CommandKind::kCancelAttempt;
  cancel.attempt = attempt_;
  for (const auto& [id, tm] : taskmanagers_) cancel.taskmanagers.push_back(id);
  out->push_back(std::move(cancel));
  checkpoints_->OnAttemptEnded();
  const int64_t tasks = static_cast<int64_t>(executions_.size());  // full failover: all of them
  executions_.clear();
  status_ = JobStatus::kRestarting;
  if (final_commit_) {
    // A final-commit attempt failed: it must still complete (see below); retry it. The restart
    // strategy has already given up, so it does not judge these.
    restart_at_ns_ = now_ns + kFinalCommitRetryDelayNs;
    out->push_back(Log(Severity::kWarning, "job.failing", "final commit retried: " + reason));
    return;
  }
  const RestartBackoffTimeStrategy::Decision decision =
      restart_strategy_.OnFailure(now_ns / kNanosPerMs);
  Command failover = Log(Severity::kWarning, "job.failover", reason);
  failover.fields = {{"epoch", options_.epoch},
                     {"now_ms", now_ns / kNanosPerMs},
                     {"restart", decision.restart ? 1 : 0},
                     {"delay_ms", decision.delay_ms},
                     {"tasks", tasks}};
  out->push_back(std::move(failover));
  restart_at_ns_ = now_ns + decision.delay_ms * kNanosPerMs;
  if (!decision.restart) {
    failure_ = reason + "; restart strategy " +
               std::string(RestartStrategyName(restart_strategy_.config().kind)) +
               " exhausted after " + std::to_string(restarts_) + " restarts";
    const CompletedCheckpoint* latest = checkpoints_->latest();
    if (latest == nullptr) {
      status_ = JobStatus::kFailed;  // nothing was ever committed
      out->push_back(Log(Severity::kError, "job.failed", failure_));
      Command failed;
      failed.kind = CommandKind::kFailed;
      failed.text = failure_;
      out->push_back(std::move(failed));
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
    restart_at_ns_ = now_ns + kFinalCommitRetryDelayNs;
    out->push_back(Log(
        Severity::kWarning, "job.failing",
        failure_ + "; committing checkpoint " + std::to_string(latest->id) + "'s output first"));
    return;
  }
  ++restarts_;
  out->push_back(
      Log(Severity::kWarning, "job.restarting", std::to_string(restarts_) + ": " + reason));
}

JobScheduler::Commands JobScheduler::OnTick(int64_t now_ns) {
  Commands out;
  if (status_ == JobStatus::kFinished || status_ == JobStatus::kFailed) return out;
  if (now_ns >= next_heartbeat_ns_) {
    next_heartbeat_ns_ = now_ns + options_.heartbeat_interval_ns;
    std::vector<std::string> silent;
    for (const auto& [id, tm] : taskmanagers_) {
      if (now_ns - tm.last_heard_ns > options_.heartbeat_timeout_ns) silent.push_back(id);
    }
    if (Planted("heartbeat-timeout-ignored")) silent.clear();
    for (const std::string& id : silent) Release(id, "heartbeat timeout", now_ns, &out);
    Command ping;
    ping.kind = CommandKind::kHeartbeat;
    for (const auto& [id, tm] : taskmanagers_) ping.taskmanagers.push_back(id);
    if (!ping.taskmanagers.empty()) out.push_back(std::move(ping));
  }
  if (status_ == JobStatus::kRestarting && now_ns >= restart_at_ns_) {
    status_ = JobStatus::kWaitingForResources;
  }
  if (status_ == JobStatus::kWaitingForResources) TryDeploy(now_ns, &out);
  return out;
}

std::vector<std::string> JobScheduler::PlaceSlots(int groups, std::map<std::string, int> free,
                                                  int* moved) const {
  // Tasks in each slot g: subtask g of every chain whose slots include g.
  std::vector<int> tasks_in(groups, 0);
  for (const Chain& chain : chains_) {
    for (int s = 0; s < chain.parallelism; ++s) ++tasks_in[chain.first_slot + s];
  }
  std::vector<int> order(groups);  // slots in the order they are placed
  for (int g = 0; g < groups; ++g) order[g] = g;
  if (options_.load_balance == LoadBalanceMode::kTasks) {
    std::stable_sort(order.begin(), order.end(),
                     [&](int a, int b) { return tasks_in[a] > tasks_in[b]; });
  }
  std::map<std::string, int> tasks_on;  // TaskManager → tasks placed on it so far
  std::vector<std::string> group_host(groups);
  // Sticky: a slot whose TaskManager is still registered (with a slot free) stays there, so that
  // losing or adding a TaskManager moves only the slots that must move.
  *moved = 0;
  const bool sticky = static_cast<int>(previous_hosts_.size()) == groups;
  if (sticky) {
    for (int g = 0; g < groups; ++g) {
      auto kept = free.find(previous_hosts_[g]);
      if (kept == free.end() || kept->second == 0) continue;
      group_host[g] = kept->first;
      --kept->second;
      tasks_on[kept->first] += tasks_in[g];
    }
  }
  for (int g : order) {
    if (!group_host[g].empty()) continue;  // kept
    if (sticky) *moved += tasks_in[g];
    auto best = free.end();
    for (auto it = free.begin(); it != free.end(); ++it) {
      if (it->second == 0) continue;
      if (best == free.end()) {
        best = it;
        if (options_.load_balance == LoadBalanceMode::kNone) break;  // fill: the first
        continue;
      }
      // Less loaded relative to its size (a/b < c/d as a·d < c·b), then more free slots; the
      // id order of `free` breaks the remaining ties.
      const int64_t size = taskmanagers_.at(it->first).slots;
      const int64_t best_size = taskmanagers_.at(best->first).slots;
      const int64_t load = options_.load_balance == LoadBalanceMode::kTasks
                               ? tasks_on[it->first]
                               : size - it->second;
      const int64_t best_load = options_.load_balance == LoadBalanceMode::kTasks
                                    ? tasks_on[best->first]
                                    : best_size - best->second;
      if (load * best_size < best_load * size ||
          (load * best_size == best_load * size && it->second > best->second)) {
        best = it;
      }
    }
    SLUICE_ASSERT(best != free.end(), "slots are only handed out while some are free");
    group_host[g] = best->first;
    --best->second;
    tasks_on[best->first] += tasks_in[g];
  }
  return group_host;
}

bool JobScheduler::TryDeploy(int64_t now_ns, Commands* out) {
  const int groups = SlotsRequired(chains_);
  std::map<std::string, int> free;
  int total = 0;
  for (const auto& [id, tm] : taskmanagers_) {
    free[id] = tm.slots;
    total += tm.slots;
  }
  if (total < groups) return false;
  const bool first_deployment = attempt_ == 0;
  if (first_deployment && static_cast<int>(taskmanagers_.size()) < options_.min_taskmanagers &&
      now_ns < started_ns_ + options_.initial_resource_wait_ns) {
    return false;
  }
  int moved = 0;
  const std::vector<std::string> group_host = PlaceSlots(groups, free, &moved);
  previous_hosts_ = group_host;
  attempt_ = options_.epoch * kAttemptsPerEpoch + ++deployments_;
  const CompletedCheckpoint* latest = checkpoints_->latest();
  restored_from_ = latest != nullptr ? latest->id : 0;
  executions_.clear();
  Command deploy;
  deploy.kind = CommandKind::kDeploy;
  deploy.attempt = attempt_;
  deploy.final_commit = final_commit_;
  deploy.restored_from = restored_from_;
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
      const TaskId task{chain.id, s};
      const std::string& host = group_host[chain.first_slot + s];
      executions_[task] = Execution{host, false};
      tasks.emplace_back(task, chain.is_source);
      Deployment deployment{task, host, consumers, ""};
      if (latest != nullptr) {
        // Every task of the job acknowledged (or finished into) a completed checkpoint; a task
        // restored without its state would start over and emit its output again.
        auto path = latest->state_paths.find(task);
        SLUICE_ASSERT(path != latest->state_paths.end(),
                      "a completed checkpoint holds the state of every task of the job");
        deployment.restore_path = path->second;
      }
      deploy.deployments.push_back(std::move(deployment));
    }
  }
  out->push_back(std::move(deploy));
  status_ = JobStatus::kRunning;
  checkpoints_->OnDeployed(tasks, now_ns);
  Command deployed = Log(Severity::kInfo, "job.deployed",
                         "attempt " + std::to_string(attempt_) + " from checkpoint " +
                             std::to_string(restored_from_));
  deployed.fields = {{"attempt", attempt_},
                     {"restored_checkpoint", restored_from_},
                     {"now_ms", now_ns / kNanosPerMs},
                     {"moved", moved}};
  out->push_back(std::move(deployed));
  return true;
}

int64_t JobScheduler::NextDeadlineNs(int64_t now_ns) const {
  int64_t deadline = next_heartbeat_ns_;
  if (status_ == JobStatus::kRestarting) deadline = std::min(deadline, restart_at_ns_);
  if (status_ == JobStatus::kWaitingForResources && attempt_ == 0 &&
      now_ns < started_ns_ + options_.initial_resource_wait_ns) {
    deadline = std::min(deadline, started_ns_ + options_.initial_resource_wait_ns);
  }
  return deadline;
}

std::vector<std::string> JobScheduler::AttemptTaskManagers() const {
  std::set<std::string> hosts;
  for (const auto& [task, execution] : executions_) hosts.insert(execution.taskmanager);
  return {hosts.begin(), hosts.end()};
}

std::string JobScheduler::TaskManagerOf(TaskId task) const {
  auto it = executions_.find(task);
  return it == executions_.end() ? std::string() : it->second.taskmanager;
}

const char* JobScheduler::JobStatusName() const {
  switch (status_) {
    case JobStatus::kWaitingForResources:
      return attempt_ == 0 ? "CREATED" : "RESTARTING";
    case JobStatus::kRunning:
      return "RUNNING";
    case JobStatus::kRestarting:
      return "RESTARTING";
    case JobStatus::kFinished:
      return "FINISHED";
    case JobStatus::kFailed:
      return "FAILED";
  }
  return "RUNNING";
}

std::vector<JobScheduler::TaskManagerView> JobScheduler::TaskManagers() const {
  std::map<std::string, std::set<int>> slots_used;  // TaskManager → the job slots it holds
  for (const auto& [task, execution] : executions_) {
    slots_used[execution.taskmanager].insert(chains_[task.first].first_slot + task.second);
  }
  std::vector<TaskManagerView> views;
  for (const auto& [id, tm] : taskmanagers_) {
    auto used = slots_used.find(id);
    views.push_back(TaskManagerView{id, tm.data_address, tm.slots,
                                    used == slots_used.end() ? 0 : static_cast<int>(used->second.size()),
                                    tm.last_heard_ns});
  }
  return views;
}

bool JobScheduler::ChainFinished(int chain) const {
  bool any = false;
  for (const auto& [task, execution] : executions_) {
    if (task.first != chain) continue;
    any = true;
    if (!execution.finished) return false;
  }
  return any;
}

}  // namespace sluice
