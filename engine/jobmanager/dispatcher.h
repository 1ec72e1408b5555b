// A session cluster's JobManager (Flink's Dispatcher in a session cluster): it is started without
// a job and runs the jobs clients submit over its life (POST /jobs, engine/jobmanager/rest_api.h;
// `sluice run`), one at a time, in submission order.
//
// Job graph store (Flink's JobGraphStore) on etcd, under the cluster's HA key prefix P:
//   P jobs/<job id>/spec            the submitted JobSpec (engine/graph/job_spec.h), with its id
//   P jobs/<job id>/job-result      its outcome once it ended (JobResultKey)
//   P jobs/<job id>/checkpoints/    its completed-checkpoint pointers
// every write a fenced transaction of the leadership (engine/ha/leader_election.h). A job's id
// is 32 random hex digits (the host's Random: seeded in simulation) and names its own directory
// in execution.checkpointing.dir (JobStorageDir), where its checkpoints and default savepoints
// go; paths a user gives (savepointPath, a savepoint's target directory) stay relative to
// execution.checkpointing.dir itself, and a savepoint of another job is imported first.
//
// The leader reads the store, records CANCELED for queued jobs whose cancel was requested, and
// runs the oldest job without a result (by the spec's create revision) under a JobMaster
// (engine/jobmanager/job_master.h) with the job's own settings. Each job runs under a leadership
// of its own: the dispatcher campaigns again (as the lease's holder it wins at once) before each
// job, so the job's epoch is new and TaskManagers fence anything left of the previous job. With
// no job to run it keeps its lease and waits for a submission. A JobManager that takes over
// finds the same store and runs the same job on, from its latest completed checkpoint.
//
// Not supported in a session cluster (refused at submission): scheduler-mode: reactive.
// Between jobs no JobMaster runs, so no TaskManager is registered (GET /taskmanagers is empty).
//
// Events: "dispatcher.job_submitted" (id, job), "dispatcher.job_started" (id, epoch),
// "dispatcher.job_ended" (id, outcome), "dispatcher.job_cancelled" (a queued one),
// "dispatcher.store_unreadable", and the JobManager's (engine/jobmanager/job_manager.h).
#pragma once

#include <string>

#include "engine/base/status.h"
#include "engine/jobmanager/job_manager.h"
#include "engine/runtime/host.h"

namespace sluice {

// The etcd key of a session cluster's job spec under the cluster's key prefix.
inline std::string JobSpecKey(const std::string& cluster_prefix, const std::string& job_id) {
  return cluster_prefix + "jobs/" + job_id + "/spec";
}

// Runs a session cluster's JobManager with `config` (its `job` is unused; admit_job and
// job_settings are required) until the host stops it: it returns only an error of its setup
// (kInvalidArgument for a config without them, the network's error if the REST port cannot be
// listened on). May suspend.
Status RunSessionJobManager(Host& host, const JobManagerConfig& config);

}  // namespace sluice
