// The JobManager host program: accepts TaskManager registrations, schedules the job's subtasks
// into TaskManager slots, runs the checkpoint coordinator, detects lost TaskManagers by heartbeat
// timeout, and restarts the job from the latest completed checkpoint under a fixed-delay restart
// strategy. Every message it sends carries its fencing token (epoch), which grows by one each time
// a JobManager starts (kept on the checkpoint store, so it survives the machine); TaskManagers
// ignore messages from older epochs.
//
// Events (EventLog categories) a run can be observed by: "jobmanager.started",
// "taskmanager.registered", "taskmanager.lost", "job.deployed", "checkpoint.triggered",
// "checkpoint.completed", "checkpoint.notified", "checkpoint.aborted", "job.restarting", "job.finished", "job.failed".
#pragma once

#include <cstdint>
#include <string>

#include "engine/base/status.h"
#include "engine/graph/job_graph.h"
#include "engine/jobs/job_spec.h"
#include "engine/runtime/host.h"

namespace sluice {

struct RestartStrategyConfig {
  int max_restarts = 20;                   // restarts allowed before the job FAILS
  int64_t delay_ns = 200 * 1000 * 1000LL;  // fixed delay before each restart
};

struct JobManagerConfig {
  uint16_t port = 6123;
  JobSpec job;
  ExternalServices services;
  int64_t checkpoint_interval_ns = 500 * 1000 * 1000LL;
  int64_t checkpoint_timeout_ns = 10LL * 1000 * 1000 * 1000;
  int64_t heartbeat_interval_ns = 100 * 1000 * 1000LL;
  int64_t heartbeat_timeout_ns = 1000 * 1000 * 1000LL;
  RestartStrategyConfig restart;
  // The first deployment waits until this many TaskManagers have registered (or until
  // initial_resource_wait_ns has passed with enough slots), so that the job spreads over the
  // cluster instead of packing into the first TaskManagers to arrive. Restarts do not wait.
  int min_taskmanagers = 1;
  int64_t initial_resource_wait_ns = 5LL * 1000 * 1000 * 1000;
};

// Runs until the job finishes (OK) or fails for good (kAborted, naming why). May suspend.
Status RunJobManager(Host& host, const JobManagerConfig& config);

}  // namespace sluice
