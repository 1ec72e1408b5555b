// The TaskManager host program: registers its slots with the JobManager, answers heartbeats, runs
// the tasks deployed to it (one fiber each) and serves their data-plane connections. When it
// loses the JobManager (connection broken or heartbeat timeout) it cancels its tasks and registers
// again. Events: "taskmanager.started", "taskmanager.registered", "task.running", "task.finished",
// "task.failed", "checkpoint.acknowledged".
#pragma once

#include <cstdint>
#include <string>

#include "engine/base/status.h"
#include "engine/graph/job_graph.h"
#include "engine/runtime/host.h"

namespace sluice {

struct TaskManagerConfig {
  std::string id = "taskmanager-1";
  Address job_manager;
  Address data_address;  // where other TaskManagers reach this one (host name or IP, port)
  int slots = 2;
  ExternalServices services;
  int64_t heartbeat_timeout_ns = 1000 * 1000 * 1000LL;
  int64_t reconnect_delay_ns = 100 * 1000 * 1000LL;
};

// Runs until cancelled (a crash or process exit). Returns an error only if it cannot listen on
// its data port. May suspend.
Status RunTaskManager(Host& host, const TaskManagerConfig& config);

}  // namespace sluice
