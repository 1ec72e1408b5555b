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
  regions_ = std::move(options_.regions);
  if (regions_.empty()) {  // full failover: one region of every task
    regions_.emplace_back();
    for (const Chain& chain : chains_) {
      for (int s = 0; s < chain.parallelism; ++s) regions_.back().emplace_back(chain.id, s);
    }
  }
  size_t tasks = 0;
  for (const Chain& chain : chains_) tasks += static_cast<size_t>(chain.parallelism);
  for (size_t r = 0; r < regions_.size(); ++r) {
    for (const TaskId& task : regions_[r]) region_of_[task] = static_cast<int>(r);
  }
  SLUICE_ASSERT(region_of_.size() == tasks,
                "the pipelined regions hold every task of the job exactly once");
  region_attempt_.assign(regions_.size(), 0);
}

int64_t JobScheduler::AttemptOf(TaskId task) const {
  auto region = region_of_.find(task);
  return region == region_of_.end() ? 0 : region_attempt_[region->second];
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
  slots_changed_ns_ = now_ns;
  next_heartbeat_ns_ = now_ns;
}

JobScheduler::Commands JobScheduler::OnTaskManagerRegistered(const std::string& id, int slots,
                                                             const Address& data_address,
                                                             int64_t now_ns) {
  Commands out;
  if (slots < 1 || id.empty()) return out;
  if (taskmanagers_.count(id) != 0) Release(id, "registered again", now_ns, &out);
  taskmanagers_[id] = TaskManager{data_address, slots, now_ns};
  slots_changed_ns_ = now_ns;
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
  slots_changed_ns_ = now_ns;
  Command release;
  release.kind = CommandKind::kReleaseTaskManager;
  release.taskmanager = id;
  release.text = reason;
  out->push_back(std::move(release));
  out->push_back(Log(Severity::kWarning, "taskmanager.lost", id + ": " + reason));
  std::set<TaskId> failed;
  for (const auto& [task, execution] : executions_) {
    if (execution.taskmanager == id && !execution.finished) failed.insert(task);
  }
  if (!failed.empty())
    FailTasks(failed, "taskmanager " + id + " lost (" + reason + ")", now_ns, out);
}

JobScheduler::Commands JobScheduler::OnTaskFinished(TaskId task, int64_t attempt) {
  Commands out;
  if (!Accepts(task, attempt)) return out;
  auto it = executions_.find(task);
  if (it == executions_.end()) return out;
  it->second.finished = true;
  if (!restarting_regions_.empty()) return out;
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
  if (!Accepts(task, attempt) || executions_.count(task) == 0) return out;
  const std::string what = "task " + std::to_string(task.first) + "/" + std::to_string(task.second);
  if (failure == TaskFailure::kRestoredStateLost) {
    // The fall-back rule: checkpoint restored_from_ may have been committed, so restoring an
    // older one would commit its output twice; no restart can bring the lost state back.
    Fail(what + " cannot restore checkpoint " + std::to_string(restored_from_) + ": " + message,
         &out);
    return out;
  }
  FailTasks({task}, what + " failed: " + message, now_ns, &out);
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

JobScheduler::Commands JobScheduler::Cancel(const std::string& reason) {
  Commands out;
  if (status_ == JobStatus::kFinished || status_ == JobStatus::kFailed ||
      status_ == JobStatus::kCanceled) {
    return out;
  }
  CancelEverything(&out);
  status_ = JobStatus::kCanceled;
  out.push_back(Log(Severity::kInfo, "job.canceled", reason));
  Command canceled;
  canceled.kind = CommandKind::kCanceled;
  canceled.text = reason;
  out.push_back(std::move(canceled));
  return out;
}

void JobScheduler::Fail(const std::string& reason, Commands* out) {
  CancelEverything(out);
  failure_ = reason;
  status_ = JobStatus::kFailed;
  out->push_back(Log(Severity::kError, "job.failed", failure_));
  Command failed;
  failed.kind = CommandKind::kFailed;
  failed.text = failure_;
  out->push_back(std::move(failed));
}

void JobScheduler::CancelEverything(Commands* out) {
  if (attempt_ != 0) {
    Command cancel;
    cancel.kind = CommandKind::kCancelAttempt;
    cancel.attempt = attempt_;
    for (const auto& [id, tm] : taskmanagers_) cancel.taskmanagers.push_back(id);
    out->push_back(std::move(cancel));
  }
  checkpoints_->OnAttemptEnded();
  executions_.clear();
  region_attempt_.assign(regions_.size(), 0);
  restarting_regions_.clear();
}

void JobScheduler::Failover(const std::string& reason, int64_t now_ns, Commands* out) {
  if (status_ != JobStatus::kRunning) return;
  // Regions already waiting to restart keep their delay: the restart waits for the later one.
  const int64_t pending_restart_ns = restarting_regions_.empty() ? 0 : restart_at_ns_;
  CancelEverything(out);
  status_ = JobStatus::kRestarting;
  int64_t tasks = 0;  // full failover: all of them
  for (const Chain& chain : chains_) tasks += chain.parallelism;
  if (final_commit_) {
    // A final-commit attempt failed: it must still complete (see GiveUp); retry it. The restart
    // strategy has already given up, so it does not judge these.
    restart_at_ns_ = now_ns + kFinalCommitRetryDelayNs;
    out->push_back(Log(Severity::kWarning, "job.failing", "final commit retried: " + reason));
    return;
  }
  const RestartBackoffTimeStrategy::Decision decision = Judge(reason, tasks, now_ns, out);
  restart_at_ns_ = std::max(pending_restart_ns, now_ns + decision.delay_ms * kNanosPerMs);
  if (!decision.restart) {
    GiveUp(reason, now_ns, out);
    return;
  }
  ++restarts_;
  out->push_back(
      Log(Severity::kWarning, "job.restarting", std::to_string(restarts_) + ": " + reason));
}

void JobScheduler::FailTasks(const std::set<TaskId>& failed, const std::string& reason,
                             int64_t now_ns, Commands* out) {
  if (status_ != JobStatus::kRunning) return;
  std::set<int> regions;  // the deployed regions of the failed tasks
  for (const TaskId& task : failed) {
    const int region = region_of_.at(task);
    if (region_attempt_[region] != 0) regions.insert(region);
  }
  if (regions.empty()) return;
  if (final_commit_ || regions.size() + restarting_regions_.size() == regions_.size()) {
    Failover(reason, now_ns, out);  // every region: a full restart
    return;
  }
  std::vector<TaskId> tasks;
  for (int region : regions)
    tasks.insert(tasks.end(), regions_[region].begin(), regions_[region].end());
  const RestartBackoffTimeStrategy::Decision decision =
      Judge(reason, static_cast<int64_t>(tasks.size()), now_ns, out);
  if (!decision.restart) {
    // Every task stops, then the job commits what it can and fails (GiveUp).
    CancelEverything(out);
    status_ = JobStatus::kRestarting;
    GiveUp(reason, now_ns, out);
    return;
  }
  for (int region : regions) {
    Command cancel;
    cancel.kind = CommandKind::kCancelRegion;
    cancel.attempt = region_attempt_[region];
    std::set<std::string> hosts;
    for (const TaskId& task : regions_[region]) {
      auto execution = executions_.find(task);
      if (execution == executions_.end()) continue;
      hosts.insert(execution->second.taskmanager);
      executions_.erase(execution);
    }
    for (const std::string& host : hosts) {
      if (taskmanagers_.count(host) != 0) cancel.taskmanagers.push_back(host);
    }
    out->push_back(std::move(cancel));
    region_attempt_[region] = 0;
  }
  checkpoints_->OnTasksCancelled(tasks);
  // One restart time for every region waiting: the latest any failure asked for.
  const int64_t restart_at_ns = now_ns + decision.delay_ms * kNanosPerMs;
  restart_at_ns_ =
      restarting_regions_.empty() ? restart_at_ns : std::max(restart_at_ns_, restart_at_ns);
  restarting_regions_.insert(regions.begin(), regions.end());
  ++restarts_;
  out->push_back(Log(Severity::kWarning, "job.restarting",
                     std::to_string(restarts_) + ": " + std::to_string(regions.size()) +
                         " of " + std::to_string(regions_.size()) + " regions: " + reason));
}

RestartBackoffTimeStrategy::Decision JobScheduler::Judge(const std::string& reason, int64_t tasks,
                                                         int64_t now_ns, Commands* out) {
  const RestartBackoffTimeStrategy::Decision decision =
      restart_strategy_.OnFailure(now_ns / kNanosPerMs);
  Command failover = Log(Severity::kWarning, "job.failover", reason);
  failover.fields = {{"epoch", options_.epoch},
                     {"now_ms", now_ns / kNanosPerMs},
                     {"restart", decision.restart ? 1 : 0},
                     {"delay_ms", decision.delay_ms},
                     {"tasks", tasks}};
  out->push_back(std::move(failover));
  return decision;
}

void JobScheduler::GiveUp(const std::string& reason, int64_t now_ns, Commands* out) {
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
}

JobScheduler::Commands JobScheduler::OnTick(int64_t now_ns) {
  Commands out;
  if (status_ == JobStatus::kFinished || status_ == JobStatus::kFailed ||
      status_ == JobStatus::kCanceled) {
    return out;
  }
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
  if (reactive() && MaybeRescale(now_ns, &out)) return out;
  if (status_ == JobStatus::kWaitingForResources &&
      (!reactive() || now_ns >= slots_changed_ns_ + options_.resource_stabilization_timeout_ns)) {
    TryDeploy(true, now_ns, &out);
  }
  if (status_ == JobStatus::kRunning && !restarting_regions_.empty() && now_ns >= restart_at_ns_) {
    TryDeploy(false, now_ns, &out);
  }
  return out;
}

int JobScheduler::RegisteredSlots() const {
  int total = 0;
  for (const auto& [id, tm] : taskmanagers_) total += tm.slots;
  return total;
}

int JobScheduler::ReactiveTarget() const {
  const int total = RegisteredSlots();
  // The autoscaler's cap, if any: the widest parallelism at or below it the job can run at.
  const int highest = autoscaler_target_ > 0 ? std::min(total, autoscaler_target_) : total;
  for (int p = highest; p >= 1; --p) {
    const int slots = options_.reactive_slots(p);
    if (slots >= 1 && slots <= total) return p;
  }
  return 0;
}

bool JobScheduler::MaybeRescale(int64_t now_ns, Commands* out) {
  if (final_commit_ || now_ns < slots_changed_ns_ + options_.resource_stabilization_timeout_ns) {
    return false;
  }
  const bool waiting = status_ == JobStatus::kWaitingForResources ||
                       (status_ == JobStatus::kRunning && !restarting_regions_.empty() &&
                        now_ns >= restart_at_ns_);
  if (!waiting && status_ != JobStatus::kRunning) return false;
  const int target = ReactiveTarget();
  if (target == 0 || target == options_.parallelism) return false;
  const bool lacks_slots = RegisteredSlots() < SlotsRequired(chains_);
  // Waiting: rescale to what the slots hold (in, or out before the first deployment). Running:
  // only out, onto TaskManagers that joined; or either way, to what the autoscaler wants.
  if (waiting ? !(lacks_slots || attempt_ == 0 || target > options_.parallelism ||
                  autoscaler_target_ > 0)
              : (target < options_.parallelism && autoscaler_target_ == 0)) {
    return false;
  }
  CancelEverything(out);
  restarting_regions_.clear();
  status_ = JobStatus::kRescaling;
  Command rescaling = Log(Severity::kInfo, "job.rescaling",
                          "parallelism " + std::to_string(options_.parallelism) + " -> " +
                              std::to_string(target) + " (" + std::to_string(RegisteredSlots()) +
                              " slots)");
  rescaling.fields = {{"from", options_.parallelism}, {"to", target}};
  out->push_back(std::move(rescaling));
  Command rescale;
  rescale.kind = CommandKind::kRescale;
  rescale.parallelism = target;
  out->push_back(std::move(rescale));
  return true;
}

std::vector<std::string> JobScheduler::PlaceSlots(int groups,
                                                  std::map<std::string, int> free) const {
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

bool JobScheduler::TryDeploy(bool full, int64_t now_ns, Commands* out) {
  const int groups = SlotsRequired(chains_);
  std::map<std::string, int> free;
  int total = 0;
  for (const auto& [id, tm] : taskmanagers_) {
    free[id] = tm.slots;
    total += tm.slots;
  }
  if (total < groups) return false;
  const bool first_deployment = attempt_ == 0;
  if (first_deployment && !reactive() &&
      static_cast<int>(taskmanagers_.size()) < options_.min_taskmanagers &&
      now_ns < started_ns_ + options_.initial_resource_wait_ns) {
    return false;
  }
  // A region's tasks run where the whole job would (sticky: the slots of running tasks stay put,
  // as their TaskManagers are registered: losing one fails the regions of its unfinished tasks).
  const std::vector<std::string> group_host = PlaceSlots(groups, free);
  const bool sticky = static_cast<int>(previous_hosts_.size()) == groups;
  std::set<int> deploying;  // regions
  if (full) {
    for (int r = 0; r < static_cast<int>(regions_.size()); ++r) deploying.insert(r);
    executions_.clear();
  } else {
    deploying = std::move(restarting_regions_);
  }
  restarting_regions_.clear();
  const CompletedCheckpoint* latest = checkpoints_->latest();
  restored_from_ = latest != nullptr ? latest->id : 0;
  Command deploy;
  deploy.kind = CommandKind::kDeploy;
  deploy.full = full;
  deploy.final_commit = final_commit_;
  deploy.restored_from = restored_from_;
  std::vector<std::pair<TaskId, bool>> tasks;  // for the checkpoint coordinator: (task, source)
  int64_t moved = 0;
  for (int region : deploying) {
    region_attempt_[region] = attempt_ = options_.epoch * kAttemptsPerEpoch + ++deployments_;
    if (deploy.attempt == 0) deploy.attempt = attempt_;
    for (const TaskId& task : regions_[region]) {
      const Chain& chain = chains_[task.first];
      std::vector<Address> consumers;  // of each network output edge, concatenated
      for (int target : chain.output_chains) {
        const Chain& consumer = chains_[target];
        for (int s = 0; s < consumer.parallelism; ++s) {
          consumers.push_back(taskmanagers_[group_host[consumer.first_slot + s]].data_address);
        }
      }
      const int group = chain.first_slot + task.second;
      const std::string& host = group_host[group];
      if (sticky && previous_hosts_[group] != host) ++moved;
      executions_[task] = Execution{host, false};
      tasks.emplace_back(task, chain.is_source);
      Deployment deployment{task, host, std::move(consumers), {}, attempt_};
      if (latest != nullptr) {
        // Every task of the job acknowledged (or finished into) a completed checkpoint; a task
        // restored without its state would start over and emit its output again. The task
        // gets every state file of its chain: after a rescale it reads those its operators'
        // redistribution picks (engine/partition/state_assignment.h), else its own.
        for (auto it = latest->state_paths.lower_bound({task.first, 0});
             it != latest->state_paths.end() && it->first.first == task.first; ++it) {
          SLUICE_ASSERT(it->first.second == static_cast<int>(deployment.restore_paths.size()),
                        "a completed checkpoint holds the state of every task of the job");
          deployment.restore_paths.push_back(it->second);
        }
        SLUICE_ASSERT(!deployment.restore_paths.empty(),
                      "a completed checkpoint holds the state of every task of the job");
      }
      deploy.deployments.push_back(std::move(deployment));
    }
  }
  previous_hosts_ = group_host;
  const int64_t first_attempt = deploy.attempt;
  out->push_back(std::move(deploy));
  status_ = JobStatus::kRunning;
  if (full) {
    checkpoints_->OnDeployed(tasks, now_ns);
  } else {
    checkpoints_->OnTasksDeployed(tasks);
  }
  Command deployed = Log(Severity::kInfo, "job.deployed",
                         "attempt " + std::to_string(first_attempt) + " from checkpoint " +
                             std::to_string(restored_from_));
  deployed.fields = {{"attempt", first_attempt},
                     {"restored_checkpoint", restored_from_},
                     {"now_ms", now_ns / kNanosPerMs},
                     {"moved", moved},
                     {"attempts", static_cast<int64_t>(deploying.size())},
                     {"tasks", static_cast<int64_t>(tasks.size())}};
  out->push_back(std::move(deployed));
  return true;
}

int64_t JobScheduler::NextDeadlineNs(int64_t now_ns) const {
  int64_t deadline = next_heartbeat_ns_;
  if (status_ == JobStatus::kRestarting) deadline = std::min(deadline, restart_at_ns_);
  if (status_ == JobStatus::kRunning && !restarting_regions_.empty() && restart_at_ns_ > now_ns) {
    deadline = std::min(deadline, restart_at_ns_);  // (past it, deploying waits for slots)
  }
  if (status_ == JobStatus::kWaitingForResources && attempt_ == 0 &&
      now_ns < started_ns_ + options_.initial_resource_wait_ns) {
    deadline = std::min(deadline, started_ns_ + options_.initial_resource_wait_ns);
  }
  const int64_t stable_ns = slots_changed_ns_ + options_.resource_stabilization_timeout_ns;
  if (reactive() && status_ != JobStatus::kRescaling && stable_ns > now_ns) {
    deadline = std::min(deadline, stable_ns);
  }
  return deadline;
}

std::vector<std::pair<std::string, int64_t>> JobScheduler::AttemptTaskManagers() const {
  std::set<std::pair<std::string, int64_t>> hosts;
  for (const auto& [task, execution] : executions_) {
    hosts.emplace(execution.taskmanager, AttemptOf(task));
  }
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
    case JobStatus::kRescaling:
      return "RESTARTING";
    case JobStatus::kFinished:
      return "FINISHED";
    case JobStatus::kFailed:
      return "FAILED";
    case JobStatus::kCanceled:
      return "CANCELED";
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
