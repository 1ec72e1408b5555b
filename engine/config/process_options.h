// The settings of a JobManager or TaskManager process (`sluice jobmanager --config FILE`,
// `sluice taskmanager --config FILE`), Flink's keys where Flink has one. One file may serve
// every process of a cluster, as Flink's config.yaml does: each process reads the keys it needs
// and the JobManager passes the job settings (CoreOptions and the jobs' own) on to its job.
//
//   key                        default     meaning
//   jobmanager.rpc.address     localhost   where TaskManagers reach the JobManager
//   jobmanager.rpc.port        6123
//   jobmanager.bind-host       localhost   the address the JobManager's RPC port listens on
//   rest.address               localhost   where clients reach the REST API
//   rest.port                  8081        (0: any free port, -1: no REST API)
//   rest.bind-address          localhost   the address the REST port listens on
//   taskmanager.host           localhost   where other TaskManagers reach this one's data port
//   taskmanager.bind-host      localhost   the address the data port listens on
//   taskmanager.data.port      0           (0: any free port)
//   taskmanager.resource-id    (derived)   the TaskManager's id: keep it (and the working
//                                          directory) across restarts for local recovery;
//                                          default taskmanager.host:taskmanager.data.port
//   metrics.reporter.prom.port -1          a TaskManager's GET /metrics (Prometheus text) port
//                                          on taskmanager.bind-host (-1: none, 0: any free
//                                          port); the JobManager's is on rest.port
//   security.auth.secret-file  (none)      a file holding the cluster's shared secret (at least
//                                          16 bytes; a trailing newline is not part of it):
//                                          every connection between processes is mutually
//                                          authenticated with it (engine/rpc/peer_auth.h), and
//                                          an HTTP port not bound to loopback wants it as a
//                                          bearer token. Unset: no authentication.
//   process.working-dir        (required)  the process's directory: its files (local state,
//                                          RocksDB) go under it
//   high-availability.type     etcd        where the JobManagers elect their leader and keep
//                                          job results and completed-checkpoint pointers; etcd
//                                          is the one choice (Flink's NONE is not offered: a
//                                          JobManager always fences its writes on etcd)
//   high-availability.cluster-id  /default  the cluster's keys on etcd: /sluice/<id>/...
//   high-availability.etcd.endpoints  http://localhost:2379  the etcd members' client URLs,
//                                          comma-separated (http only so far)
//   high-availability.etcd.lease-ttl  15 s  the leader's etcd lease (whole seconds, 2 s to
//                                          1 h): a standby takes over this long after the leader
//                                          stops renewing; the leader renews every fifth of it
//                                          and steps down after two thirds without a renewal
//   execution.checkpointing.dir  (required)  where checkpoints and savepoints are kept: an
//                                          absolute path or file:///path, one directory every
//                                          JobManager and TaskManager sees (a local directory
//                                          on one machine, an NFS mount at the same path on
//                                          several: engine/runtime/storage_directory.h)
//
// Addresses are host names or IPv4/IPv6 literals (engine/runtime/real/tcp_network.h). Listen
// addresses never default to every interface. Thread safety: constant data.
#pragma once

#include <string>
#include <vector>

#include "engine/base/status.h"
#include "engine/config/configuration.h"

namespace sluice {

const ConfigOption& JobManagerRpcAddress();
const ConfigOption& JobManagerRpcPort();
const ConfigOption& JobManagerBindHost();
const ConfigOption& RestAddress();
const ConfigOption& RestPort();
const ConfigOption& RestBindAddress();
const ConfigOption& TaskManagerHost();
const ConfigOption& TaskManagerBindHost();
const ConfigOption& TaskManagerDataPort();
const ConfigOption& TaskManagerResourceId();
const ConfigOption& MetricsReporterPromPort();
const ConfigOption& ProcessWorkingDir();
const ConfigOption& SecurityAuthSecretFile();
const ConfigOption& CheckpointingDir();
const ConfigOption& HighAvailabilityType();
const ConfigOption& HighAvailabilityClusterId();
const ConfigOption& HighAvailabilityEtcdEndpoints();
const ConfigOption& HighAvailabilityEtcdLeaseTtl();

// Every key above.
const std::vector<ConfigOption>& ProcessOptions();

// execution.checkpointing.dir as a path ("file://" dropped, no trailing '/'). kInvalidArgument
// naming the key when it is missing, relative or a URI of another scheme.
Result<std::string> CheckpointingDirOf(const Configuration& settings);

// A "host:port" or "[ipv6]:port" setting (each etcd endpoint, the
// leader's address in its etcd record).
struct HostPort {
  std::string host;  // as written, brackets kept ("[::1]")
  int port = 0;      // 1..65535
};
// kInvalidArgument naming `key` and the text for anything else (no port, a port outside
// 1..65535, an empty host, an IPv6 address without brackets).
Result<HostPort> ParseHostPort(const std::string& text, const std::string& key);
// high-availability.etcd.endpoints as host:port pairs ("http://" and a trailing '/' dropped).
// kInvalidArgument naming the key for an https:// URL (not supported yet) or as ParseHostPort.
Result<std::vector<HostPort>> EtcdEndpointsOf(const Configuration& settings);
// The etcd key prefix of the cluster's HA records: "/sluice/<high-availability.cluster-id>/".
std::string HighAvailabilityKeyPrefix(const Configuration& settings);

}  // namespace sluice
