#include "bench/real_cluster.h"

#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <sstream>
#include <string_view>
#include <system_error>
#include <vector>

#include "engine/base/assert.h"
#include "engine/config/core_options.h"
#include "simnet/etcd_model.h"
#include "engine/jobmanager/job_manager.h"
#include "engine/jobs/builtin_jobs.h"
#include "engine/runtime/real/real_runtime.h"
#include "engine/taskmanager/task_manager.h"
#include "scenarios/wordcount_cluster.h"

namespace sluice::bench {
namespace {

constexpr char kLoopback[] = "127.0.0.1";
constexpr char kSharedDir[] = "shared";  // under the runtime's root_dir: input, output, checkpoints
constexpr int kPortAttemptsMax = 3;

// Ports the kernel reports free right now: binds `count` sockets to port 0 at once (so the ports
// are distinct), reads them back and closes the sockets. Another process may take one before a
// server binds it; RunRealWordCount retries then.
Result<std::vector<uint16_t>> PickFreePorts(int count) {
  std::vector<int> fds;
  std::vector<uint16_t> ports;
  Status status;
  for (int i = 0; i < count && status.ok(); ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      status = IoError(std::string("socket: ") + std::strerror(errno));
      break;
    }
    fds.push_back(fd);
    struct sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_ANY);  // the servers listen on INADDR_ANY too
    socklen_t length = sizeof(address);
    if (::bind(fd, reinterpret_cast<struct sockaddr*>(&address), sizeof(address)) != 0 ||
        ::getsockname(fd, reinterpret_cast<struct sockaddr*>(&address), &length) != 0) {
      status = IoError(std::string("bind port 0: ") + std::strerror(errno));
      break;
    }
    ports.push_back(ntohs(address.sin_port));
  }
  for (int fd : fds) ::close(fd);
  if (!status.ok()) return status;
  // Held open together, the sockets cannot share a port; port 0 is never handed out.
  SLUICE_ASSERT(std::set<uint16_t>(ports.begin(), ports.end()).size() == ports.size(),
                "the picked ports are distinct");
  SLUICE_ASSERT(std::find(ports.begin(), ports.end(), 0) == ports.end(), "no port is 0");
  return ports;
}

Status WriteFile(const std::filesystem::path& path, std::string_view contents) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  file.close();
  if (!file) return IoError("cannot write " + path.string());
  return Status::Ok();
}

// Empties root_dir (a retry starts from scratch) and writes the input partitions where the job
// reads them: <root>/shared/input/part-<i>.
Status PrepareRoot(const RealWordCountOptions& options) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(options.root_dir, error)) {
    std::filesystem::remove_all(entry.path(), error);
    if (error) return IoError("cannot clear " + entry.path().string() + ": " + error.message());
  }
  if (error) return IoError("cannot list " + options.root_dir + ": " + error.message());
  const std::filesystem::path input_dir =
      std::filesystem::path(options.root_dir) / kSharedDir / "input";
  std::filesystem::create_directories(input_dir, error);
  if (error) return IoError("cannot create " + input_dir.string() + ": " + error.message());
  const std::vector<std::string> parts =
      scenarios::WordCountCluster::SplitIntoPartitions(options.input, options.input_splits);
  for (size_t p = 0; p < parts.size(); ++p) {
    RETURN_IF_ERROR(WriteFile(input_dir / ("part-" + std::to_string(p)), parts[p]));
  }
  return Status::Ok();
}

// User + system CPU time of this process so far (getrusage), ns.
int64_t ProcessCpuNs() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto ns = [](const timeval& t) { return int64_t{t.tv_sec} * 1'000'000'000 + t.tv_usec * 1000; };
  return ns(usage.ru_utime) + ns(usage.ru_stime);
}

// What the benchmark reads off the hosts' event logs.
struct JobEvents {
  int64_t run_start_ns = -1;
  int64_t checkpoints_completed = 0;
  int64_t restarts = 0;
  int64_t last_deployed_ns = -1;
  int64_t finished_ns = -1;
  int64_t input_ended_ns = -1;  // the last source's end of input ("source.end_of_input")
};

// One program's EventLog: counts the events in JobEvents, forwards warnings and errors to the
// runtime's log tagged with the program's name, and drops info and debug events (about a hundred
// lines per run that would bury the benchmark's output; spdlog formatting of those is therefore
// not in the measured time). Never suspends.
class BenchEventLog final : public EventLog {
 public:
  BenchEventLog(std::string program, EventLog& sink, const Clock& clock, JobEvents& events)
      : program_(std::move(program)), sink_(sink), clock_(clock), events_(events) {}

  void Record(Severity severity, std::string_view category, std::string_view message) override {
    if (category == "checkpoint.completed") ++events_.checkpoints_completed;
    if (category == "job.restarting") ++events_.restarts;
    if (category == "job.deployed") events_.last_deployed_ns = clock_.NowNs();
    if (category == "job.finished") events_.finished_ns = clock_.NowNs();
    if (category == "source.end_of_input") events_.input_ended_ns = clock_.NowNs();
    if (severity == Severity::kWarning || severity == Severity::kError) {
      sink_.Record(severity, category, program_ + ": " + std::string(message));
    }
  }

 private:
  std::string program_;
  EventLog& sink_;
  const Clock& clock_;
  JobEvents& events_;
};

// The configurations of one attempt. Ports: [0] JobManager, [1..] TaskManager data, the last
// etcd.
struct ClusterConfigs {
  // The coordination service: the simulator's etcd model, run in this process as one more host
  // (the benchmark measures the engine; one JobManager makes a handful of etcd requests).
  sim::EtcdModelConfig etcd;
  std::unique_ptr<JobRegistry> jobs;  // the built-in jobs; the configs' factories point here
  JobManagerConfig job_manager;
  std::vector<TaskManagerConfig> task_managers;
};

ClusterConfigs MakeConfigs(const RealWordCountOptions& options,
                           const std::vector<uint16_t>& ports) {
  ClusterConfigs configs;
  configs.etcd.port = ports.back();
  configs.etcd.data_dir = "etcd";
  configs.etcd.bind_host = kLoopback;
  JobManagerConfig& jm = configs.job_manager;
  jm.port = ports[0];
  jm.etcd = {Address{kLoopback, ports.back()}};
  configs.jobs = std::make_unique<JobRegistry>();
  const Status registered = RegisterBuiltinJobs(*configs.jobs);
  SLUICE_ASSERT(registered.ok(), "the built-in jobs register");
  if (options.register_jobs) {
    const Status added = options.register_jobs(*configs.jobs);
    SLUICE_ASSERT(added.ok(), "the benchmark's jobs register");
  }
  jm.job.job = options.job;
  jm.job.input_splits = options.input_splits;
  for (const auto& [key, value] : options.settings.entries()) jm.job.settings.Set(key, value);
  jm.job.settings.Set(ParallelismDefault().key, std::to_string(options.parallelism));
  jm.build_graph = configs.jobs->Factory();
  // One machine: every host of the benchmark shares the runtime's file system.
  jm.services = ExternalServices{kSharedDir, kSharedDir, kSharedDir};
  jm.min_taskmanagers = options.taskmanagers;  // spread over the cluster, as the scenarios do
  // Checkpointing, restart strategy, heartbeats from the settings (defaults: 500 ms interval).
  ApplyJobManagerSettings(jm.job.settings, &jm);
  for (int i = 0; i < options.taskmanagers; ++i) {
    TaskManagerConfig tm;
    tm.id = "taskmanager-" + std::to_string(i + 1);
    tm.job_managers = {Address{kLoopback, ports[0]}};
    tm.data_address = Address{kLoopback, ports[1 + i]};
    tm.slots = options.slots_per_taskmanager;
    tm.services = jm.services;
    tm.build_graph = jm.build_graph;
    configs.task_managers.push_back(std::move(tm));
  }
  return configs;
}

RealWordCountRun MakeRun(Status status, int64_t wall_ns, const JobEvents& events) {
  RealWordCountRun run;
  run.status = std::move(status);
  run.wall_ns = wall_ns;
  run.checkpoints_completed = events.checkpoints_completed;
  run.restarts = events.restarts;
  if (events.last_deployed_ns >= 0 && events.finished_ns >= events.last_deployed_ns) {
    run.startup_ns = events.last_deployed_ns - events.run_start_ns;
    run.deployed_to_finished_ns = events.finished_ns - events.last_deployed_ns;
    run.deployed_to_input_end_ns = events.input_ended_ns - events.last_deployed_ns;
  }
  return run;
}

// One run of the cluster on `ports`. Everything the fibers reference lives in this frame, which
// outlives RealRuntime::Run (the fibers it cancels at the end unwind while it is still alive).
RealWordCountRun RunAttempt(const RealWordCountOptions& options,
                            const std::vector<uint16_t>& ports) {
  real::RealRuntime runtime("sluice-bench", options.root_dir, options.seed);
  Host& base = runtime.host();
  const ClusterConfigs configs = MakeConfigs(options, ports);
  JobEvents events;
  std::vector<std::unique_ptr<BenchEventLog>> logs;
  std::vector<std::unique_ptr<Host>> hosts;
  auto make_host = [&](const std::string& name) -> Host& {
    logs.push_back(std::make_unique<BenchEventLog>(name, base.log, base.clock, events));
    hosts.push_back(std::make_unique<Host>(
        Host{name, base.clock, base.fibers, base.network, base.fs, base.random, *logs.back(),
             base.faults, base.databases}));
    return *hosts.back();
  };
  Host& etcd_host = make_host("etcd");
  Host& jm_host = make_host("jobmanager");
  std::vector<Host*> tm_hosts;
  for (const TaskManagerConfig& tm : configs.task_managers) tm_hosts.push_back(&make_host(tm.id));

  FiberId main_fiber = kNoFiber;
  Status abort_reason;  // set by a server that exited or by the watchdog; then main is cancelled
  auto abort_run = [&](Status reason) {
    if (abort_reason.ok()) abort_reason = std::move(reason);
    base.fibers.Cancel(main_fiber);
  };
  // etcd and the TaskManagers run until cancelled; returning at all means they could not
  // listen (or another bug), and the job could then never finish.
  auto spawn_server = [&](const std::string& name, std::function<Status()> program) {
    const FiberId id = base.fibers.Spawn(name, [&abort_run, name, program] {
      const Status status = program();
      abort_run(status.ok() ? InternalError(name + " exited") : status.WithContext(name));
    });
    return id != kNoFiber;
  };

  const int64_t cpu_start = ProcessCpuNs();
  const auto start = std::chrono::steady_clock::now();
  Status status = runtime.Run([&](Host& host) -> Status {
    main_fiber = host.fibers.Current();
    events.run_start_ns = host.clock.NowNs();
    // etcd is external infrastructure, up before the cluster: let it reach Listen first.
    bool spawned = spawn_server("etcd", [&] { return sim::RunEtcdModel(etcd_host, configs.etcd); });
    host.fibers.Yield();
    for (size_t i = 0; i < tm_hosts.size(); ++i) {
      spawned = spawned && spawn_server(configs.task_managers[i].id, [&, i] {
                  return RunTaskManager(*tm_hosts[i], configs.task_managers[i]);
                });
    }
    const FiberId watchdog = base.fibers.Spawn("watchdog", [&] {
      base.fibers.SleepFor(options.job_timeout_ns);
      abort_run(DeadlineExceededError("the job did not finish in time"));
    });
    if (!spawned || watchdog == kNoFiber) return InternalError("a fiber could not be spawned");
    return RunJobManager(jm_host, configs.job_manager);
  });
  const auto wall = std::chrono::steady_clock::now() - start;
  RealWordCountRun run =
      MakeRun(abort_reason.ok() ? status : abort_reason,
              std::chrono::duration_cast<std::chrono::nanoseconds>(wall).count(), events);
  run.cpu_ns = ProcessCpuNs() - cpu_start;
  return run;
}

}  // namespace

RealWordCountRun RunRealWordCount(const RealWordCountOptions& options) {
  RealWordCountRun run;
  for (int attempt = 1; attempt <= kPortAttemptsMax; ++attempt) {
    run = RealWordCountRun{};
    run.port_attempts = attempt;
    run.status = PrepareRoot(options);
    if (!run.status.ok()) return run;
    auto ports = PickFreePorts(2 + options.taskmanagers);
    if (!ports.ok()) {
      run.status = ports.status();
      return run;
    }
    run = RunAttempt(options, ports.value());
    run.port_attempts = attempt;
    if (run.status.code() != StatusCode::kAlreadyExists) return run;  // not a port conflict
  }
  return run;
}

Result<std::map<std::string, std::string>> ReadCommittedOutput(const std::string& root_dir) {
  const std::filesystem::path dir =
      std::filesystem::path(root_dir) / kSharedDir / "output" / "committed";
  std::error_code error;
  std::map<std::string, std::string> output;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    std::ifstream file(entry.path(), std::ios::binary);
    std::ostringstream contents;
    contents << file.rdbuf();
    if (!file) return IoError("cannot read " + entry.path().string());
    output[entry.path().filename().string()] = contents.str();
  }
  if (error) return IoError("cannot list " + dir.string() + ": " + error.message());
  return output;
}

}  // namespace sluice::bench
