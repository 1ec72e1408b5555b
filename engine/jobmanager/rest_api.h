// The JobManager's REST API (Flink's REST API,
// https://nightlies.apache.org/flink/flink-docs-stable/docs/ops/rest_api/): read-only endpoints
// with Flink's paths and JSON shapes, served by every JobManager on `rest.port` over the runtime's
// network (engine/rest/http.h):
//   GET / (and /index.html)       the web dashboard (engine/jobmanager/dashboard.h), HTML,
//                                  served without the bearer token (it holds no data)
//   GET /config                   {"refresh-interval", "timezone-name", "timezone-offset",
//                                  "flink-version", "flink-revision", "features"}
//   GET /overview                 {"taskmanagers", "slots-total", "slots-available",
//                                  "jobs-running", "jobs-finished", "jobs-cancelled",
//                                  "jobs-failed", "flink-version", "flink-commit"}
//                                  (states: CREATED, RUNNING, RESTARTING, FINISHED, FAILED,
//                                  CANCELED)
//   GET /jobs                     {"jobs": [{"id", "status"}]}
//   GET /jobs/:jobid              {"jid", "name", "state", "start-time", "end-time", "duration",
//                                  "now", "maxParallelism", "vertices": [{"id", "name",
//                                  "parallelism", "maxParallelism", "status"}]}
//   GET /jobs/:jobid/checkpoints  {"counts": {"restored", "total", "in_progress", "completed",
//                                  "failed"}, "latest": {"completed": {"id", "status",
//                                  "is_savepoint", "state_size", "checkpointed_size"} | null,
//                                  "restored": {"id", "is_savepoint"} | null, "savepoint":
//                                  {"id", "status", "is_savepoint", "external_path"} | null,
//                                  "failed": null}}
//   GET /jobs/:jobid/exceptions   {"root-exception", "timestamp", "all-exceptions": [],
//                                  "truncated": false}
//   GET /jobs/:jobid/metrics      [{"id"}], or with ?get=a,b [{"id", "value"}] (values as
//                                  strings): numRestarts, numberOfCompletedCheckpoints,
//                                  numberOfFailedCheckpoints, numberOfInProgressCheckpoints,
//                                  totalNumberOfCheckpoints, lastCheckpointSize,
//                                  lastCheckpointFullSize (bytes), lastCheckpointDuration,
//                                  uptime (ms) — Flink's job metrics
//   GET /metrics                  Prometheus text (engine/rest/prometheus.h), from every
//                                  JobManager: sluice_jobmanager_isLeader; from the leader also
//                                  sluice_jobmanager_{numRegisteredTaskManagers,taskSlotsTotal,
//                                  taskSlotsAvailable,numRunningJobs} and each job metric above
//                                  as sluice_jobmanager_job_<metric>{job_id,job_name}
//   GET /jobs/:jobid/vertices/:vertexid/backpressure
//                                 {"status": "ok", "backpressure-level", "end-timestamp",
//                                  "subtasks": [{"subtask", "attempt-number",
//                                  "backpressure-level", "ratio", "idleRatio", "busyRatio"}]}:
//                                  each subtask's share of backpressured, idle and busy time
//                                  between its last two reports (its checkpoint
//                                  acknowledgements), levels as Flink's: ok <= 0.10 < low <=
//                                  0.5 < high; the vertex's level is its worst subtask's
//   GET /taskmanagers             {"taskmanagers": [{"id", "path", "dataPort",
//                                  "timeSinceLastHeartbeat", "slotsNumber", "freeSlots"}]}
//   POST /jobs/:jobid/savepoints  body {"cancel-job": bool, "target-directory": DIR} (both
//                                  optional) → 202 {"request-id"}: a savepoint, and with
//                                  cancel-job a stop-with-savepoint. It is written to
//                                  DIR/savepoint-<checkpoint id>: DIR as the JobManager's file
//                                  system names it (absolute, or relative to
//                                  execution.checkpointing.dir; no ".."); default savepoints/
//   POST /jobs/:jobid/stop        body {"drain": false} (optional) → 202 {"request-id"}:
//                                  stop-with-savepoint (drain: true is refused)
//   PATCH /jobs/:jobid            ?mode=cancel (optional; Flink's only mode) → 202 {}: the job is
//                                  cancelled (CANCELED: tasks cancelled, nothing more
//                                  committed); 409 once it has ended
//   GET /jobs/:jobid/savepoints/:requestid
//                                 {"status": {"id": "IN_PROGRESS" | "COMPLETED"},
//                                  "operation": {"location"} | {"failure-cause":
//                                  {"class", "stack-trace"}} | null}
//   POST /jobs                    session cluster only (engine/jobmanager/dispatcher.h): body
//                                  {"job": NAME, "flinkConfiguration": {KEY: VALUE},
//                                  "input": DIR, "output": DIR, "inputSplits": N,
//                                  "savepointPath": PATH, "parallelism": N} (all but job
//                                  optional; values of flinkConfiguration are strings) → 202
//                                  {"jobid", "jobUrl"} once the job is stored on etcd; 400
//                                  naming the field, the job or the key that is wrong
// In a session cluster GET /jobs lists every job submitted (a queued one CREATED, one whose
// queued cancel waits CANCELLING), GET /jobs/:jobid answers for any of them (a job not running
// has no vertices; /exceptions gives an ended one's failure, /savepoints/:requestid the requests
// of its run under this JobManager) and PATCH cancels a queued job too;
// the running job's other paths are as above, and another job's are 404 naming its state.
// Sluice adds "sluice-jobmanager" (the candidate id) and "sluice-leader-epoch" to /overview.
// Only the leader answers (a savepoint request is the JobMaster's to carry out, and its status
// lives there: a request survives no change of leader); a standby answers 503 naming itself
// (Flink's standbys redirect to the leader). Unknown paths are 404, other methods 405, an unknown
// job id 404, each with Flink's error body {"errors": [message]}. Times are ms on the JobManager
// host's clock (the simulator's clock in simulation). Vertices are the job's chains (Flink's job
// vertices), with ids derived from the job id and the chain's index.
// HandleRestRequest renders a snapshot (a savepoint POST also calls trigger_savepoint, which
// queues the request) and never suspends, but for POST /jobs (submit_job writes to etcd).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/base/status.h"
#include "engine/graph/job_spec.h"
#include "engine/rest/http.h"
#include "engine/runtime/host.h"
#include "engine/runtime/network.h"

namespace sluice {

// What the leading JobMaster reports about its job, at the moment of a request.
struct JobSnapshot {
  std::string job_id;  // 32 hex digits (Flink's JobID)
  std::string name;
  std::string state;  // Flink's JobStatus: CREATED, RUNNING, RESTARTING, FINISHED, FAILED
  int64_t start_ms = 0;
  int64_t end_ms = -1;  // -1 while not ended
  int64_t now_ms = 0;
  int max_parallelism = 0;
  // A subtask's busy, idle and backpressured time (ns) between its last two reports.
  struct SubtaskTimes {
    int subtask = 0;
    int64_t attempt = 0;  // 0: no report yet
    int64_t busy_ns = 0;
    int64_t idle_ns = 0;
    int64_t backpressured_ns = 0;
  };
  struct Vertex {
    std::string name;
    int parallelism = 1;
    std::string status;  // Flink's ExecutionState of the vertex: RUNNING, FINISHED, ...
    std::vector<SubtaskTimes> subtasks;  // by subtask index
  };
  std::vector<Vertex> vertices;
  struct TaskManager {
    std::string id;
    Address data_address;
    int slots = 0;
    int free_slots = 0;
    int64_t last_heartbeat_ms = 0;
  };
  std::vector<TaskManager> taskmanagers;
  // Savepoint requests of this leadership, by request id.
  struct Savepoint {
    std::string status;    // IN_PROGRESS, COMPLETED or FAILED
    std::string location;  // COMPLETED: the savepoint's directory, relative to execution.checkpointing.dir
    std::string failure;   // FAILED: why
  };
  std::map<std::string, Savepoint> savepoints;
  int64_t checkpoints_completed = 0;  // by this leadership
  int64_t checkpoints_failed = 0;     // expired or aborted, by this leadership
  bool checkpoint_in_progress = false;
  int64_t latest_completed_checkpoint = 0;  // 0: none
  // Its sizes in bytes (CompletedCheckpoint::full_bytes, ::incremental_bytes; 0 after a recovery).
  int64_t latest_checkpoint_full_bytes = 0;
  int64_t latest_checkpoint_incremental_bytes = 0;
  int64_t latest_checkpoint_duration_ms = 0;  // its trigger to its completion (0: not known)
  bool latest_checkpoint_is_savepoint = false;
  // The newest savepoint this leadership completed (0: none) and its directory.
  int64_t latest_savepoint = 0;
  std::string latest_savepoint_location;
  int64_t restored_checkpoint = 0;          // the current attempt's; 0: none
  int restarts = 0;                         // by this leadership
  std::string failure;                      // why the job failed ("" if it did not)
};

// A session cluster's job as its JobManager lists it.
struct SessionJob {
  std::string id;
  std::string name;
  // CREATED (queued), CANCELLING (its cancel waits for the dispatcher), RUNNING (the running
  // job's state comes from its snapshot), FINISHED, FAILED or CANCELED.
  std::string state;
  std::string failure;  // FAILED: why
  // The savepoint requests of its last run under this JobManager, by request id (a stop's
  // outcome stays known once the job has ended).
  std::map<std::string, JobSnapshot::Savepoint> savepoints;
};

// A JobManager's REST state: set by its host program (RunJobManager, RunSessionJobManager),
// `snapshot` only while a JobMaster leads.
struct JobManagerRestState {
  std::string id;  // the JobManager's candidate id
  // Non-empty: every request must carry "Authorization: Bearer <token>" (else 401): the
  // cluster's secret when the REST port is not bound to loopback.
  std::string bearer_token;
  bool leader = false;
  int64_t epoch = 0;  // its leadership's epoch, while it leads
  std::function<JobSnapshot()> snapshot;
  // While it leads: requests a savepoint (`terminate`: stop-with-savepoint) into
  // `target_directory` ("": the default, savepoints/ in execution.checkpointing.dir) and returns
  // the request's id. Never suspends.
  std::function<std::string(bool terminate, const std::string& target_directory)>
      trigger_savepoint;
  // While it leads: cancels the job (queued; the job ends CANCELED). Never suspends.
  std::function<void()> cancel_job;
  // A session cluster (RunSessionJobManager): its jobs in submission order, while it leads.
  bool session = false;
  std::vector<SessionJob> jobs;
  // While it leads a session cluster: stores a submitted job and returns its id;
  // kInvalidArgument (400) for a job the program refuses, kUnavailable or kFailedPrecondition
  // (503) when it cannot store it. Suspends (an etcd transaction).
  std::function<Result<std::string>(JobSpec)> submit_job;
  // While it leads a session cluster: cancels queued job `id` (the dispatcher records it
  // CANCELED before it picks the next job). Never suspends.
  std::function<void(const std::string& id)> cancel_queued;
};

// Serves HandleRestRequest for `state` (which must outlive it) on bind_host:port of the host's
// network, on a fiber of its own, from Start until destroyed (the destructor closes the listener
// and waits for every request in progress: it may suspend).
class RestServer {
 public:
  explicit RestServer(Host& host) : host_(host) {}
  ~RestServer();
  RestServer(const RestServer&) = delete;
  RestServer& operator=(const RestServer&) = delete;
  // The network's error if it cannot listen.
  Status Start(const std::string& bind_host, uint16_t port, JobManagerRestState* state);

 private:
  Host& host_;
  std::unique_ptr<Listener> listener_;
  FiberId fiber_ = 0;
};

// The response to `request` (see the top of this file).
HttpResponse HandleRestRequest(const JobManagerRestState& state, const HttpRequest& request);

// The 32-hex-digit job id of a job spec's encoding (engine/graph/job_spec.h): stable across
// JobManagers and restarts of one job.
std::string JobIdOf(std::string_view encoded_spec);

}  // namespace sluice
