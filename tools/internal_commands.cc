#include "tools/internal_commands.h"

#include <fmt/core.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <functional>
#include <utility>

#include "engine/checkpoint/store.h"
#include "engine/config/core_options.h"
#include "engine/jobmanager/job_manager.h"
#include "engine/runtime/real/real_runtime.h"
#include "engine/taskmanager/task_manager.h"
#include "tools/cli_common.h"

namespace sluice::tools {
namespace {

constexpr char kLoopback[] = "127.0.0.1";
// The store's directory under the store process's root (the cluster command reads it there).
constexpr char kStoreDirName[] = "store";

ExternalServices LoopbackServices(int store_port) {
  const Address store{kLoopback, static_cast<uint16_t>(store_port)};
  return ExternalServices{store, store, store};
}

// Runs `program` on a fresh real host; exit 0 if it returned OK, 1 (with the status on stderr)
// otherwise.
int RunHost(const std::string& name, const std::string& root_dir,
            std::function<Status(Host&)> program) {
  real::RealRuntime runtime(name, root_dir, /*seed=*/0);
  fmt::print(stderr, "sluice: {} starting (pid {}, root {}, seed {})\n", name, getpid(), root_dir,
             runtime.seed());
  std::fflush(stderr);
  const Status status = runtime.Run(std::move(program));
  if (!status.ok()) {
    PrintError(fmt::format("{}: {}", name, status.ToString()));
    return kExitFailed;
  }
  fmt::print(stderr, "sluice: {} finished OK\n", name);
  return kExitOk;
}

void AddPortOption(CLI::App* app, const std::string& name, int* port, const std::string& help) {
  app->add_option(name, *port, help)->required()->check(CLI::Range(1, 65535));
}

}  // namespace

InternalCommands::InternalCommands(CLI::App& root, const JobRegistry& jobs) : jobs_(jobs) {
  CLI::App* internal = root.add_subcommand("internal", "Processes started by `cluster local`");
  internal->group("");  // hidden from --help
  internal->require_subcommand(1);

  store_ = internal->add_subcommand("store", "Run the store server");
  store_->add_option("--root", root_dir_, "Runtime root directory")->required();
  AddPortOption(store_, "--port", &port_, "Listening port");

  jobmanager_ = internal->add_subcommand("jobmanager", "Run the JobManager with one job");
  jobmanager_->add_option("--root", root_dir_, "Runtime root directory")->required();
  AddPortOption(jobmanager_, "--port", &port_, "Listening port");
  AddPortOption(jobmanager_, "--store-port", &store_port_, "Store port on 127.0.0.1");
  jobmanager_->add_option("--rest-port", rest_port_, "REST API port (rest.port); -1: none")
      ->check(CLI::Range(-1, 65535));
  jobmanager_
      ->add_option("--id", id_,
                   "Candidate id in the leader election (unique among the cluster's JobManagers)")
      ->required();
  AddJobFlags(*jobmanager_, job_);
  jobmanager_->add_option("--input-splits", input_splits_, "Input part files")
      ->check(CLI::Range(1, 1024));
  jobmanager_
      ->add_option("--min-taskmanagers", min_taskmanagers_,
                   "TaskManagers to wait for before the first deployment (at most 5 s)")
      ->check(CLI::Range(1, 1024));

  taskmanager_ = internal->add_subcommand("taskmanager", "Run one TaskManager");
  taskmanager_->add_option("--root", root_dir_, "Runtime root directory")->required();
  taskmanager_->add_option("--id", id_, "TaskManager id")->required();
  taskmanager_
      ->add_option("--jobmanager-port", jobmanager_ports_,
                   "A JobManager's port on 127.0.0.1; repeat it for every JobManager")
      ->required()
      ->check(CLI::Range(1, 65535));
  AddPortOption(taskmanager_, "--data-port", &data_port_, "Data-plane listening port");
  AddPortOption(taskmanager_, "--store-port", &store_port_, "Store port on 127.0.0.1");
  taskmanager_->add_option("--slots", slots_)->check(CLI::Range(1, 64));
  taskmanager_->add_option("-D", taskmanager_settings_,
                           "A TaskManager setting, Flink's key=value (repeatable): "
                           "heartbeat.timeout (the JobManager silent this long is lost)");
}

std::optional<int> InternalCommands::RunParsed() const {
  if (store_->parsed()) return RunStore();
  if (jobmanager_->parsed()) return RunJobManagerProcess();
  if (taskmanager_->parsed()) return RunTaskManagerProcess();
  return std::nullopt;
}

int InternalCommands::RunStore() const {
  StoreServerConfig config;
  config.port = static_cast<uint16_t>(port_);
  config.root = kStoreDirName;
  return RunHost("store", root_dir_,
                 [&config](Host& host) { return RunStoreServer(host, config); });
}

int InternalCommands::RunJobManagerProcess() const {
  auto spec = ParseJobFlags(jobs_, job_);
  if (!spec.ok()) return UsageError(spec.status().message());
  JobManagerConfig config;
  config.port = static_cast<uint16_t>(port_);
  config.rest_port = rest_port_;
  config.job = std::move(spec).value();
  config.job.input_splits = input_splits_;
  config.build_graph = jobs_.Factory();
  ApplyJobManagerSettings(jobs_.EffectiveSettings(config.job).value(), &config);
  config.services = LoopbackServices(store_port_);
  config.min_taskmanagers = min_taskmanagers_;
  config.leader_election.candidate_id = id_;
  return RunHost(id_, root_dir_, [&config](Host& host) { return RunJobManager(host, config); });
}

int InternalCommands::RunTaskManagerProcess() const {
  TaskManagerConfig config;
  config.id = id_;
  for (int port : jobmanager_ports_) {
    config.job_managers.push_back(Address{kLoopback, static_cast<uint16_t>(port)});
  }
  config.data_address = Address{kLoopback, static_cast<uint16_t>(data_port_)};
  config.slots = slots_;
  config.services = LoopbackServices(store_port_);
  config.build_graph = jobs_.Factory();
  Configuration settings;
  for (const std::string& argument : taskmanager_settings_) {
    const Status parsed = settings.SetFromArgument(argument);
    if (!parsed.ok()) return UsageError(parsed.message());
  }
  const ConfigOption options[] = {HeartbeatTimeout()};
  const Status valid = settings.Validate(options);
  if (!valid.ok()) return UsageError("taskmanager -D: " + valid.message());
  config.heartbeat_timeout_ns = settings.GetDurationMs(HeartbeatTimeout()) * kNanosPerMilli;
  return RunHost(id_, root_dir_, [&config](Host& host) { return RunTaskManager(host, config); });
}

}  // namespace sluice::tools
