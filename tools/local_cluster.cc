#include "tools/local_cluster.h"

#include <fmt/core.h>
#include <signal.h>

#include <cassert>
#include <utility>

#include "tools/file_util.h"
#include "tools/log_scan.h"
#include "tools/process.h"

namespace sluice::tools {
namespace {

constexpr int64_t kStorePollMs = 20;

std::string TaskManagerId(int index) { return fmt::format("taskmanager-{}", index + 1); }

}  // namespace

LocalCluster::LocalCluster(LocalClusterConfig config) : config_(std::move(config)) {
  assert(config_.taskmanagers >= 1);
  assert(!config_.work_dir.empty());
}

LocalCluster::~LocalCluster() {
  for (Child& tm : taskmanagers_) {
    if (tm.running) Reap(&tm, SignalAndWait(tm.pid, SIGKILL));
  }
  if (jobmanager_.running) Reap(&jobmanager_, SignalAndWait(jobmanager_.pid, SIGKILL));
  if (store_.running) Reap(&store_, SignalAndWait(store_.pid, SIGKILL));
}

std::string LocalCluster::StoreRoot() const { return config_.work_dir + "/store"; }
std::string LocalCluster::LogDir() const { return config_.work_dir + "/logs"; }

LocalCluster::Child LocalCluster::MakeTaskManager(const std::string& id, uint16_t data_port,
                                                  int incarnation) const {
  Child tm;
  tm.name = id;
  tm.log_path = incarnation == 0
                    ? fmt::format("{}/{}.log", LogDir(), id)
                    : fmt::format("{}/{}.replacement-{}.log", LogDir(), id, incarnation);
  tm.args = {"internal",
             "taskmanager",
             "--root",
             fmt::format("{}/{}", config_.work_dir, id),
             "--id",
             id,
             "--jobmanager-port",
             std::to_string(jobmanager_port_),
             "--data-port",
             std::to_string(data_port),
             "--store-port",
             std::to_string(store_port_),
             "--slots",
             std::to_string(config_.slots_per_taskmanager)};
  return tm;
}

Status LocalCluster::Start() {
  assert(!store_.running && "Start is called once");
  RETURN_IF_ERROR(CreateDirectories(LogDir()));
  ASSIGN_OR_RETURN(std::vector<uint16_t> ports, PickFreePorts(2 + config_.taskmanagers));
  store_port_ = ports[0];
  jobmanager_port_ = ports[1];

  store_.name = "store";
  store_.log_path = LogDir() + "/store.log";
  store_.args = {"internal",       "store",  "--root",
                 config_.work_dir, "--port", std::to_string(store_port_)};
  RETURN_IF_ERROR(StartChild(&store_));
  RETURN_IF_ERROR(WaitForStore());

  jobmanager_.name = "jobmanager";
  jobmanager_.log_path = LogDir() + "/jobmanager.log";
  jobmanager_.args = {"internal",
                      "jobmanager",
                      "--root",
                      config_.work_dir + "/jobmanager",
                      "--port",
                      std::to_string(jobmanager_port_),
                      "--store-port",
                      std::to_string(store_port_),
                      "--source-parallelism",
                      std::to_string(config_.source_parallelism),
                      "--parallelism",
                      std::to_string(config_.parallelism),
                      "--source-rate",
                      std::to_string(config_.source_records_per_second),
                      "--min-taskmanagers",
                      std::to_string(config_.taskmanagers)};
  RETURN_IF_ERROR(StartChild(&jobmanager_));

  for (int i = 0; i < config_.taskmanagers; ++i) {
    taskmanagers_.push_back(MakeTaskManager(TaskManagerId(i), ports[2 + i], 0));
    RETURN_IF_ERROR(StartChild(&taskmanagers_.back()));
  }
  return Status::Ok();
}

Status LocalCluster::StartChild(Child* child) {
  auto pid = SpawnSelf(child->args, child->log_path);
  if (!pid.ok()) return pid.status().WithContext("starting " + child->name);
  child->pid = pid.value();
  child->running = true;
  return Status::Ok();
}

Status LocalCluster::WaitForStore() {
  for (int64_t waited_ms = 0; waited_ms < kStoreStartTimeoutMs; waited_ms += kStorePollMs) {
    if (auto wait_status = PollExit(store_.pid)) {
      Reap(&store_, *wait_status);
      return UnavailableError(fmt::format("the store exited at start ({}); see {}",
                                          DescribeWaitStatus(*wait_status), store_.log_path));
    }
    if (AcceptsConnections(store_port_)) return Status::Ok();
    SleepMs(kStorePollMs);
  }
  return UnavailableError(
      fmt::format("the store did not listen on 127.0.0.1:{} within {} ms; see {}", store_port_,
                  kStoreStartTimeoutMs, store_.log_path));
}

void LocalCluster::Reap(Child* child, int wait_status) {
  child->running = false;
  child->wait_status = wait_status;
}

std::optional<int> LocalCluster::PollJobManager() {
  if (!jobmanager_.running) return jobmanager_.wait_status;
  auto wait_status = PollExit(jobmanager_.pid);
  if (wait_status) Reap(&jobmanager_, *wait_status);
  return wait_status;
}

std::vector<std::string> LocalCluster::PollUnexpectedExits() {
  std::vector<std::string> messages;
  auto poll = [&messages, this](Child* child) {
    if (!child->running) return;
    auto wait_status = PollExit(child->pid);
    if (!wait_status) return;
    Reap(child, *wait_status);
    messages.push_back(fmt::format("{} exited on its own ({}); see {}", child->name,
                                   DescribeWaitStatus(*wait_status), child->log_path));
  };
  poll(&store_);
  for (Child& tm : taskmanagers_) poll(&tm);
  return messages;
}

std::string LocalCluster::BusyTaskManager() const {
  for (const Child& tm : taskmanagers_) {
    auto log = ReadWholeFile(tm.log_path);
    if (tm.running && log.ok() && RunningTasksInLog(log.value()) > 0) return tm.name;
  }
  return TaskManagerId(0);
}

Status LocalCluster::KillAndReplaceTaskManager(const std::string& id) {
  Child* victim = nullptr;
  for (Child& tm : taskmanagers_) {
    if (tm.name == id) victim = &tm;
  }
  if (victim == nullptr) return NotFoundError(fmt::format("no TaskManager named {}", id));
  if (victim->running) Reap(victim, SignalAndWait(victim->pid, SIGKILL));
  retired_logs_.push_back(victim->log_path);
  // A new data port: the old one may linger in TIME_WAIT, and peers must notice the change.
  ASSIGN_OR_RETURN(std::vector<uint16_t> ports, PickFreePorts(1));
  *victim = MakeTaskManager(id, ports[0], ++replacements_);
  return StartChild(victim);
}

void LocalCluster::StopAll() {
  // The JobManager first (if still running), so that it does not react to the TaskManagers going
  // away; then the TaskManagers; the store last, as the others may write to it until they stop.
  if (jobmanager_.running) Reap(&jobmanager_, TerminateAndWait(jobmanager_.pid, kStopGraceMs));
  for (Child& tm : taskmanagers_) {
    if (tm.running) kill(tm.pid, SIGTERM);
  }
  for (Child& tm : taskmanagers_) {
    if (tm.running) Reap(&tm, TerminateAndWait(tm.pid, kStopGraceMs));
  }
  if (store_.running) Reap(&store_, TerminateAndWait(store_.pid, kStopGraceMs));
}

std::vector<std::string> LocalCluster::TaskManagerLogs() const {
  std::vector<std::string> logs = retired_logs_;
  for (const Child& tm : taskmanagers_) logs.push_back(tm.log_path);
  return logs;
}

}  // namespace sluice::tools
