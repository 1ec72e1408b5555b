#include "engine/config/process_options.h"

#include <algorithm>
#include <string>
#include <string_view>

namespace sluice {
namespace {

ConfigOption String(std::string key, std::string default_value, std::string description) {
  return ConfigOption{.key = std::move(key),
                      .type = ConfigType::kString,
                      .default_value = std::move(default_value),
                      .description = std::move(description)};
}

ConfigOption Port(std::string key, std::string default_value, int64_t min,
                  std::string description) {
  return ConfigOption{.key = std::move(key),
                      .type = ConfigType::kInt,
                      .default_value = std::move(default_value),
                      .description = std::move(description),
                      .min = min,
                      .max = 65535};
}

}  // namespace

const ConfigOption& JobManagerRpcAddress() {
  static const ConfigOption option = String("jobmanager.rpc.address", "localhost",
                                            "where TaskManagers reach the JobManager");
  return option;
}
const ConfigOption& JobManagerRpcPort() {
  static const ConfigOption option = Port("jobmanager.rpc.port", "6123", 1, "the JobManager's port");
  return option;
}
const ConfigOption& JobManagerBindHost() {
  static const ConfigOption option = String("jobmanager.bind-host", "localhost",
                                            "the address the JobManager's port listens on");
  return option;
}
const ConfigOption& RestAddress() {
  static const ConfigOption option =
      String("rest.address", "localhost", "where clients reach the REST API");
  return option;
}
const ConfigOption& RestPort() {
  static const ConfigOption option =
      Port("rest.port", "8081", -1, "the REST API's port (0: any free port, -1: none)");
  return option;
}
const ConfigOption& RestBindAddress() {
  static const ConfigOption option =
      String("rest.bind-address", "localhost", "the address the REST port listens on");
  return option;
}
const ConfigOption& TaskManagerHost() {
  static const ConfigOption option = String(
      "taskmanager.host", "localhost", "where other TaskManagers reach this one's data port");
  return option;
}
const ConfigOption& TaskManagerBindHost() {
  static const ConfigOption option =
      String("taskmanager.bind-host", "localhost", "the address the data port listens on");
  return option;
}
const ConfigOption& TaskManagerDataPort() {
  static const ConfigOption option =
      Port("taskmanager.data.port", "0", 0, "the data port (0: any free port)");
  return option;
}
const ConfigOption& TaskManagerResourceId() {
  static const ConfigOption option =
      String("taskmanager.resource-id", "",
             "the TaskManager's id (default taskmanager.host:taskmanager.data.port)");
  return option;
}
const ConfigOption& MetricsReporterPromPort() {
  static const ConfigOption option =
      Port("metrics.reporter.prom.port", "-1", -1,
           "a TaskManager's GET /metrics port (-1: none, 0: any free port)");
  return option;
}
const ConfigOption& SecurityAuthSecretFile() {
  static const ConfigOption option = String(
      "security.auth.secret-file", "",
      "a file holding the cluster's shared secret: every connection between processes is "
      "authenticated with it");
  return option;
}
const ConfigOption& ProcessWorkingDir() {
  static const ConfigOption option =
      String("process.working-dir", "", "the process's directory (required)");
  return option;
}
const ConfigOption& CheckpointingDir() {
  static const ConfigOption option =
      String("execution.checkpointing.dir", "",
             "where checkpoints and savepoints are kept: an absolute path or a file:// URI "
             "naming one directory that every JobManager and TaskManager sees (required)");
  return option;
}

Result<std::string> CheckpointingDirOf(const Configuration& settings) {
  std::string dir = settings.GetString(CheckpointingDir());
  const std::string& key = CheckpointingDir().key;
  if (dir.empty()) {
    return InvalidArgumentError("configuration key '" + key +
                                "' is required (a directory every process of the cluster sees: "
                                "local for one machine, a shared mount for several)");
  }
  if (dir.starts_with("file://")) {
    dir = dir.substr(7);
  } else if (dir.find("://") != std::string::npos) {
    return InvalidArgumentError("configuration key '" + key + "': '" + dir +
                                "' is not a file:// URI or a path (no other file systems yet)");
  }
  if (!dir.starts_with("/")) {
    return InvalidArgumentError("configuration key '" + key + "': '" + settings.GetString(CheckpointingDir()) +
                                "' is not absolute (each process would resolve it against its "
                                "own directory)");
  }
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

const ConfigOption& HighAvailabilityType() {
  static const ConfigOption option{
      .key = "high-availability.type",
      .type = ConfigType::kEnum,
      .default_value = "etcd",
      .description = "where leadership, job results and checkpoint pointers live (etcd)",
      .choices = {"etcd"}};
  return option;
}
const ConfigOption& HighAvailabilityClusterId() {
  static const ConfigOption option = String(
      "high-availability.cluster-id", "/default", "the cluster's key prefix under /sluice on etcd");
  return option;
}
const ConfigOption& HighAvailabilityEtcdEndpoints() {
  static const ConfigOption option =
      String("high-availability.etcd.endpoints", "http://localhost:2379",
             "the etcd members' client URLs, http://host:port,...");
  return option;
}
const ConfigOption& HighAvailabilityEtcdLeaseTtl() {
  static const ConfigOption option{
      .key = "high-availability.etcd.lease-ttl",
      .type = ConfigType::kDuration,
      .default_value = "15 s",
      .description = "the leader's etcd lease: a standby takes over this long after the leader "
                     "stops renewing (whole seconds)",
      .min = 2000,
      .max = 3600 * 1000};
  return option;
}

const std::vector<ConfigOption>& ProcessOptions() {
  static const std::vector<ConfigOption> options = {
      JobManagerRpcAddress(), JobManagerRpcPort(),     JobManagerBindHost(),
      RestAddress(),          RestPort(),              RestBindAddress(),
      TaskManagerHost(),      TaskManagerBindHost(),   TaskManagerDataPort(),
      TaskManagerResourceId(), MetricsReporterPromPort(), ProcessWorkingDir(), CheckpointingDir(),
      SecurityAuthSecretFile(),
      HighAvailabilityType(), HighAvailabilityClusterId(),
      HighAvailabilityEtcdEndpoints(), HighAvailabilityEtcdLeaseTtl()};
  return options;
}

Result<HostPort> ParseHostPort(const std::string& text, const std::string& key) {
  const auto bad = [&](const std::string& why) {
    return InvalidArgumentError("configuration key '" + key + "': '" + text + "' " + why +
                                " (want host:port, [ipv6]:port)");
  };
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return bad("has no host and port");
  std::string host = text.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return bad("has an unclosed '['");
  } else if (host.find(':') != std::string::npos) {
    return bad("is an IPv6 address without brackets");
  }
  const std::string port_text = text.substr(colon + 1);
  int port = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9' || port > 65535) return bad("has no port number");
    port = port * 10 + (c - '0');
  }
  if (port_text.empty() || port < 1 || port > 65535) return bad("has a port outside 1..65535");
  return HostPort{std::move(host), port};
}

Result<std::vector<HostPort>> EtcdEndpointsOf(const Configuration& settings) {
  const std::string key = HighAvailabilityEtcdEndpoints().key;
  const std::string list = settings.GetString(HighAvailabilityEtcdEndpoints());
  std::vector<HostPort> endpoints;
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = std::min(list.find(',', start), list.size());
    std::string url = list.substr(start, comma - start);
    constexpr std::string_view kScheme = "http://";
    if (url.rfind("https://", 0) == 0) {
      return InvalidArgumentError("configuration key '" + key + "': '" + url +
                                  "': TLS to etcd is not supported yet (use http://)");
    }
    if (url.rfind(kScheme, 0) == 0) url = url.substr(kScheme.size());
    if (!url.empty() && url.back() == '/') url.pop_back();
    ASSIGN_OR_RETURN(HostPort endpoint, ParseHostPort(url, key));
    endpoints.push_back(std::move(endpoint));
    start = comma + 1;
  }
  return endpoints;
}

std::string HighAvailabilityKeyPrefix(const Configuration& settings) {
  std::string id = settings.GetString(HighAvailabilityClusterId());
  while (!id.empty() && id.front() == '/') id.erase(id.begin());
  while (!id.empty() && id.back() == '/') id.pop_back();
  return "/sluice/" + (id.empty() ? std::string("default") : id) + "/";
}

}  // namespace sluice
