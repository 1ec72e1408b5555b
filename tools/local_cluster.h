// LocalCluster: the OS processes of `sluice cluster local` on 127.0.0.1 — etcd, one or more
// JobManagers (one leads, the others stand by; see engine/ha/leader_election.h) and N
// TaskManagers, each this same binary started with `sluice jobmanager|taskmanager --config`.
// They share the work directory's input/, output/ and checkpoints/ (execution.checkpointing.dir)
// as processes on several machines would share an NFS mount. The object owns the children: its
// destructor SIGKILLs and reaps any still running, so no error path leaks a process.
// Single-threaded; calls never block for long (Start waits for etcd to listen, StopAll for the
// children to exit).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

#include <nlohmann/json.hpp>

#include "scenarios/cluster_spec.h"
#include <string>
#include <vector>

#include "engine/base/status.h"

namespace sluice::tools {

// The ClusterSpec (scenarios/cluster_spec.h, which the simulator shares: JobManagers are
// "jobmanager" if 1, else jobmanager-1..N; the job and its settings go to the JobManagers;
// InputDir() holds input_splits input files) and where the processes keep their files.
struct LocalClusterConfig : scenarios::ClusterSpec {
  std::string work_dir;  // fresh, exists; children's root directories and logs go under it
};

class LocalCluster {
 public:
  // How long Start waits for etcd to accept connections.
  static constexpr int64_t kListenTimeoutMs = 10'000;
  // How long StopAll lets a child exit after SIGTERM before SIGKILL.
  static constexpr int64_t kStopGraceMs = 2'000;

  explicit LocalCluster(LocalClusterConfig config);
  ~LocalCluster();
  LocalCluster(const LocalCluster&) = delete;
  LocalCluster& operator=(const LocalCluster&) = delete;

  // The job's input directory: part-<i> go here before Start.
  std::string InputDir() const;
  // The job's output directory: the file sink commits under committed/.
  std::string OutputDir() const;
  // execution.checkpointing.dir.
  std::string CheckpointDir() const;
  std::string LogDir() const;

  // Starts etcd (and waits until it accepts connections), the JobManagers (each on a port
  // of its own, with its name as candidate id) and the TaskManagers taskmanager-1..N (given every
  // JobManager's port). kIoError / kUnavailable naming the process that failed.
  Status Start();

  // A JobManager that exited on its own.
  struct JobManagerExit {
    std::string id;
    int wait_status = 0;
    std::string log_path;
  };
  // The JobManagers that exited on their own since the last call (not one that
  // KillJobManager killed).
  std::vector<JobManagerExit> PollJobManagerExits();
  int RunningJobManagers() const;
  // Messages for etcd and TaskManagers that exited on their own since the last call.
  std::vector<std::string> PollUnexpectedExits();

  // The job result the leader recorded on etcd (engine/jobmanager/job_manager.h: "FINISHED\n" or
  // "FAILED\n<reason>"), read through etcd's JSON gateway; nullopt if none is recorded (or it
  // cannot be read).
  std::optional<std::string> RecordedJobResult() const;

  // GET `target` from JobManager `index`'s REST API (engine/jobmanager/rest_api.h) on
  // 127.0.0.1: its status and JSON body. kUnavailable if it does not answer within 1 s,
  // kDataLoss if the body is not JSON.
  struct RestReply {
    int status = 0;
    nlohmann::json body;
  };
  Result<RestReply> RestGet(int index, const std::string& target) const;
  // The leading JobManager, as its REST API says (the one that answers /overview; standbys
  // answer 503): its id and epoch, and its index for RestGet. nullopt if none answers.
  struct Leader {
    std::string id;
    int64_t epoch = 0;
    int index = 0;
  };
  std::optional<Leader> FindLeader() const;

  // The first TaskManager (taskmanager-1, -2, ...) whose process runs and which, as the leader's
  // GET /taskmanagers says, holds a slot of the job; "taskmanager-1" if none does (or no leader
  // answers). The JobManager may deploy before every TaskManager registered, so taskmanager-1
  // can be idle; killing an idle one would test nothing.
  std::string BusyTaskManager() const;

  // SIGKILLs TaskManager `id` and starts a replacement with the same id on a new data port.
  Status KillAndReplaceTaskManager(const std::string& id);

  // SIGKILLs JobManager `id` and prepares its replacement (same id, same port: the one the
  // TaskManagers know), not started yet: StartJobManager starts it. kFailedPrecondition if `id`
  // had already exited on its own (PollJobManagerExits reports that exit).
  Status KillJobManager(const std::string& id);
  // Starts JobManager `id` if it is not running (a killed one's replacement). With the same
  // candidate id it takes the lease over at once if its predecessor still holds it.
  Status StartJobManager(const std::string& id);

  // SIGTERM (then SIGKILL after kStopGraceMs) to every child still running, the JobManagers first
  // and etcd last; reaps them all.
  void StopAll();

  // Every TaskManager log written so far, including those of killed TaskManagers.
  std::vector<std::string> TaskManagerLogs() const;
  // Every JobManager log written so far, including those of killed JobManagers.
  std::vector<std::string> JobManagerLogs() const;

 private:
  struct Child {
    std::string name;
    std::string program;  // "" = this binary
    std::vector<std::string> args;
    std::string log_path;
    pid_t pid = -1;
    bool running = false;
    int wait_status = 0;
  };

  Status StartChild(Child* child);
  // Waits until `child` accepts connections on 127.0.0.1:`port`; kUnavailable naming its log if it
  // exits first or does not listen within kListenTimeoutMs.
  Status WaitForListener(Child* child, uint16_t port);
  // The process, its configuration file (conf/<name>.toml) written. kIoError naming the file.
  Result<Child> MakeJobManager(int index, int incarnation) const;
  Result<Child> MakeTaskManager(const std::string& id, uint16_t data_port, int incarnation) const;
  std::string ConfigPath(const std::string& name) const;
  // conf/secret: the cluster's shared secret (security.auth.secret-file), every process's.
  std::string SecretPath() const;
  Status WriteSecretFile() const;
  void Reap(Child* child, int wait_status);

  LocalClusterConfig config_;
  std::vector<uint16_t> jobmanager_ports_;  // by JobManager index
  std::vector<uint16_t> rest_ports_;        // by JobManager index
  Child etcd_;
  uint16_t etcd_port_ = 0;
  std::vector<Child> jobmanagers_;
  std::vector<Child> taskmanagers_;
  std::vector<JobManagerExit> jobmanager_exits_;       // not yet returned by PollJobManagerExits
  std::vector<std::string> retired_jobmanager_logs_;   // logs of JobManagers that were killed
  std::vector<std::string> retired_taskmanager_logs_;  // logs of TaskManagers that were killed
  int jobmanager_replacements_ = 0;
  int taskmanager_replacements_ = 0;
};

}  // namespace sluice::tools
