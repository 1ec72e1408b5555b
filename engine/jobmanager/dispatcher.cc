#include "engine/jobmanager/dispatcher.h"

#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "engine/config/core_options.h"
#include "engine/jobmanager/job_master.h"
#include "engine/jobmanager/rest_api.h"
#include "engine/runtime/sync.h"

namespace sluice {
namespace {

constexpr size_t kWakeCapacity = 256;

// A job of the store: its spec, when it was submitted and its outcome once it ended.
struct StoredJob {
  JobSpec spec;
  int64_t revision = 0;  // the spec's create revision: the submission order
  std::optional<Status> result;
};

// Every job in the store under `prefix`, in submission order. A spec that does not decode is
// left out (logged); a result that does not parse counts as FAILED (a job never runs twice).
// Errors as EtcdClient::GetPrefix. May suspend.
Result<std::vector<StoredJob>> ReadJobs(EtcdClient& etcd, const std::string& prefix,
                                        EventLog& log) {
  const std::string dir = prefix + "jobs/";
  ASSIGN_OR_RETURN(const EtcdRangeResult read, etcd.GetPrefix(dir));
  std::map<std::string, StoredJob> specs;
  std::map<std::string, Status> results;
  for (const EtcdKeyValue& kv : read.kvs) {
    const std::string path = kv.key.substr(dir.size());
    const size_t slash = path.find('/');
    if (slash == std::string::npos) continue;
    const std::string id = path.substr(0, slash);
    const std::string name = path.substr(slash + 1);
    if (name == "spec") {
      auto spec = JobSpec::Decode(kv.value);
      if (!spec.ok() || spec->job_id != id) {
        log.Warn("dispatcher.store_unreadable",
                 kv.key + ": " + (spec.ok() ? "the spec names another id" : spec.status().ToString()));
        continue;
      }
      specs[id] = StoredJob{std::move(spec).value(), kv.create_revision, std::nullopt};
    } else if (name == "job-result") {
      Status outcome;
      const Status parsed = ParseJobResult(kv.key, kv.value, &outcome);
      results[id] = parsed.ok() ? outcome : AbortedError(parsed.message());
    }
  }
  std::vector<StoredJob> jobs;
  for (auto& [id, job] : specs) {
    auto result = results.find(id);
    if (result != results.end()) job.result = result->second;
    jobs.push_back(std::move(job));
  }
  std::sort(jobs.begin(), jobs.end(),
            [](const StoredJob& a, const StoredJob& b) { return a.revision < b.revision; });
  return jobs;
}

// Flink's JobStatus of an ended job's outcome.
std::string EndState(const Status& result) {
  return result.ok()                                  ? "FINISHED"
         : result.code() == StatusCode::kCancelled ? "CANCELED"
                                                     : "FAILED";
}

// A new job id: 32 hex digits (Flink's JobID is 16 random bytes).
std::string NewJobId(Random& random) {
  const uint64_t high = random.NextU64();
  const uint64_t low = random.NextU64();
  return fmt::format("{:016x}{:016x}", high, low);
}

// Runs `config.job` under a JobMaster of the current leadership, on a listener of its own.
// Returns the JobMaster's outcome (engine/jobmanager/job_master.h); a job whose graph cannot be
// built fails (recorded, fenced). May suspend.
Status RunJob(Host& host, const JobManagerConfig& config, LeaderElection& election,
              JobManagerRestState* rest, EtcdClient& etcd,
              std::map<std::string, JobSnapshot::Savepoint>* savepoints) {
  Result<JobGraph> graph = config.build_graph(config.job);
  Result<std::vector<Chain>> chains =
      graph.ok() ? BuildChains(*graph) : Result<std::vector<Chain>>(graph.status());
  if (!chains.ok()) {
    const Status failed = AbortedError(chains.status().ToString());
    RETURN_IF_ERROR(RecordJobResult(
        etcd, election.fence(), JobKeyPrefix(config.leader_election.key_prefix, config.job),
        failed));
    return failed;
  }
  ASSIGN_OR_RETURN(auto listener, host.network.Listen(Address{config.bind_host, config.port}));
  JobMaster master(host, config, config.job, *graph, std::move(chains).value(), election, rest);
  Status status = master.Run(*listener);
  if (rest->snapshot) *savepoints = rest->snapshot().savepoints;
  return status;
}

}  // namespace

Status RunSessionJobManager(Host& host, const JobManagerConfig& config) {
  if (!config.build_graph || !config.admit_job || !config.job_settings) {
    return InvalidArgumentError(
        "a session cluster's JobManagerConfig needs build_graph, admit_job and job_settings");
  }
  if (config.etcd.empty()) return InvalidArgumentError("JobManagerConfig has no etcd endpoints");
  const std::string& prefix = config.leader_election.key_prefix;
  const std::string& self = config.leader_election.candidate_id;
  LeaderElection election(host, config.etcd, config.leader_election,
                          config.etcd_request_timeout_ns);
  EtcdClient etcd = election.NewClient();  // the dispatcher's loop's
  // Wakes the loop between jobs: a submission or cancel (true), leadership lost (false).
  Channel<bool> wake(host.fibers, kWakeCapacity);
  bool leading = false;
  std::set<std::string> cancel_requests;  // queued jobs to record CANCELED
  // The savepoint requests of the jobs this JobManager ran, by job id (SessionJob::savepoints).
  std::map<std::string, std::map<std::string, JobSnapshot::Savepoint>> savepoints;
  JobManagerRestState rest_state;
  rest_state.id = self;
  rest_state.bearer_token = config.rest_bearer_token;
  rest_state.session = true;
  rest_state.submit_job = [&](JobSpec submitted) -> Result<std::string> {
    if (!leading) return UnavailableError("JobManager " + self + " is not leading");
    ASSIGN_OR_RETURN(JobSpec spec, config.admit_job(std::move(submitted)));
    ASSIGN_OR_RETURN(const Configuration settings, config.job_settings(spec));
    if (ReactiveModeOf(settings)) {
      return InvalidArgumentError(std::string(SchedulerMode().key) +
                                  ": reactive runs a job cluster only (sluice jobmanager --job)");
    }
    spec.job_id = NewJobId(host.random);
    EtcdClient client = election.NewClient();  // this request's fiber's
    RETURN_IF_ERROR(FencedWrite(client, election.fence(),
                                {EtcdOp::Put(JobSpecKey(prefix, spec.job_id), spec.Encode())}));
    host.log.Info("dispatcher.job_submitted", spec.job_id + " " + spec.job);
    rest_state.jobs.push_back(SessionJob{spec.job_id, spec.job, "CREATED", "", {}});
    wake.Push(true);
    return spec.job_id;
  };
  rest_state.cancel_queued = [&](const std::string& id) {
    cancel_requests.insert(id);
    for (SessionJob& job : rest_state.jobs) {
      if (job.id == id) job.state = "CANCELLING";
    }
    wake.Push(true);
  };
  RestServer rest(host);
  if (config.rest_port >= 0) {
    RETURN_IF_ERROR(rest.Start(config.rest_bind_host, static_cast<uint16_t>(config.rest_port),
                               &rest_state));
  }
  for (;;) {
    leading = false;
    rest_state.leader = false;
    auto epoch = election.Campaign([] { return false; });
    if (!epoch.ok()) return epoch.status();
    leading = true;
    rest_state.leader = true;
    rest_state.epoch = *epoch;
    // Leading between jobs: keep the lease while looking for the next job.
    bool lost = false;
    election.StartRenewing([&](const std::string&) {
      lost = true;
      wake.Push(false);
    });
    std::optional<JobSpec> next;
    for (int tries = 0; !lost && !next; ++tries) {
      auto jobs = ReadJobs(etcd, prefix, host.log);
      if (jobs.ok()) {
        for (StoredJob& job : *jobs) {
          if (job.result || cancel_requests.count(job.spec.job_id) == 0) continue;
          const Status cancelled = CancelledError("job canceled");
          const Status recorded = RecordJobResult(
              etcd, election.fence(), JobKeyPrefix(prefix, job.spec), cancelled);
          if (!recorded.ok()) continue;  // fenced or unreachable: the next look retries
          host.log.Info("dispatcher.job_cancelled", job.spec.job_id);
          job.result = cancelled;
          cancel_requests.erase(job.spec.job_id);
        }
        rest_state.jobs.clear();
        for (const StoredJob& job : *jobs) {
          const std::string& id = job.spec.job_id;
          rest_state.jobs.push_back(SessionJob{
              id, job.spec.job,
              job.result                          ? EndState(*job.result)
              : cancel_requests.count(id) != 0 ? "CANCELLING"
                                                  : "CREATED",
              job.result && job.result->code() == StatusCode::kAborted ? job.result->message()
                                                                        : "",
              savepoints[id]});
          if (!job.result && !next && cancel_requests.count(id) == 0) next = job.spec;
        }
        if (next) break;
      } else if (tries % 50 == 0) {
        host.log.Warn("dispatcher.store_unreadable", jobs.status().ToString());
      }
      (void)wake.Pop(host.clock.NowNs() + 5 * config.leader_election.renew_interval_ns);
    }
    election.StopRenewing();
    if (lost || !next) continue;
    // The job's own leadership (a new epoch: see the top of dispatcher.h).
    leading = false;
    rest_state.leader = false;
    epoch = election.Campaign([] { return false; });
    if (!epoch.ok()) return epoch.status();
    leading = true;
    rest_state.epoch = *epoch;
    JobManagerConfig job_config = config;
    job_config.job = *next;
    const std::string id = next->job_id;
    host.log.Info("dispatcher.job_started", id + " " + next->job + " epoch " + std::to_string(*epoch));
    Status status;
    if (auto settings = config.job_settings(job_config.job); settings.ok()) {
      ApplyJobManagerSettings(*settings, &job_config);
      status = RunJob(host, job_config, election, &rest_state, etcd, &savepoints[id]);
    } else {
      // Admitted under other settings (another JobManager's configuration): it cannot run here.
      status = AbortedError(settings.status().ToString());
      (void)RecordJobResult(etcd, election.fence(), JobKeyPrefix(prefix, job_config.job), status);
    }
    if (!status.ok() && status.code() != StatusCode::kCancelled &&
        status.code() != StatusCode::kAborted) {
      // Leadership lost (or no port to serve on): whoever leads next runs it on.
      host.log.Warn("dispatcher.job_interrupted", id + ": " + status.ToString());
      continue;
    }
    host.log.Info("dispatcher.job_ended", id + " " + EndState(status));
    for (SessionJob& job : rest_state.jobs) {
      if (job.id != id) continue;
      job.state = EndState(status);
      if (status.code() == StatusCode::kAborted) job.failure = status.message();
      job.savepoints = savepoints[id];
    }
  }
}

}  // namespace sluice
