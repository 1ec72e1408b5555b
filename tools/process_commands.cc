#include "tools/process_commands.h"

#include <fmt/core.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <set>
#include <utility>

#include "engine/config/config_file.h"
#include "engine/config/core_options.h"
#include "engine/config/process_options.h"
#include "engine/jobmanager/dispatcher.h"
#include "engine/jobmanager/job_manager.h"
#include "engine/rpc/authenticated_network.h"
#include "engine/runtime/real/real_runtime.h"
#include "engine/taskmanager/task_manager.h"
#include "tools/cli_common.h"
#include "tools/file_util.h"

namespace sluice::tools {
namespace {

// Whether `host` (a bind address) names the loopback interface: "localhost", 127.0.0.0/8 or
// ::1. HTTP ports bound there need no bearer token (only this machine reaches them).
bool IsLoopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1" || host == "[::1]";
}

// A shared secret shorter than this is refused (a guessable one would authenticate anyone).
constexpr size_t kAuthSecretBytesMin = 16;

// Every job setting any registered job accepts (the engine's, then each job's own), by key.
std::vector<ConfigOption> JobOptions(const JobRegistry& jobs) {
  std::vector<ConfigOption> options;
  std::set<std::string> seen;
  for (const JobDefinition& job : jobs.jobs()) {
    for (ConfigOption& option : JobRegistry::OptionsOf(job)) {
      if (seen.insert(option.key).second) options.push_back(std::move(option));
    }
  }
  if (jobs.jobs().empty()) options = CoreOptions();
  return options;
}

// The job settings among `settings` that `job` accepts (a shared file may hold other jobs'
// keys, and the process keys are not the job's).
Configuration JobSettingsOf(const Configuration& settings, const JobDefinition& job) {
  Configuration out;
  for (const ConfigOption& option : JobRegistry::OptionsOf(job)) {
    auto it = settings.entries().find(option.key);
    if (it != settings.entries().end()) out.Set(it->first, it->second);
  }
  return out;
}

// process.working-dir, which every process needs (created unless `create` is false).
Result<std::string> WorkingDir(const Configuration& settings, const std::string& config_path,
                               bool create) {
  std::string dir = settings.GetString(ProcessWorkingDir());
  if (dir.empty()) {
    return InvalidArgumentError(config_path + ": configuration key '" + ProcessWorkingDir().key +
                                "' is required (the process's directory)");
  }
  if (create) RETURN_IF_ERROR(CreateDirectories(dir));
  return dir;
}

// high-availability.etcd.endpoints as addresses.
Result<std::vector<Address>> EtcdAddressesOf(const Configuration& settings) {
  ASSIGN_OR_RETURN(std::vector<HostPort> endpoints, EtcdEndpointsOf(settings));
  std::vector<Address> addresses;
  for (HostPort& endpoint : endpoints) {
    addresses.push_back(Address{std::move(endpoint.host), static_cast<uint16_t>(endpoint.port)});
  }
  return addresses;
}

// A job's input or output directory as every host must see it: absolute (a relative one is taken
// against the directory sluice was started in).
std::string SharedPath(const std::string& dir) {
  std::error_code error;
  const std::filesystem::path absolute = std::filesystem::absolute(dir, error);
  return error ? dir : absolute.lexically_normal().string();
}

}  // namespace

int RunRealHost(const std::string& name, const std::string& root_dir,
                std::function<Status(Host&)> program, const std::string& auth_secret) {
  NetworkWrapper authenticate;
  if (!auth_secret.empty()) {
    authenticate = [&auth_secret](Network& tcp, Random& random, EventLog& log, Fibers& fibers) {
      return std::make_unique<AuthenticatedNetwork>(tcp, auth_secret, random, log, fibers);
    };
  }
  real::RealRuntime runtime(name, root_dir, /*seed=*/0, /*verbose=*/false, authenticate);
  fmt::print(stderr, "sluice: {} starting (pid {}, root {}, seed {})\n", name, getpid(), root_dir,
             runtime.seed());
  std::fflush(stderr);
  const Status status = runtime.Run(std::move(program));
  if (status.code() == StatusCode::kCancelled) {
    // A job cancelled on request (sluice cancel) ended as asked.
    fmt::print(stderr, "sluice: {} ended: {}\n", name, status.message());
    return kExitOk;
  }
  if (!status.ok()) {
    PrintError(fmt::format("{}: {}", name, status.ToString()));
    return kExitFailed;
  }
  fmt::print(stderr, "sluice: {} finished OK\n", name);
  return kExitOk;
}

Result<std::string> ReadAuthSecret(const std::string& path) {
  ASSIGN_OR_RETURN(std::string secret, ReadWholeFile(path));
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.size() < kAuthSecretBytesMin) {
    return InvalidArgumentError(fmt::format(
        "{}: the shared secret must be at least {} bytes (this one has {})", path,
        kAuthSecretBytesMin, secret.size()));
  }
  return secret;
}

Result<Configuration> LoadProcessConfig(const std::string& path,
                                        const std::vector<std::string>& overrides,
                                        const JobRegistry& jobs) {
  ASSIGN_OR_RETURN(const std::string text, ReadWholeFile(path));
  ASSIGN_OR_RETURN(ConfigFile file, ParseConfigFile(text, path));
  std::vector<ConfigOption> known = ProcessOptions();
  for (ConfigOption& option : JobOptions(jobs)) known.push_back(std::move(option));
  RETURN_IF_ERROR(ValidateConfigFile(file, known));
  Configuration settings = std::move(file.settings);
  for (const std::string& argument : overrides) {
    Configuration one;
    RETURN_IF_ERROR(one.SetFromArgument(argument).WithContext("-D"));
    RETURN_IF_ERROR(one.Validate(known).WithContext("-D"));
    for (const auto& [key, value] : one.entries()) settings.Set(key, value);
  }
  return settings;
}

ProcessCommands::ProcessCommands(CLI::App& root, const JobRegistry& jobs) : jobs_(jobs) {
  const auto add_common = [this](CLI::App* command) {
    command->add_option("--config", config_path_, "The configuration file (TOML, Flink's keys)")
        ->required()
        ->type_name("FILE");
    command
        ->add_option("-D", overrides_, "A setting, Flink's key=value (repeatable); wins over FILE")
        ->type_name("KEY=VALUE")
        ->allow_extra_args(false);
    command->add_flag("--check", check_,
                      "Check the configuration (keys, values, addresses) and exit: 0 if valid, "
                      "2 if not; nothing is started, created or read but the file");
  };
  jobmanager_ = root.add_subcommand(
      "jobmanager",
      "Run a JobManager: with --job, of one job until it ends (application mode); without, of a "
      "session cluster that runs the jobs `sluice run` submits");
  add_common(jobmanager_);
  jobmanager_
      ->add_option("--job", job_,
                   "The job to run (see `sluice jobs`); without it, a session cluster")
      ->type_name("JOB");
  jobmanager_
      ->add_option("--id", id_,
                   "This JobManager's id among the cluster's JobManagers (default "
                   "jobmanager.rpc.address:jobmanager.rpc.port)")
      ->type_name("ID");
  jobmanager_
      ->add_option("--input", input_dir_,
                   "The directory of the job's input files (one split each), as every "
                   "TaskManager sees it (default input; relative to the current directory)")
      ->type_name("DIR");
  jobmanager_
      ->add_option("--output", output_dir_,
                   "The directory the job's file sink commits its output under, as every "
                   "TaskManager sees it (default output; relative to the current directory)")
      ->type_name("DIR");
  jobmanager_->add_option("--input-splits", input_splits_, "The number of input files")
      ->check(CLI::Range(1, 1024));
  jobmanager_
      ->add_option("--min-taskmanagers", min_taskmanagers_,
                   "TaskManagers to wait for before the first deployment (at most 5 s)")
      ->check(CLI::Range(1, 1024));
  taskmanager_ = root.add_subcommand(
      "taskmanager", "Run a TaskManager: offers its slots to the leading JobManager");
  add_common(taskmanager_);
}

int ProcessCommands::ConfigurationChecked() const {
  fmt::print("{}: configuration OK\n", config_path_);
  return kExitOk;
}

std::optional<int> ProcessCommands::RunParsed() const {
  if (jobmanager_->parsed()) return RunJobManagerProcess();
  if (taskmanager_->parsed()) return RunTaskManagerProcess();
  return std::nullopt;
}

Result<ProcessCommands::Loaded> ProcessCommands::Load() const {
  Loaded loaded;
  ASSIGN_OR_RETURN(loaded.settings, LoadProcessConfig(config_path_, overrides_, jobs_));
  ASSIGN_OR_RETURN(loaded.root, WorkingDir(loaded.settings, config_path_, /*create=*/!check_));
  auto checkpoint_dir = CheckpointingDirOf(loaded.settings);
  if (!checkpoint_dir.ok()) {
    return InvalidArgumentError(config_path_ + ": " + checkpoint_dir.status().message());
  }
  loaded.checkpoint_dir = std::move(checkpoint_dir).value();
  const std::string secret_file = loaded.settings.GetString(SecurityAuthSecretFile());
  if (!secret_file.empty() && !check_) {  // a check runs where the secret may not be mounted
    auto secret = ReadAuthSecret(secret_file);
    if (!secret.ok()) {
      return secret.status().WithContext(config_path_ + ": " + SecurityAuthSecretFile().key);
    }
    loaded.auth_secret = std::move(secret).value();
  }
  return loaded;
}

int ProcessCommands::RunJobManagerProcess() const {
  auto loaded = Load();
  if (!loaded.ok()) return UsageError(loaded.status().message());
  const Configuration* settings = &loaded->settings;
  const std::string& root = loaded->root;

  if (job_.empty()) return RunSessionJobManagerProcess(*loaded);
  JobSpec spec;
  spec.job = job_;
  const JobDefinition* job = jobs_.Find(spec.job);
  if (job == nullptr) {
    return UsageError(jobs_.EffectiveSettings(spec).status().message());  // names the jobs
  }
  spec.settings = JobSettingsOf(*settings, *job);
  spec.input_splits = input_splits_;
  spec.input_dir = SharedPath(input_dir_);
  spec.output_dir = SharedPath(output_dir_);
  if (std::error_code error; !check_ && !std::filesystem::is_directory(spec.input_dir, error)) {
    // Not an error here: a job may read no files, and a shared mount may show them later. A job
    // that reads files waits for the directory (jobmanager.waiting_for_input in its log).
    fmt::print(stderr, "sluice: warning: --input '{}' is not a directory (yet)\n", spec.input_dir);
  }
  auto effective = jobs_.EffectiveSettings(spec);
  if (!effective.ok()) return UsageError(config_path_ + ": " + effective.status().message());

  auto cluster = ClusterJobManagerConfig(*loaded);
  if (!cluster.ok()) return UsageError(cluster.status().message());
  JobManagerConfig config = std::move(cluster).value();
  config.job = std::move(spec);
  ApplyJobManagerSettings(*effective, &config);
  // A client waiting for a stop's savepoint (sluice stop) or the job's end state learns it.
  config.rest_linger_ns = 3 * kNanosPerSecond;
  if (check_) return ConfigurationChecked();
  return RunRealHost(config.leader_election.candidate_id, root,
                     [&config](Host& host) { return RunJobManager(host, config); },
                     loaded->auth_secret);
}

Result<JobManagerConfig> ProcessCommands::ClusterJobManagerConfig(const Loaded& loaded) const {
  const Configuration* settings = &loaded.settings;
  JobManagerConfig config;
  config.port = static_cast<uint16_t>(settings->GetInt(JobManagerRpcPort()));
  config.bind_host = settings->GetString(JobManagerBindHost());
  config.rest_port = static_cast<int32_t>(settings->GetInt(RestPort()));
  config.rest_bind_host = settings->GetString(RestBindAddress());
  if (!IsLoopback(config.rest_bind_host)) config.rest_bearer_token = loaded.auth_secret;
  config.build_graph = jobs_.Factory();
  // The job's input and output directories are absolute (in the spec every TaskManager gets).
  config.services = ExternalServices{"", "", loaded.checkpoint_dir};
  config.min_taskmanagers = min_taskmanagers_;
  auto etcd = EtcdAddressesOf(*settings);
  if (!etcd.ok()) return InvalidArgumentError(config_path_ + ": " + etcd.status().message());
  config.etcd = std::move(etcd).value();
  // Published in the leader key: where TaskManagers reach this JobManager once it leads.
  config.leader_election.address = fmt::format("{}:{}", settings->GetString(JobManagerRpcAddress()),
                                               settings->GetInt(JobManagerRpcPort()));
  // Leadership: a lease of whole seconds; the leader renews every fifth of it and steps down
  // after two thirds without a renewal (Flink's Kubernetes leader election: 15 s lease, 5 s
  // retry period); each etcd request gets a fifth too.
  config.leader_election.key_prefix = HighAvailabilityKeyPrefix(*settings);
  const int64_t lease_ms = settings->GetDurationMs(HighAvailabilityEtcdLeaseTtl());
  config.leader_election.lease_ttl_s = lease_ms / 1000;
  config.leader_election.renew_deadline_ns = config.leader_election.lease_ttl_s * kNanosPerSecond * 2 / 3;
  config.leader_election.renew_interval_ns = config.leader_election.lease_ttl_s * kNanosPerSecond / 5;
  config.etcd_request_timeout_ns = config.leader_election.renew_interval_ns;
  config.leader_election.candidate_id =
      !id_.empty() ? id_
                   : fmt::format("{}:{}", settings->GetString(JobManagerRpcAddress()),
                                 settings->GetInt(JobManagerRpcPort()));
  return config;
}

int ProcessCommands::RunSessionJobManagerProcess(const Loaded& loaded) const {
  if (jobmanager_->count("--input") + jobmanager_->count("--output") +
          jobmanager_->count("--input-splits") > 0) {
    return UsageError("--input, --output and --input-splits go with --job (a session cluster's jobs name their "
                      "own: sluice run --input/--output)");
  }
  auto cluster = ClusterJobManagerConfig(loaded);
  if (!cluster.ok()) return UsageError(cluster.status().message());
  JobManagerConfig config = std::move(cluster).value();
  // A submitted job's settings: the configuration file's keys the job accepts, then its own.
  config.admit_job = [this, &loaded](JobSpec spec) -> Result<JobSpec> {
    const JobDefinition* job = jobs_.Find(spec.job);
    if (job == nullptr) return jobs_.EffectiveSettings(spec).status();  // names the jobs
    Configuration settings = JobSettingsOf(loaded.settings, *job);
    for (const auto& [key, value] : spec.settings.entries()) settings.Set(key, value);
    spec.settings = std::move(settings);
    for (const std::string* dir : {&spec.input_dir, &spec.output_dir}) {
      if (!dir->starts_with("/")) {
        return InvalidArgumentError("the job's input and output directories must be absolute "
                                    "(as every TaskManager sees them): '" + *dir + "'");
      }
    }
    RETURN_IF_ERROR(jobs_.EffectiveSettings(spec).status());
    return spec;
  };
  config.job_settings = [this](const JobSpec& spec) { return jobs_.EffectiveSettings(spec); };
  // Process settings the jobs' defaults come from are checked as an application-mode job's are.
  if (check_) return ConfigurationChecked();
  return RunRealHost(config.leader_election.candidate_id, loaded.root,
                     [&config](Host& host) { return RunSessionJobManager(host, config); },
                     loaded.auth_secret);
}

int ProcessCommands::RunTaskManagerProcess() const {
  auto loaded = Load();
  if (!loaded.ok()) return UsageError(loaded.status().message());
  const Configuration* settings = &loaded->settings;
  const std::string& root = loaded->root;
  auto etcd = EtcdAddressesOf(*settings);
  if (!etcd.ok()) return UsageError(config_path_ + ": " + etcd.status().message());

  TaskManagerConfig config;
  const int data_port = static_cast<int>(settings->GetInt(TaskManagerDataPort()));
  config.data_address =
      Address{settings->GetString(TaskManagerHost()), static_cast<uint16_t>(data_port)};
  config.bind_host = settings->GetString(TaskManagerBindHost());
  config.id = settings->GetString(TaskManagerResourceId());
  if (config.id.empty()) {
    if (data_port == 0) {
      return UsageError(config_path_ + ": set '" + TaskManagerResourceId().key + "' or '" +
                        TaskManagerDataPort().key +
                        "' (the default id is taskmanager.host:taskmanager.data.port)");
    }
    config.id = config.data_address.ToString();
  }
  // The leader, retrieved from etcd (engine/taskmanager/task_manager.h).
  config.etcd = std::move(etcd).value();
  config.leader_key = HighAvailabilityKeyPrefix(*settings) + "leader";
  config.slots = static_cast<int>(settings->GetInt(TaskManagerNumberOfTaskSlots()));
  config.services = ExternalServices{"", "", loaded->checkpoint_dir};
  config.build_graph = jobs_.Factory();
  config.heartbeat_timeout_ns = settings->GetDurationMs(HeartbeatTimeout()) * kNanosPerMilli;
  config.metrics_port = static_cast<int32_t>(settings->GetInt(MetricsReporterPromPort()));
  if (!IsLoopback(config.bind_host)) config.metrics_bearer_token = loaded->auth_secret;
  if (check_) return ConfigurationChecked();
  return RunRealHost(config.id, root,
                     [&config](Host& host) { return RunTaskManager(host, config); },
                     loaded->auth_secret);
}

}  // namespace sluice::tools
