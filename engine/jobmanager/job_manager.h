// The JobManager host program: campaigns for leadership on etcd (engine/ha/leader_election.h;
// several JobManagers may run, one leads, the others stand by), then, as leader, accepts
// TaskManager registrations, schedules the job's subtasks
// into TaskManager slots, runs the checkpoint coordinator, detects lost TaskManagers by heartbeat
// timeout, and restarts the job from the latest completed checkpoint as its restart strategy
// says (engine/jobmanager/restart_strategy.h). Every message it sends carries its fencing token
// (epoch: the etcd revision at which its leadership began, so it grows with every leadership);
// TaskManagers ignore messages from older epochs. A leader that loses its lease stops at once (its
// connections close, its tasks are cancelled by the TaskManagers) and campaigns again.
//
// Job result store (Flink's FLIP-194 JobResultStore): when the job ends, the leader records the
// outcome at JobResultKey on etcd (a fenced write), so that no standby or restarted JobManager runs a
// finished job again: a candidate that finds a result returns it instead of leading.
//
// Every JobManager serves the REST API (engine/jobmanager/rest_api.h) on rest_port while it runs;
// only the leader answers about the job.
//
// Events (EventLog categories) a run can be observed by: "jobmanager.started",
// "taskmanager.registered", "taskmanager.lost", "job.deployed", "checkpoint.triggered",
// "checkpoint.completed", "checkpoint.notified", "checkpoint.aborted", "job.failover",
// "job.restarting", "job.failing", "job.rescaling", "checkpoint.rescaled", "savepoint.requested",
// "savepoint.triggered", "savepoint.completed", "savepoint.failed", "savepoint.restoring",
// "job.finished", "job.failed", "jobmanager.elected", "jobmanager.leadership_lost".
//
// Reactive mode (scheduler-mode: reactive): when the JobScheduler rescales the job, the
// JobMaster ends its leadership and this JobManager campaigns again at once (as the lease's
// holder it wins with a new epoch) and leads with the job at its new parallelism.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "engine/base/status.h"
#include "engine/config/configuration.h"
#include "engine/config/core_options.h"
#include "engine/config/restart_strategy_config.h"
#include "engine/graph/job_graph.h"
#include "engine/ha/leader_election.h"
#include "engine/graph/job_spec.h"
#include "engine/runtime/host.h"

namespace sluice {

// The etcd key of the job's result under the job's key prefix (JobKeyPrefix).
inline std::string JobResultKey(const std::string& key_prefix) { return key_prefix + "job-result"; }

// Where a job's HA records (its result, its completed-checkpoint pointers) live on etcd under
// the cluster's key prefix: the prefix itself in application mode (a job without an id), else
// <prefix>jobs/<job id>/, beside the job's submitted spec (JobSpecKey, dispatcher.h).
inline std::string JobKeyPrefix(const std::string& cluster_prefix, const JobSpec& spec) {
  return spec.job_id.empty() ? cluster_prefix : cluster_prefix + "jobs/" + spec.job_id + "/";
}

struct JobManagerConfig {
  uint16_t port = 6123;  // listened on only while this JobManager leads
  // jobmanager.bind-host and rest.bind-address: the addresses those ports listen on (real
  // hosts; never every interface unless "0.0.0.0" or "::").
  std::string bind_host = "localhost";
  std::string rest_bind_host = "localhost";
  // Non-empty: the REST API wants it as a bearer token (engine/jobmanager/rest_api.h).
  std::string rest_bearer_token;
  // rest.port: the REST API (engine/jobmanager/rest_api.h), served for the JobManager's whole
  // life, leader or standby; -1: none.
  int32_t rest_port = 8081;
  // Once the job has ended, the leader's REST API keeps answering about it this long before the
  // JobManager returns, so that a client polling for the outcome (a stop's savepoint, the end
  // state) learns it (application mode ends the process with the job). 0: return at once.
  int64_t rest_linger_ns = 0;
  LeaderElectionConfig leader_election;
  // high-availability.etcd.endpoints: the etcd members' client addresses (at least one).
  std::vector<Address> etcd;
  // Each etcd request's time limit (engine/ha/etcd_client.h).
  int64_t etcd_request_timeout_ns = 350 * 1000 * 1000LL;
  JobSpec job;
  // Builds the job's graph from `job` (the program's job registry); required.
  JobGraphFactory build_graph;
  ExternalServices services;
  int64_t checkpoint_interval_ns = 500 * 1000 * 1000LL;
  int64_t checkpoint_timeout_ns = 10LL * 1000 * 1000 * 1000;
  int checkpoints_retained = 1;  // execution.checkpointing.num-retained
  int64_t checkpoint_min_pause_ns = 0;  // execution.checkpointing.min-pause
  int checkpoint_max_concurrent = 1;    // execution.checkpointing.max-concurrent-checkpoints
  int checkpoint_tolerable_failed = 0;  // execution.checkpointing.tolerable-failed-checkpoints
  int64_t heartbeat_interval_ns = 100 * 1000 * 1000LL;
  int64_t heartbeat_timeout_ns = 1000 * 1000 * 1000LL;
  RestartStrategyConfig restart;
  LoadBalanceMode load_balance = LoadBalanceMode::kNone;  // taskmanager.load-balance.mode
  // jobmanager.execution.failover-strategy
  FailoverStrategy failover_strategy = FailoverStrategy::kRegion;
  // scheduler-mode: reactive, and jobmanager.adaptive-scheduler.resource-stabilization-timeout
  // (engine/jobmanager/job_scheduler.h).
  bool reactive = false;
  // execution.savepoint.path: the savepoint (its directory, relative to execution.checkpointing.dir) the job
  // starts from when it has no completed checkpoint of its own; "" for none.
  std::string savepoint_path;
  int64_t resource_stabilization_timeout_ns = 1000LL * 1000 * 1000;
  // The first deployment waits until this many TaskManagers have registered (or until
  // initial_resource_wait_ns has passed with enough slots), so that the job spreads over the
  // cluster instead of packing into the first TaskManagers to arrive. Restarts do not wait.
  int min_taskmanagers = 1;
  int64_t initial_resource_wait_ns = 5LL * 1000 * 1000 * 1000;
  // A session cluster (engine/jobmanager/dispatcher.h), both required there: `admit_job` checks
  // a submitted job and completes its settings with the cluster's (the job's own win), returning
  // the spec to store or kInvalidArgument naming the job, key or value; `job_settings` gives a
  // stored job's effective settings (JobRegistry::EffectiveSettings) for
  // ApplyJobManagerSettings. Neither suspends.
  std::function<Result<JobSpec>(JobSpec)> admit_job;
  std::function<Result<Configuration>(const JobSpec&)> job_settings;
};

// A job result's value as stored at `key` into `outcome`: OK (FINISHED), kCancelled (CANCELED)
// or kAborted (FAILED, with the reason). kDataLoss naming `key` for anything else.
Status ParseJobResult(const std::string& key, const std::string& text, Status* outcome);

// The recorded outcome of the job whose key prefix (JobKeyPrefix) is `key_prefix`, if any;
// kUnavailable while etcd cannot be read, kDataLoss for an unreadable result. May suspend.
Result<std::optional<Status>> ReadJobResult(EtcdClient& etcd, const std::string& key_prefix);

// Copies the JobManager's settings from a job's effective settings (validated: see
// JobRegistry::EffectiveSettings) into `config`: execution.checkpointing.interval, .timeout,
// .num-retained, .min-pause, .max-concurrent-checkpoints and .tolerable-failed-checkpoints,
// restart-strategy.* (engine/config/restart_strategy_config.h), heartbeat.interval and .timeout,
// taskmanager.load-balance.mode, jobmanager.execution.failover-strategy, scheduler-mode,
// jobmanager.adaptive-scheduler.resource-stabilization-timeout and execution.savepoint.path.
void ApplyJobManagerSettings(const Configuration& settings, JobManagerConfig* config);

// Runs until the job finishes (OK) or fails for good (kAborted, naming why), whichever
// JobManager led it: a standby returns the recorded result once the leader has recorded it.
// kDataLoss if the job result on etcd is unreadable. May suspend.
Status RunJobManager(Host& host, const JobManagerConfig& config);

}  // namespace sluice
