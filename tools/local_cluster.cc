#include "tools/local_cluster.h"

#include <fmt/core.h>
#include <httplib.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <utility>

#include "engine/base/assert.h"
#include "engine/config/core_options.h"
#include "engine/config/process_options.h"
#include "engine/ha/etcd_json.h"
#include "engine/jobmanager/job_manager.h"
#include "tools/file_util.h"
#include "tools/process.h"

namespace sluice::tools {
namespace {

constexpr int64_t kListenPollMs = 20;
// Every process of a local cluster listens on, and is reached at, the IPv4 loopback address.
constexpr char kLoopbackAddress[] = "127.0.0.1";

std::string TaskManagerId(int index) { return fmt::format("taskmanager-{}", index + 1); }

// A lone JobManager keeps the plain name (its log is logs/jobmanager.log, as before HA).
std::string JobManagerId(int index, int count) {
  return count == 1 ? std::string("jobmanager") : fmt::format("jobmanager-{}", index + 1);
}

std::string LogPath(const std::string& log_dir, const std::string& id, int incarnation) {
  return incarnation == 0 ? fmt::format("{}/{}.log", log_dir, id)
                          : fmt::format("{}/{}.replacement-{}.log", log_dir, id, incarnation);
}

}  // namespace

LocalCluster::LocalCluster(LocalClusterConfig config) : config_(std::move(config)) {
  SLUICE_ASSERT(config_.jobmanagers >= 1, "a cluster has a JobManager");
  SLUICE_ASSERT(config_.taskmanagers >= 1, "a cluster has a TaskManager");
  SLUICE_ASSERT(!config_.work_dir.empty(), "a cluster has a work directory");
}

LocalCluster::~LocalCluster() {
  for (Child& tm : taskmanagers_) {
    if (tm.running) Reap(&tm, SignalAndWait(tm.pid, SIGKILL));
  }
  for (Child& jm : jobmanagers_) {
    if (jm.running) Reap(&jm, SignalAndWait(jm.pid, SIGKILL));
  }
  if (etcd_.running) Reap(&etcd_, SignalAndWait(etcd_.pid, SIGKILL));
}

std::string LocalCluster::InputDir() const { return config_.work_dir + "/input"; }
std::string LocalCluster::OutputDir() const { return config_.work_dir + "/output"; }
std::string LocalCluster::CheckpointDir() const { return config_.work_dir + "/checkpoints"; }
std::string LocalCluster::LogDir() const { return config_.work_dir + "/logs"; }

namespace {

// `value` as a TOML basic string.
std::string TomlString(const std::string& value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// Writes `settings` as a TOML file of quoted Flink keys (each key once: `process` wins over the
// job's -D settings) at `path`.
Status WriteConfigFile(const std::string& path, const std::string& process_name,
                       const Configuration& job_settings, const Configuration& process) {
  Configuration all = job_settings;
  for (const auto& [key, value] : process.entries()) all.Set(key, value);
  std::string text = "# " + process_name + ", written by `sluice cluster local`\n";
  for (const auto& [key, value] : all.entries()) {
    text += TomlString(key) + " = " + TomlString(value) + "\n";
  }
  return WriteWholeFile(path, text);
}

}  // namespace

std::string LocalCluster::SecretPath() const { return config_.work_dir + "/conf/secret"; }

Status LocalCluster::WriteSecretFile() const {
  // 32 bytes from the OS's entropy source, hex: the cluster's shared secret (0600).
  std::random_device entropy;
  std::string secret;
  for (int i = 0; i < 8; ++i) secret += fmt::format("{:08x}", entropy());
  const std::string path = SecretPath();
  RETURN_IF_ERROR(WriteWholeFile(path, secret + "\n"));
  if (::chmod(path.c_str(), 0600) != 0) {
    return IoError(fmt::format("{}: chmod 0600: {}", path, std::strerror(errno)));
  }
  return Status::Ok();
}

std::string LocalCluster::ConfigPath(const std::string& name) const {
  return fmt::format("{}/conf/{}.toml", config_.work_dir, name);
}

Result<LocalCluster::Child> LocalCluster::MakeJobManager(int index, int incarnation) const {
  Child jm;
  jm.name = JobManagerId(index, config_.jobmanagers);
  jm.log_path = LogPath(LogDir(), jm.name, incarnation);
  Configuration process;
  process.Set(ProcessWorkingDir().key, fmt::format("{}/{}", config_.work_dir, jm.name));
  process.Set(JobManagerRpcAddress().key, kLoopbackAddress);
  process.Set(JobManagerRpcPort().key, std::to_string(jobmanager_ports_[index]));
  process.Set(JobManagerBindHost().key, kLoopbackAddress);
  process.Set(RestAddress().key, kLoopbackAddress);
  process.Set(RestPort().key, std::to_string(rest_ports_[index]));
  process.Set(RestBindAddress().key, kLoopbackAddress);
  process.Set(CheckpointingDir().key, CheckpointDir());
  process.Set(HighAvailabilityEtcdEndpoints().key,
              fmt::format("http://{}:{}", kLoopbackAddress, etcd_port_));
  // One machine: a standby takes over 2 s after the leader stops renewing (the least the key
  // allows), not the 15 s a cluster of machines wants.
  process.Set(HighAvailabilityEtcdLeaseTtl().key, "2 s");
  process.Set(SecurityAuthSecretFile().key, SecretPath());
  const std::string config_path = ConfigPath(jm.name);
  RETURN_IF_ERROR(WriteConfigFile(config_path, jm.name, config_.settings, process));
  jm.args = {"jobmanager",
             "--config",
             config_path,
             "--id",
             jm.name,
             "--job",
             config_.job,
             "--input",
             InputDir(),
             "--output",
             OutputDir(),
             "--input-splits",
             std::to_string(config_.input_splits),
             "--min-taskmanagers",
             std::to_string(config_.taskmanagers)};
  return jm;
}

Result<LocalCluster::Child> LocalCluster::MakeTaskManager(const std::string& id,
                                                          uint16_t data_port,
                                                          int incarnation) const {
  Child tm;
  tm.name = id;
  tm.log_path = LogPath(LogDir(), id, incarnation);
  Configuration process;
  process.Set(ProcessWorkingDir().key, fmt::format("{}/{}", config_.work_dir, id));
  process.Set(TaskManagerResourceId().key, id);
  process.Set(TaskManagerHost().key, kLoopbackAddress);
  process.Set(TaskManagerBindHost().key, kLoopbackAddress);
  process.Set(TaskManagerDataPort().key, std::to_string(data_port));
  process.Set(TaskManagerNumberOfTaskSlots().key, std::to_string(config_.slots_per_taskmanager));
  process.Set(CheckpointingDir().key, CheckpointDir());
  // The TaskManagers find the leader through etcd (leader retrieval).
  process.Set(HighAvailabilityEtcdEndpoints().key,
              fmt::format("http://{}:{}", kLoopbackAddress, etcd_port_));
  process.Set(SecurityAuthSecretFile().key, SecretPath());
  const std::string config_path = ConfigPath(id);
  RETURN_IF_ERROR(WriteConfigFile(config_path, id, config_.settings, process));
  tm.args = {"taskmanager", "--config", config_path};
  return tm;
}

Status LocalCluster::Start() {
  SLUICE_ASSERT(!etcd_.running && jobmanagers_.empty(), "Start is called once");
  RETURN_IF_ERROR(CreateDirectories(LogDir()));
  RETURN_IF_ERROR(CreateDirectories(config_.work_dir + "/conf"));
  RETURN_IF_ERROR(WriteSecretFile());
  ASSIGN_OR_RETURN(std::vector<uint16_t> ports,
                   PickFreePorts(2 + 2 * config_.jobmanagers + config_.taskmanagers));
  etcd_port_ = ports[ports.size() - 2];
  const uint16_t etcd_peer_port = ports.back();
  jobmanager_ports_.assign(ports.begin(), ports.begin() + config_.jobmanagers);
  rest_ports_.assign(ports.begin() + config_.jobmanagers,
                     ports.begin() + 2 * config_.jobmanagers);
  const int first_data_port = 2 * config_.jobmanagers;
  RETURN_IF_ERROR(CreateDirectories(CheckpointDir()));
  RETURN_IF_ERROR(CreateDirectories(OutputDir()));

  // etcd (the Debian package): one member on loopback, its data under the work directory. A
  // heartbeat of 50 ms and an election timeout of 500 ms let its minimum lease TTL be 1 s.
  const std::string client_url = fmt::format("http://{}:{}", kLoopbackAddress, etcd_port_);
  const std::string peer_url = fmt::format("http://{}:{}", kLoopbackAddress, etcd_peer_port);
  etcd_.name = "etcd";
  etcd_.program = "etcd";
  etcd_.log_path = LogDir() + "/etcd.log";
  etcd_.args = {"--name", "etcd", "--data-dir", config_.work_dir + "/etcd",
                "--listen-client-urls", client_url, "--advertise-client-urls", client_url,
                "--listen-peer-urls", peer_url, "--initial-advertise-peer-urls", peer_url,
                "--initial-cluster", "etcd=" + peer_url, "--heartbeat-interval", "50",
                "--election-timeout", "500"};
  RETURN_IF_ERROR(StartChild(&etcd_));
  RETURN_IF_ERROR(WaitForListener(&etcd_, etcd_port_));

  for (int i = 0; i < config_.jobmanagers; ++i) {
    ASSIGN_OR_RETURN(Child jobmanager, MakeJobManager(i, 0));
    jobmanagers_.push_back(std::move(jobmanager));
    RETURN_IF_ERROR(StartChild(&jobmanagers_.back()));
  }

  for (int i = 0; i < config_.taskmanagers; ++i) {
    ASSIGN_OR_RETURN(Child taskmanager,
                     MakeTaskManager(TaskManagerId(i), ports[first_data_port + i], 0));
    taskmanagers_.push_back(std::move(taskmanager));
    RETURN_IF_ERROR(StartChild(&taskmanagers_.back()));
  }
  return Status::Ok();
}

Status LocalCluster::StartChild(Child* child) {
  auto pid = child->program.empty()
                 ? SpawnSelf(child->args, child->log_path)
                 : SpawnProgram(child->program, child->name, child->args, child->log_path);
  if (!pid.ok()) return pid.status().WithContext("starting " + child->name);
  child->pid = pid.value();
  child->running = true;
  return Status::Ok();
}

Status LocalCluster::WaitForListener(Child* child, uint16_t port) {
  for (int64_t waited_ms = 0; waited_ms < kListenTimeoutMs; waited_ms += kListenPollMs) {
    if (auto wait_status = PollExit(child->pid)) {
      Reap(child, *wait_status);
      return UnavailableError(fmt::format("{} exited at start ({}); see {}", child->name,
                                          DescribeWaitStatus(*wait_status), child->log_path));
    }
    if (AcceptsConnections(port)) return Status::Ok();
    SleepMs(kListenPollMs);
  }
  return UnavailableError(fmt::format("{} did not listen on 127.0.0.1:{} within {} ms; see {}",
                                      child->name, port, kListenTimeoutMs, child->log_path));
}

void LocalCluster::Reap(Child* child, int wait_status) {
  child->running = false;
  child->wait_status = wait_status;
}

std::vector<LocalCluster::JobManagerExit> LocalCluster::PollJobManagerExits() {
  for (Child& jm : jobmanagers_) {
    if (!jm.running) continue;
    if (auto wait_status = PollExit(jm.pid)) {
      Reap(&jm, *wait_status);
      jobmanager_exits_.push_back(JobManagerExit{jm.name, *wait_status, jm.log_path});
    }
  }
  return std::exchange(jobmanager_exits_, {});
}

int LocalCluster::RunningJobManagers() const {
  int running = 0;
  for (const Child& jm : jobmanagers_) running += jm.running ? 1 : 0;
  return running;
}

std::optional<std::string> LocalCluster::RecordedJobResult() const {
  // The JobManagers' key (high-availability.cluster-id is left at its default).
  Configuration defaults;
  const std::string key = JobResultKey(HighAvailabilityKeyPrefix(defaults));
  httplib::Client client(kLoopbackAddress, etcd_port_);
  client.set_connection_timeout(1, 0);
  client.set_read_timeout(1, 0);
  const nlohmann::json request = {{"key", Base64Encode(key)}};
  auto response = client.Post("/v3/kv/range", request.dump(), "application/json");
  if (!response || response->status != 200) return std::nullopt;
  const nlohmann::json body = nlohmann::json::parse(response->body, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("kvs") ||
      !body["kvs"].is_array() || body["kvs"].empty()) {
    return std::nullopt;
  }
  auto value = JsonBytes(body["kvs"][0], "value");
  if (!value.ok()) return std::nullopt;
  return std::move(value).value();
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
  poll(&etcd_);
  for (Child& tm : taskmanagers_) poll(&tm);
  return messages;
}

Result<LocalCluster::RestReply> LocalCluster::RestGet(int index, const std::string& target) const {
  SLUICE_ASSERT(index >= 0 && index < static_cast<int>(rest_ports_.size()),
                "a REST query names a JobManager of the cluster");
  httplib::Client client("127.0.0.1", rest_ports_[index]);
  client.set_connection_timeout(1, 0);
  client.set_read_timeout(1, 0);
  auto response = client.Get(target);
  if (!response) {
    return UnavailableError(fmt::format("{} REST API on 127.0.0.1:{}: {}",
                                        JobManagerId(index, config_.jobmanagers),
                                        rest_ports_[index], httplib::to_string(response.error())));
  }
  RestReply reply;
  reply.status = response->status;
  reply.body = nlohmann::json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (reply.body.is_discarded()) {
    return DataLossError(fmt::format("{} REST API answered {} with a body that is not JSON",
                                     JobManagerId(index, config_.jobmanagers), target));
  }
  return reply;
}

std::optional<LocalCluster::Leader> LocalCluster::FindLeader() const {
  for (int i = 0; i < config_.jobmanagers; ++i) {
    if (!jobmanagers_[i].running) continue;
    auto overview = RestGet(i, "/overview");
    if (!overview.ok() || overview->status != 200) continue;
    const nlohmann::json& body = overview->body;
    if (!body.contains("sluice-jobmanager") || !body["sluice-jobmanager"].is_string() ||
        !body.contains("sluice-leader-epoch") || !body["sluice-leader-epoch"].is_number_integer()) {
      continue;
    }
    return Leader{body["sluice-jobmanager"].get<std::string>(),
                  body["sluice-leader-epoch"].get<int64_t>(), i};
  }
  return std::nullopt;
}

std::string LocalCluster::BusyTaskManager() const {
  const std::optional<Leader> leader = FindLeader();
  if (!leader) return TaskManagerId(0);
  auto reply = RestGet(leader->index, "/taskmanagers");
  if (!reply.ok() || reply->status != 200 || !reply->body["taskmanagers"].is_array()) {
    return TaskManagerId(0);
  }
  for (const Child& tm : taskmanagers_) {
    if (!tm.running) continue;
    for (const nlohmann::json& entry : reply->body["taskmanagers"]) {
      if (entry.value("id", "") == tm.name &&
          entry.value("freeSlots", 0) < entry.value("slotsNumber", 0)) {
        return tm.name;
      }
    }
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
  retired_taskmanager_logs_.push_back(victim->log_path);
  // A new data port: the old one may linger in TIME_WAIT, and peers must notice the change.
  ASSIGN_OR_RETURN(std::vector<uint16_t> ports, PickFreePorts(1));
  ASSIGN_OR_RETURN(*victim, MakeTaskManager(id, ports[0], ++taskmanager_replacements_));
  return StartChild(victim);
}

Status LocalCluster::KillJobManager(const std::string& id) {
  for (size_t index = 0; index < jobmanagers_.size(); ++index) {
    Child& victim = jobmanagers_[index];
    if (victim.name != id) continue;
    if (!victim.running) return FailedPreconditionError(id + " is not running");
    const int wait_status = SignalAndWait(victim.pid, SIGKILL);
    Reap(&victim, wait_status);
    if (!WIFSIGNALED(wait_status) || WTERMSIG(wait_status) != SIGKILL) {
      // It exited on its own just before the signal (e.g. the job had just finished).
      jobmanager_exits_.push_back(JobManagerExit{victim.name, wait_status, victim.log_path});
      return FailedPreconditionError(
          fmt::format("{} had already exited ({})", id, DescribeWaitStatus(wait_status)));
    }
    retired_jobmanager_logs_.push_back(victim.log_path);
    ASSIGN_OR_RETURN(victim, MakeJobManager(static_cast<int>(index), ++jobmanager_replacements_));
    return Status::Ok();
  }
  return NotFoundError(fmt::format("no JobManager named {}", id));
}

Status LocalCluster::StartJobManager(const std::string& id) {
  for (Child& jm : jobmanagers_) {
    if (jm.name != id) continue;
    return jm.running ? Status::Ok() : StartChild(&jm);
  }
  return NotFoundError(fmt::format("no JobManager named {}", id));
}

void LocalCluster::StopAll() {
  // The JobManagers first (if still running), so that they do not react to the TaskManagers going
  // away; then the TaskManagers; etcd last.
  for (Child& jm : jobmanagers_) {
    if (jm.running) kill(jm.pid, SIGTERM);
  }
  for (Child& jm : jobmanagers_) {
    if (jm.running) Reap(&jm, TerminateAndWait(jm.pid, kStopGraceMs));
  }
  for (Child& tm : taskmanagers_) {
    if (tm.running) kill(tm.pid, SIGTERM);
  }
  for (Child& tm : taskmanagers_) {
    if (tm.running) Reap(&tm, TerminateAndWait(tm.pid, kStopGraceMs));
  }
  if (etcd_.running) Reap(&etcd_, TerminateAndWait(etcd_.pid, kStopGraceMs));
}

std::vector<std::string> LocalCluster::TaskManagerLogs() const {
  std::vector<std::string> logs = retired_taskmanager_logs_;
  for (const Child& tm : taskmanagers_) logs.push_back(tm.log_path);
  return logs;
}

std::vector<std::string> LocalCluster::JobManagerLogs() const {
  std::vector<std::string> logs = retired_jobmanager_logs_;
  for (const Child& jm : jobmanagers_) logs.push_back(jm.log_path);
  return logs;
}

}  // namespace sluice::tools
