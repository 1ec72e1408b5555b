// A simulated word-count deployment: three stores (input, output, checkpoints; the checkpoint
// store has a second disk for the checkpoint files' second copies), an etcd (the coordination
// service model, simnet/etcd_model.h), one JobManager (or several, for high availability:
// "jobmanager", "jobmanager-2", ...; they elect a leader on etcd) and N TaskManagers, each a
// simulated host running the same host program a real process runs.
// Scenarios build one, schedule their faults on world(), run it and check the outcome.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/api/job_registry.h"
#include "engine/config/configuration.h"
#include "engine/jobmanager/job_manager.h"
#include "engine/taskmanager/task_manager.h"
#include "scenarios/cluster_spec.h"
#include "scenarios/scenario.h"
#include "simnet/etcd_model.h"
#include "simnet/world.h"

namespace sluice::scenarios {

// The simulated cluster: the ClusterSpec (scenarios/cluster_spec.h, which `cluster local` shares)
// and the simulated world's knobs.
struct WordCountClusterOptions : ClusterSpec {
  uint64_t seed = 1;
  int parallelism = 4;
  int64_t checkpoint_interval_ms = 200;
  int64_t source_records_per_second = 0;  // total; 0 = unthrottled
  bool log_events = false;                // print every host event to stderr
  // The scenarios' restart strategy unless -D restart-strategy.* says otherwise (key by key, see
  // ApplyJobSettings): fixed-delay, 20 attempts 200 ms apart, so that the nemesis's crashes
  // restart the job quickly (Flink's default, exponential-delay from 1 s, would stretch every
  // run without testing more).
  RestartStrategyConfig restart = RestartStrategyConfig::FixedDelay(20, 200);
  // The scenarios spread slots over the TaskManagers (Flink's default, none, would pack the job
  // into the first ones and leave the nemesis's other victims idle);
  // -D taskmanager.load-balance.mode overrides.
  LoadBalanceMode load_balance = LoadBalanceMode::kSlots;
  FailoverStrategy failover_strategy = FailoverStrategy::kRegion;  // as Flink's default
  int64_t heartbeat_timeout_ms = 1000;
  int64_t lease_duration_ms = 1000;       // leader election (renew deadline 70%, interval 20%)
  double short_read_probability = 0.05;   // simulated reads may return fewer bytes
  int64_t link_latency_min_us = 100;      // per-message latency range of every link
  int64_t link_latency_max_us = 2000;
  int64_t heartbeat_interval_ms = 100;
  int64_t checkpoint_timeout_ms = 10 * 1000;
  int checkpoints_retained = 1;  // execution.checkpointing.num-retained
  int64_t checkpoint_min_pause_ms = 0;  // execution.checkpointing.min-pause
  int checkpoint_max_concurrent = 1;    // execution.checkpointing.max-concurrent-checkpoints
  int checkpoint_tolerable_failed = 0;  // execution.checkpointing.tolerable-failed-checkpoints
  bool local_recovery = false;          // execution.state-recovery.from-local
  bool unaligned = false;               // execution.checkpointing.unaligned.enabled
  // Further job settings the scenario chose (the run's -D settings win over them).
  std::map<std::string, std::string> job_settings;
  // The simulated cost of processing one record on each TaskManager (sim::World::SetWorkCost);
  // 0: free, as in every scenario but autoscale.
  int64_t work_ns_per_record = 0;
  // taskmanager.network.memory.{buffers-per-channel, floating-buffers-per-gate,
  // max-buffers-per-channel}; -1: Flink's defaults (2, 8, 10).
  int network_buffers_per_channel = -1;
  int network_floating_buffers_per_gate = -1;
  int network_max_buffers_per_channel = -1;
  bool reactive = false;                // scheduler-mode: reactive
  // jobmanager.adaptive-scheduler.resource-stabilization-timeout
  int64_t resource_stabilization_timeout_ms = 1000;
  std::string savepoint_path;  // execution.savepoint.path
  // Relative sizes of the input splits (empty: equal); a small split's source finishes early.
  std::vector<int> split_weights;
  // Each JobManager serves its REST API on port 8081 (engine/jobmanager/rest_api.h). Off by
  // default, so that the fibers it adds do not shift every seed's schedule.
  bool rest_api = false;
  // Each TaskManager serves GET /metrics on WordCountCluster::kMetricsPort (off by default for
  // the same reason).
  bool metrics = false;
  // The TaskManagers retrieve the leader from etcd (engine/taskmanager/task_manager.h) instead
  // of being given every JobManager's address, as on real hosts (off by default: its polling
  // would shift every seed's schedule).
  bool leader_retrieval = false;
  // The JobManagers run a session cluster (engine/jobmanager/dispatcher.h) instead of the job:
  // clients submit jobs through POST /jobs (rest_api must be on). A submitted job's settings
  // default to the deployed spec's (ClusterSpec::job's, with the fields above); its input and
  // output directories are relative to the input and output mounts.
  bool session = false;
  // A database host "postgres" (simnet/database_model.h, table sink.postgres.table of two
  // columns) that the job commits its counts into (sink.postgres.url set to it, unless -D sets
  // it), added after every other host.
  bool database = false;
  // Non-empty: the cluster's shared secret; every store, JobManager and TaskManager host
  // authenticates its connections with it (engine/rpc/authenticated_network.h).
  std::string auth_secret;
  // The job's registry (null: the built-in jobs). The cluster deploys ClusterSpec::job with its
  // settings plus the fields above for the keys they stand for (parallelism.default,
  // source.rate-limit); ApplyJobSettings has copied -D values into them.
  const JobRegistry* jobs = nullptr;
};

// Copies the engine settings in `settings` (already validated) into the cluster fields they
// govern, so that -D wins over a scenario's own choices: parallelism.default, source.rate-limit,
// execution.checkpointing.interval/.timeout, restart-strategy.* (over the scenario's strategy
// as settings: RestartStrategySettings), heartbeat.interval/.timeout,
// taskmanager.numberOfTaskSlots, taskmanager.load-balance.mode, scheduler-mode,
// jobmanager.adaptive-scheduler.resource-stabilization-timeout, execution.savepoint.path. Then
// adds TaskManagers if the slots
// cannot hold the job (slot sharing: max(parallelism, input splits) slots).
void ApplyJobSettings(const Configuration& settings, WordCountClusterOptions* options);

class WordCountCluster {
 public:
  // Where each TaskManager serves GET /metrics (with WordCountClusterOptions::metrics).
  static constexpr uint16_t kMetricsPort = 9249;
  // Where the checkpoint store host keeps the two copies of every checkpoint file
  // (engine/checkpoint/replicated_file.h): copy 0 on its root disk, copy 1 under the store's
  // replica directory, on a second disk mounted there, so that the copies fail independently.
  static constexpr const char* kCheckpointCopyDirs[2] = {"store/checkpoints/",
                                                        "store/replica/checkpoints/"};

  // Splits `input` into input_splits contiguous partitions at line boundaries and stores
  // them durably on the input store.
  WordCountCluster(const WordCountClusterOptions& options, const std::string& input);

  sim::World& world() { return world_; }
  const std::vector<sim::World::HostId>& taskmanagers() const { return taskmanagers_; }
  sim::World::HostId jobmanager() const { return jobmanagers_.front(); }
  const std::vector<sim::World::HostId>& jobmanagers() const { return jobmanagers_; }
  const std::vector<sim::World::HostId>& stores() const { return stores_; }
  sim::World::HostId checkpoint_store() const { return stores_[2]; }
  sim::World::HostId etcd() const { return etcd_; }
  // The database host (with WordCountClusterOptions::database; else 0).
  sim::World::HostId database() const { return database_; }
  // The rows the database host holds committed in the job's table (sink.postgres.table), as
  // "value<TAB>value" lines in one entry (CheckExactlyOnce's shape).
  std::map<std::string, std::string> CommittedRows();
  // The job as deployed and its graph (built once here, as every JobManager and TaskManager
  // builds it); job_graph() holds the error if the registry refused the spec.
  const JobSpec& job_spec() const { return job_spec_; }
  const Result<JobGraph>& job_graph() const { return job_graph_; }
  // The job's effective settings (defaults, then the spec's), key → value; empty if refused.
  const std::map<std::string, std::string>& job_settings() const { return job_settings_; }
  // The input partitions as stored (for consistent-cut checks).
  const std::vector<std::string>& partitions() const { return partitions_; }
  // Called with every event any host records (after the cluster's own bookkeeping).
  void AddEventObserver(sim::World::EventObserver observer) { observers_.push_back(std::move(observer)); }
  // The parallelisms (parallelism.default) the job can be redeployed at by Rescale, ascending:
  // those whose job the registry builds with the deployed max parallelism, the cluster's slots
  // hold, and whose operators keep the chains they were deployed in (a checkpoint restores only
  // into the same chains: engine/jobmanager/checkpoint_compatibility.h). Computed on the first
  // call.
  const std::vector<int>& RescaleTargets();
  // Redeploys the job at parallelism.default = `parallelism` (one of RescaleTargets()), as an
  // operator stops a job cluster and starts it again with another parallelism from its latest
  // retained checkpoint: every JobManager restarts at once with the new setting (the
  // TaskManagers stay and cancel their tasks on losing the leader) and the new leader restores
  // the latest completed checkpoint into the rescaled job (FaultKind::kRescale).
  void Rescale(int parallelism);
  // Runs until the job finishes or fails, or until time_limit_ms of simulated time.
  void Run(int64_t time_limit_ms);

  bool finished() const { return finished_; }
  bool failed() const { return failed_; }
  // Simulated time stopped advancing while fibers kept running (a fiber spins without suspending).
  bool livelocked() const { return livelocked_; }
  int64_t checkpoints_completed() const { return checkpoints_completed_; }
  int64_t restarts() const { return restarts_; }
  const std::string& failure() const { return failure_; }
  // Committed output on the output store's disk: file name → contents; `dir` is the job's
  // output directory (JobSpec::output_dir).
  std::map<std::string, std::string> CommittedOutput(const std::string& dir = "output");

  // With `weights` (one per partition, positive), partition i gets about weights[i] / sum of the
  // bytes; without, equal shares.
  static std::vector<std::string> SplitIntoPartitions(const std::string& input, int partitions,
                                                      const std::vector<int>& weights = {});

 private:
  sim::World world_;
  bool log_events_ = false;
  JobRegistry builtin_jobs_;  // used when the options name no registry
  const JobRegistry* jobs_ = nullptr;
  JobSpec job_spec_;
  Result<JobGraph> job_graph_ = InvalidArgumentError("not built");
  std::map<std::string, std::string> job_settings_;
  std::vector<JobManagerConfig> jm_configs_;  // sized once: hosts keep references
  int total_slots_ = 0;
  std::optional<std::vector<int>> rescale_targets_;
  std::vector<TaskManagerConfig> tm_configs_;
  std::vector<sim::World::HostId> taskmanagers_;
  sim::World::HostId output_store_ = 0;
  std::vector<sim::World::HostId> jobmanagers_;
  std::vector<sim::World::HostId> stores_;
  sim::World::HostId etcd_ = 0;
  sim::World::HostId database_ = 0;
  std::vector<std::string> partitions_;
  std::vector<sim::World::EventObserver> observers_;
  bool finished_ = false;
  bool failed_ = false;
  bool livelocked_ = false;
  int64_t checkpoints_completed_ = 0;
  int64_t restarts_ = 0;
  std::string failure_;
};

}  // namespace sluice::scenarios
