// The TaskManager host program: registers its slots with the JobManager, answers heartbeats, runs
// the tasks deployed to it (one fiber each) and serves their data-plane connections.
//
// High availability: it keeps one session per configured JobManager address (only the leader
// listens, so standbys cost a refused connect per reconnect delay). A JobManager's registration
// reply carries its epoch; the TaskManager follows the highest epoch it has registered with (the
// leader), cancels the tasks of older epochs when a newer leader appears, sends its task reports
// to the leader only, and drops every command from an older epoch (fencing: a deposed leader's
// late messages, e.g. after a GC pause past its lease, must not deploy or commit anything). When
// a session ends (connection broken or heartbeat timeout) the tasks of its epoch are cancelled
// (Flink fails them too) and the session registers again.
//
// Events: "taskmanager.started", "taskmanager.registered" (id, epoch), "taskmanager.fenced",
// "task.deployed" (task, attempt, epoch), "task.running", "task.finished", "task.failed",
// "checkpoint.acknowledged".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/base/status.h"
#include "engine/graph/job_graph.h"
#include "engine/graph/job_spec.h"
#include "engine/runtime/host.h"

namespace sluice {

struct TaskManagerConfig {
  std::string id = "taskmanager-1";
  // Every JobManager that may lead; empty: retrieve the leader from etcd (below).
  std::vector<Address> job_managers;
  // Leader retrieval (Flink's LeaderRetrievalService), when job_managers is empty: every
  // leader_poll_interval_ns the TaskManager reads the leader key (engine/ha/leader_election.h) on
  // etcd and keeps a session with every JobManager address it has seen lead (at most
  // kLeaderAddressesMax), as with configured ones: it follows the highest epoch and fences the
  // older ones' commands.
  std::vector<Address> etcd;
  std::string leader_key;
  int64_t leader_poll_interval_ns = 500 * 1000 * 1000LL;
  // Where other TaskManagers reach this one (host name or IP, port; port 0: any free port,
  // advertised as bound).
  Address data_address;
  // taskmanager.bind-host: the address the data port listens on (real hosts; never every
  // interface unless "0.0.0.0" or "::").
  std::string bind_host = "localhost";
  // metrics.reporter.prom.port: GET /metrics (Prometheus text) on bind_host at this port, with
  // every task's numRecordsIn, numRecordsOut, accumulateBusyTimeMs, accumulateIdleTimeMs,
  // accumulateBackPressuredTimeMs (scope taskmanager_job_task, labels tm_id, job_name,
  // task_name, subtask_index, task_attempt_num) and the TaskManager's uptime; -1: none, 0: any
  // free port.
  int32_t metrics_port = -1;
  // Non-empty: GET /metrics wants it as a bearer token (else 401).
  std::string metrics_bearer_token;
  int slots = 2;
  ExternalServices services;
  // Rebuilds a deployment's JobGraph from its JobSpec (the program's job registry); required.
  JobGraphFactory build_graph;
  int64_t heartbeat_timeout_ns = 1000 * 1000 * 1000LL;
  int64_t reconnect_delay_ns = 100 * 1000 * 1000LL;
};

inline constexpr size_t kLeaderAddressesMax = 16;

// Runs until cancelled (a crash or process exit). Returns an error only if it cannot listen on
// its data port or neither JobManager addresses nor etcd are configured. May suspend.
Status RunTaskManager(Host& host, const TaskManagerConfig& config);

}  // namespace sluice
