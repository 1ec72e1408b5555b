#include "scenarios/wordcount_cluster.h"

#include <algorithm>
#include <cstdio>

#include "engine/base/assert.h"
#include "engine/checkpoint/replicated_file.h"
#include "engine/config/core_options.h"
#include "engine/jobmanager/checkpoint_compatibility.h"
#include "engine/jobmanager/dispatcher.h"
#include "engine/rpc/authenticated_network.h"
#include "engine/connectors/database_sink.h"
#include "engine/jobs/builtin_jobs.h"
#include "engine/jobs/wordcount.h"
#include "simnet/database_model.h"
#include "simnet/store_server.h"
#include "simnet/sim_disk.h"

namespace sluice::scenarios {
namespace {
constexpr uint16_t kStorePort = 7000;
constexpr uint16_t kJobManagerPort = 6123;
constexpr uint16_t kRestPort = 8081;  // Flink's rest.port default
// Flink's metrics.reporter.prom.port example value.
constexpr uint16_t kMetricsPort = WordCountCluster::kMetricsPort;
constexpr uint16_t kDataPort = 6124;
constexpr char kEtcdHost[] = "etcd";
constexpr char kDatabaseHost[] = "postgres";
constexpr char kDatabaseUrl[] = "postgresql://sluice@postgres:5432/sluice";
constexpr char kDatabaseRoot[] = "postgres";
constexpr uint16_t kEtcdPort = 2379;  // etcd's client port
constexpr char kStoreRoot[] = "store";
// Where the JobManagers and TaskManagers mount the stores' directories.
constexpr char kInputMount[] = "mnt/input";
constexpr char kOutputMount[] = "mnt/output";
constexpr char kCheckpointMount[] = "mnt/checkpoints";
// Steps (fiber runs and events) at one instant of simulated time before the run is declared
// livelocked: real runs take a few thousand at most.
constexpr int64_t kLivelockStepsMax = 2 * 1000 * 1000;
}  // namespace

void ApplyJobSettings(const Configuration& settings, WordCountClusterOptions* o) {
  // A value that does not parse is left for the job's build to report (WordCountCluster refuses
  // the spec, naming the key).
  auto given = [&](const ConfigOption& option) {
    auto it = settings.entries().find(option.key);
    return it != settings.entries().end() && CheckValue(option, it->second).ok();
  };
  auto set_int = [&](const ConfigOption& option, auto* field) {
    if (given(option)) {
      *field = static_cast<std::remove_pointer_t<decltype(field)>>(settings.GetInt(option));
    }
  };
  auto set_ms = [&](const ConfigOption& option, int64_t* field) {
    if (given(option)) *field = settings.GetDurationMs(option);
  };
  set_int(ParallelismDefault(), &o->parallelism);
  set_int(SourceRateLimit(), &o->source_records_per_second);
  set_int(TaskManagerNumberOfTaskSlots(), &o->slots_per_taskmanager);
  set_ms(CheckpointingInterval(), &o->checkpoint_interval_ms);
  set_ms(CheckpointingTimeout(), &o->checkpoint_timeout_ms);
  set_int(CheckpointingNumRetained(), &o->checkpoints_retained);
  set_ms(CheckpointingMinPause(), &o->checkpoint_min_pause_ms);
  set_int(CheckpointingMaxConcurrent(), &o->checkpoint_max_concurrent);
  set_int(CheckpointingTolerableFailed(), &o->checkpoint_tolerable_failed);
  set_int(NetworkBuffersPerChannel(), &o->network_buffers_per_channel);
  set_int(NetworkFloatingBuffersPerGate(), &o->network_floating_buffers_per_gate);
  set_int(NetworkMaxBuffersPerChannel(), &o->network_max_buffers_per_channel);
  if (given(CheckpointingUnaligned())) o->unaligned = settings.GetBool(CheckpointingUnaligned());
  // A scenario's draw of unaligned checkpoints yields to settings they cannot go with
  // (CheckCheckpointingSettings); and they need one checkpoint at a time, whatever was drawn.
  if (!given(CheckpointingUnaligned()) &&
      ((given(CheckpointingMode()) && AtLeastOnceOf(settings)) ||
       (given(SchedulerMode()) && ReactiveModeOf(settings)) ||
       (given(CheckpointingMaxConcurrent()) && settings.GetInt(CheckpointingMaxConcurrent()) > 1))) {
    o->unaligned = false;
  }
  if (o->unaligned && !given(CheckpointingMaxConcurrent())) o->checkpoint_max_concurrent = 1;
  if (given(StateRecoveryFromLocal())) o->local_recovery = settings.GetBool(StateRecoveryFromLocal());
  if (given(TaskManagerLoadBalanceMode())) o->load_balance = LoadBalanceModeOf(settings);
  if (given(JobManagerExecutionFailoverStrategy())) {
    o->failover_strategy = FailoverStrategyOf(settings);
  }
  if (given(SchedulerMode())) o->reactive = ReactiveModeOf(settings);
  set_ms(ResourceStabilizationTimeout(), &o->resource_stabilization_timeout_ms);
  if (given(SavepointPath())) o->savepoint_path = settings.GetString(SavepointPath());
  // The scenario's restart strategy, overridden key by key.
  Configuration restart = RestartStrategySettings(o->restart);
  bool restart_given = false;
  for (const auto& [key, value] : settings.entries()) {
    if (key.rfind("restart-strategy.", 0) != 0) continue;
    restart.Set(key, value);
    restart_given = true;
  }
  if (restart_given) {
    auto parsed = RestartStrategyConfigFrom(restart);
    if (parsed.ok()) o->restart = *parsed;  // else the job's build reports it
  }
  set_ms(HeartbeatInterval(), &o->heartbeat_interval_ms);
  set_ms(HeartbeatTimeout(), &o->heartbeat_timeout_ms);
  // Slot sharing puts one subtask of every chain in a slot: the job needs as many slots as its
  // widest chain.
  const int slots_needed = std::max(o->parallelism, o->input_splits);
  o->taskmanagers =
      std::max(o->taskmanagers, TaskManagersFor(slots_needed, o->slots_per_taskmanager));
}

std::vector<std::string> WordCountCluster::SplitIntoPartitions(const std::string& input,
                                                               int partitions,
                                                               const std::vector<int>& weights) {
  SLUICE_ASSERT(weights.empty() || static_cast<int>(weights.size()) == partitions,
                "one weight per partition");
  uint64_t total = 0;
  for (int weight : weights) {
    SLUICE_ASSERT(weight > 0, "partition weights are positive");
    total += static_cast<uint64_t>(weight);
  }
  std::vector<std::string> parts;
  size_t start = 0;
  uint64_t cumulative = 0;
  for (int p = 0; p < partitions; ++p) {
    size_t end = input.size() * (p + 1) / partitions;
    if (!weights.empty()) {
      cumulative += static_cast<uint64_t>(weights[p]);
      end = static_cast<size_t>(static_cast<unsigned __int128>(input.size()) * cumulative / total);
    }
    if (p + 1 < partitions) {
      end = std::max(end, start);
      const size_t newline = input.find('\n', end);
      end = newline == std::string::npos ? input.size() : newline + 1;
    } else {
      end = input.size();
    }
    parts.push_back(input.substr(start, end - start));
    start = end;
  }
  return parts;
}

WordCountCluster::WordCountCluster(const WordCountClusterOptions& options, const std::string& input)
    : world_(sim::WorldOptions{.seed = options.seed,
                               .link_latency_min_ns = options.link_latency_min_us * kNanosPerMicro,
                               .link_latency_max_ns = options.link_latency_max_us * kNanosPerMicro,
                               .short_read_probability = options.short_read_probability}),
      log_events_(options.log_events) {
  // With a shared secret, every host of the cluster authenticates its connections.
  NetworkWrapper authenticate;
  if (!options.auth_secret.empty()) {
    authenticate = [secret = options.auth_secret](Network& inner, Random& random, EventLog& log,
                                                  Fibers& fibers) {
      return std::make_unique<AuthenticatedNetwork>(inner, secret, random, log, fibers);
    };
  }
  auto add_store = [&](const std::string& name) {
    return world_.AddHost(
        name,
        [](Host& host) {
          Status s = RunStoreServer(host, StoreServerConfig{kStorePort, kStoreRoot});
          host.log.Error("store.exited", s.ToString());
        },
        authenticate);
  };
  const auto input_store = add_store("input-store");
  output_store_ = add_store("output-store");
  stores_ = {input_store, output_store_, add_store("checkpoint-store")};
  world_.AddDisk(checkpoint_store(), std::string(kStoreRoot) + "/" + kReplicaDir);
  partitions_ = SplitIntoPartitions(input, options.input_splits, options.split_weights);
  jobs_ = options.jobs;
  if (jobs_ == nullptr) {
    Status registered = RegisterBuiltinJobs(builtin_jobs_);
    SLUICE_ASSERT(registered.ok(), "the built-in jobs have distinct, valid names");
    jobs_ = &builtin_jobs_;
  }
  job_spec_.job = options.job;
  job_spec_.settings = options.settings;
  job_spec_.settings.Set(ParallelismDefault().key, std::to_string(options.parallelism));
  job_spec_.settings.Set(SourceRateLimit().key, std::to_string(options.source_records_per_second));
  if (options.local_recovery) job_spec_.settings.Set(StateRecoveryFromLocal().key, "true");
  // The scenario's choices for the job's own settings, unless the settings (-D) give them.
  auto choose = [this](const ConfigOption& option, const std::string& value) {
    if (job_spec_.settings.entries().count(option.key) == 0) {
      job_spec_.settings.Set(option.key, value);
    }
  };
  for (const auto& [key, value] : options.job_settings) choose(ConfigOption{.key = key}, value);
  if (options.unaligned) choose(CheckpointingUnaligned(), "true");
  if (options.reactive) choose(SchedulerMode(), "reactive");
  if (options.database) choose(SinkPostgresUrl(), kDatabaseUrl);
  if (options.network_buffers_per_channel >= 0) {
    choose(NetworkBuffersPerChannel(), std::to_string(options.network_buffers_per_channel));
  }
  if (options.network_floating_buffers_per_gate >= 0) {
    choose(NetworkFloatingBuffersPerGate(),
           std::to_string(options.network_floating_buffers_per_gate));
  }
  if (options.network_max_buffers_per_channel >= 0) {
    choose(NetworkMaxBuffersPerChannel(), std::to_string(options.network_max_buffers_per_channel));
  }
  job_spec_.input_splits = options.input_splits;
  job_graph_ = jobs_->Build(job_spec_);
  // Slot sharing groups may need more slots than the options' widest operator: add TaskManagers
  // of the same size until the job fits (ApplyJobSettings did this for the widest operator).
  int taskmanagers = options.taskmanagers;
  if (job_graph_.ok()) {
    if (auto chains = BuildChains(*job_graph_); chains.ok()) {
      const int needed = SlotsRequired(*chains);
      taskmanagers = std::max(
          taskmanagers, TaskManagersFor(needed, std::max(1, options.slots_per_taskmanager)));
    }
  }
  if (auto effective = jobs_->EffectiveSettings(job_spec_); effective.ok()) {
    for (const auto& [key, value] : effective->entries()) job_settings_[key] = value;
  }
  const auto& parts = partitions_;
  for (size_t p = 0; p < parts.size(); ++p) {
    world_.disk(input_store)
        .WriteDurable(std::string(kStoreRoot) + "/input/part-" + std::to_string(p), parts[p]);
  }
  // Every JobManager and TaskManager mounts the three stores' directories (NFS mounts): the job's
  // input, its output and execution.checkpointing.dir.
  const ExternalServices services{kInputMount, kOutputMount, kCheckpointMount};
  auto mount_stores = [this](sim::World::HostId host) {
    world_.MountShared(host, kInputMount, Address{"input-store", kStorePort});
    world_.MountShared(host, kOutputMount, Address{"output-store", kStorePort});
    world_.MountShared(host, kCheckpointMount, Address{"checkpoint-store", kStorePort});
  };
  JobManagerConfig jm;
  jm.port = kJobManagerPort;
  jm.rest_port = options.rest_api ? kRestPort : -1;
  jm.job = job_spec_;
  jm.build_graph = jobs_->Factory();
  jm.services = services;
  jm.min_taskmanagers = taskmanagers;
  jm.restart = options.restart;
  jm.load_balance = options.load_balance;
  jm.failover_strategy = options.failover_strategy;
  jm.reactive = options.reactive;
  jm.savepoint_path = options.savepoint_path;
  jm.resource_stabilization_timeout_ns = options.resource_stabilization_timeout_ms * kNanosPerMilli;
  jm.heartbeat_timeout_ns = options.heartbeat_timeout_ms * kNanosPerMilli;
  jm.checkpoint_interval_ns = options.checkpoint_interval_ms * kNanosPerMilli;
  jm.checkpoint_timeout_ns = options.checkpoint_timeout_ms * kNanosPerMilli;
  jm.checkpoints_retained = options.checkpoints_retained;
  jm.checkpoint_min_pause_ns = options.checkpoint_min_pause_ms * kNanosPerMilli;
  jm.checkpoint_max_concurrent = options.checkpoint_max_concurrent;
  jm.checkpoint_tolerable_failed = options.checkpoint_tolerable_failed;
  jm.heartbeat_interval_ns = options.heartbeat_interval_ms * kNanosPerMilli;
  // etcd leases last whole seconds (at least its minimum TTL, 1 s here); the leader steps down
  // within 70% of lease_duration_ms and renews every 20%.
  jm.leader_election.lease_ttl_s = std::max<int64_t>(1, (options.lease_duration_ms + 999) / 1000);
  jm.leader_election.renew_deadline_ns = options.lease_duration_ms * kNanosPerMilli * 7 / 10;
  jm.leader_election.renew_interval_ns = options.lease_duration_ms * kNanosPerMilli / 5;
  jm.etcd = {Address{kEtcdHost, kEtcdPort}};
  jm.etcd_request_timeout_ns = jm.leader_election.renew_deadline_ns / 2;
  if (options.session) {
    SLUICE_ASSERT(options.rest_api, "a session cluster takes its jobs through the REST API");
    // A submitted job: the deployed spec's settings under its own (RunSessionJobManager).
    jm.admit_job = [this](JobSpec spec) -> Result<JobSpec> {
      Configuration settings = job_spec_.settings;
      for (const auto& [key, value] : spec.settings.entries()) settings.Set(key, value);
      spec.settings = std::move(settings);
      RETURN_IF_ERROR(jobs_->EffectiveSettings(spec).status());
      return spec;
    };
    jm.job_settings = [this](const JobSpec& spec) { return jobs_->EffectiveSettings(spec); };
  }
  jm_configs_.assign(std::max(1, options.jobmanagers), jm);
  std::vector<Address> jm_addresses;
  for (size_t i = 0; i < jm_configs_.size(); ++i) {
    JobManagerConfig& config = jm_configs_[i];
    const std::string name = i == 0 ? "jobmanager" : "jobmanager-" + std::to_string(i + 1);
    config.leader_election.candidate_id = name;
    config.leader_election.address = Address{name, kJobManagerPort}.ToString();
    jm_addresses.push_back(Address{name, kJobManagerPort});
    jobmanagers_.push_back(world_.AddHost(
        name,
        [&config, session = options.session](Host& host) {
          Status s = session ? RunSessionJobManager(host, config) : RunJobManager(host, config);
          host.log.Info("jobmanager.exited", s.ToString());
        },
        authenticate));
    mount_stores(jobmanagers_.back());
  }
  tm_configs_.resize(taskmanagers);
  total_slots_ = taskmanagers * options.slots_per_taskmanager;
  for (int i = 0; i < taskmanagers; ++i) {
    TaskManagerConfig& config = tm_configs_[i];
    config.id = "taskmanager-" + std::to_string(i + 1);
    if (options.leader_retrieval) {
      config.etcd = {Address{kEtcdHost, kEtcdPort}};
      config.leader_key = jm.leader_election.LeaderKey();
    } else {
      config.job_managers = jm_addresses;
    }
    config.data_address = Address{config.id, kDataPort};
    config.slots = options.slots_per_taskmanager;
    config.services = services;
    config.build_graph = jobs_->Factory();
    config.heartbeat_timeout_ns = options.heartbeat_timeout_ms * kNanosPerMilli;
    config.metrics_port = options.metrics ? kMetricsPort : -1;
    taskmanagers_.push_back(world_.AddHost(
        config.id,
        [&config](Host& host) {
          Status s = RunTaskManager(host, config);
          host.log.Error("taskmanager.exited", s.ToString());
        },
        authenticate));
    mount_stores(taskmanagers_.back());
    world_.SetWorkCost(taskmanagers_.back(), options.work_ns_per_record);
  }
  // The coordination service, added last so that the other hosts keep their ids. Its own
  // protocol is HTTP, which the shared secret does not wrap (as a real etcd's would not be).
  etcd_ = world_.AddHost(kEtcdHost, [](Host& host) {
    Status s = sim::RunEtcdModel(host, sim::EtcdModelConfig{kEtcdPort});
    host.log.Error("etcd.exited", s.ToString());
  });
  if (options.database) {
    // The job's table: its name as the job's settings give it (validated by the registry).
    const auto table = job_settings_.find(SinkPostgresTable().key);
    sim::DatabaseModelConfig database;
    database.root = kDatabaseRoot;
    database.tables[table != job_settings_.end() ? table->second : SinkPostgresTable().default_value] = 2;
    database_ = world_.AddHost(
        kDatabaseHost,
        [database](Host& host) {
          Status s = sim::RunDatabaseModel(host, database);
          host.log.Error("database.exited", s.ToString());
        },
        authenticate);
  }
  world_.AddEventObserver([this](sim::World::HostId host, Severity severity,
                                 std::string_view category,
                                 std::string_view message) {
    if (log_events_) {
      std::fprintf(stderr, "%10.3f ms  %-16s %-28.*s %.*s\n", world_.now_ns() / 1e6,
                   world_.host_name(host).c_str(), static_cast<int>(category.size()),
                   category.data(), static_cast<int>(message.size()), message.data());
    }
    if (category == "checkpoint.completed") ++checkpoints_completed_;
    if (category == "job.restarting") ++restarts_;
    if (category == "job.finished") finished_ = true;
    if (category == "job.failed") {
      failed_ = true;
      failure_ = std::string(message);
    }
    for (auto& observer : observers_) observer(host, severity, category, message);
  });
}

const std::vector<int>& WordCountCluster::RescaleTargets() {
  if (rescale_targets_) return *rescale_targets_;
  rescale_targets_.emplace();
  if (!job_graph_.ok()) return *rescale_targets_;
  const JobGraphFactory build = jobs_->Factory();
  for (int parallelism = 1; parallelism <= std::min(total_slots_, job_graph_->max_parallelism);
       ++parallelism) {
    const int slots = SlotsToRescale(build, job_spec_, *job_graph_, parallelism);
    if (slots >= 1 && slots <= total_slots_) rescale_targets_->push_back(parallelism);
  }
  return *rescale_targets_;
}

void WordCountCluster::Rescale(int parallelism) {
  for (JobManagerConfig& config : jm_configs_) {
    config.job.settings.Set(ParallelismDefault().key, std::to_string(parallelism));
  }
  for (sim::World::HostId jobmanager : jobmanagers_) {
    if (world_.IsUp(jobmanager)) world_.Crash(jobmanager);
    world_.Restart(jobmanager);
  }
}

void WordCountCluster::Run(int64_t time_limit_ms) {
  int64_t last_now = -1;
  int64_t steps_without_progress = 0;
  world_.RunUntil(
      [&] {
        if (world_.now_ns() != last_now) {
          last_now = world_.now_ns();
          steps_without_progress = 0;
        } else if (++steps_without_progress > kLivelockStepsMax) {
          livelocked_ = true;  // fibers keep running but simulated time never advances
        }
        return finished_ || failed_ || livelocked_;
      },
      time_limit_ms * kNanosPerMilli);
}

std::map<std::string, std::string> WordCountCluster::CommittedRows() {
  std::map<std::string, std::string> output;
  if (database_ == 0) return output;
  const auto table = job_settings_.find(SinkPostgresTable().key);
  std::string& text = output["rows"];
  for (const auto& row : sim::CommittedRows(
           world_.disk(database_), kDatabaseRoot,
           table != job_settings_.end() ? table->second : SinkPostgresTable().default_value)) {
    AppendRowLine(row, &text);
  }
  return output;
}

std::map<std::string, std::string> WordCountCluster::CommittedOutput(const std::string& output_dir) {
  std::map<std::string, std::string> output;
  sim::SimDisk& disk = world_.disk(output_store_);
  const std::string dir = std::string(kStoreRoot) + "/" + output_dir + "/committed";
  for (const std::string& name : disk.ListCurrent(dir)) {
    auto contents = disk.ReadCurrent(dir + "/" + name);
    if (contents.ok()) output[name] = std::move(contents).value();
  }
  return output;
}

}  // namespace sluice::scenarios
