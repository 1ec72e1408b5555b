#include "engine/jobmanager/job_manager.h"

#include <functional>
#include <map>
#include <memory>

#include "engine/jobmanager/rest_api.h"

#include <optional>

#include "engine/base/assert.h"
#include "engine/config/core_options.h"
#include "engine/jobmanager/checkpoint_compatibility.h"
#include "engine/jobmanager/job_master.h"

namespace sluice {
namespace {

constexpr char kFinished[] = "FINISHED\n";
constexpr char kFailed[] = "FAILED\n";
constexpr char kCanceled[] = "CANCELED\n";

}  // namespace

Status ParseJobResult(const std::string& key, const std::string& text, Status* outcome) {
  if (text == kFinished) {
    *outcome = Status::Ok();
  } else if (text == kCanceled) {
    *outcome = CancelledError("job canceled");
  } else if (text.rfind(kFailed, 0) == 0) {
    *outcome = AbortedError("job failed: " + text.substr(sizeof(kFailed) - 1));
  } else {
    return DataLossError(key + ": not a job result (FINISHED, FAILED or CANCELED)");
  }
  return Status::Ok();
}

Result<std::optional<Status>> ReadJobResult(EtcdClient& etcd, const std::string& key_prefix) {
  const std::string key = JobResultKey(key_prefix);
  ASSIGN_OR_RETURN(const EtcdRangeResult read, etcd.Get(key));
  if (read.kvs.empty()) return std::optional<Status>();
  Status outcome;
  RETURN_IF_ERROR(ParseJobResult(key, read.kvs[0].value, &outcome));
  return std::optional<Status>(std::move(outcome));
}

Status RecordJobResult(EtcdClient& etcd, const LeaderFence& fence, const std::string& key_prefix,
                       const Status& result) {
  return FencedWrite(etcd, fence,
                     {EtcdOp::Put(JobResultKey(key_prefix),
                                  result.ok() ? kFinished
                                  : result.code() == StatusCode::kCancelled
                                      ? kCanceled
                                      : kFailed + result.message())});
}

void ApplyJobManagerSettings(const Configuration& settings, JobManagerConfig* config) {
  constexpr int64_t kNanosPerMs = 1000 * 1000;
  config->checkpoint_interval_ns = settings.GetDurationMs(CheckpointingInterval()) * kNanosPerMs;
  config->checkpoint_timeout_ns = settings.GetDurationMs(CheckpointingTimeout()) * kNanosPerMs;
  config->checkpoints_retained = static_cast<int>(settings.GetInt(CheckpointingNumRetained()));
  config->checkpoint_min_pause_ns = settings.GetDurationMs(CheckpointingMinPause()) * kNanosPerMs;
  config->checkpoint_max_concurrent =
      static_cast<int>(settings.GetInt(CheckpointingMaxConcurrent()));
  config->checkpoint_tolerable_failed =
      static_cast<int>(settings.GetInt(CheckpointingTolerableFailed()));
  auto restart = RestartStrategyConfigFrom(settings);
  SLUICE_ASSERT(restart.ok(), "JobRegistry::EffectiveSettings checked the restart strategy");
  config->restart = *restart;
  config->load_balance = LoadBalanceModeOf(settings);
  config->failover_strategy = FailoverStrategyOf(settings);
  config->heartbeat_interval_ns = settings.GetDurationMs(HeartbeatInterval()) * kNanosPerMs;
  config->heartbeat_timeout_ns = settings.GetDurationMs(HeartbeatTimeout()) * kNanosPerMs;
  config->reactive = ReactiveModeOf(settings);
  config->savepoint_path = settings.GetString(SavepointPath());
  config->resource_stabilization_timeout_ns =
      settings.GetDurationMs(ResourceStabilizationTimeout()) * kNanosPerMs;
}

Status RunJobManager(Host& host, const JobManagerConfig& config) {
  if (!config.build_graph) return InvalidArgumentError("JobManagerConfig has no build_graph");
  if (config.etcd.empty()) return InvalidArgumentError("JobManagerConfig has no etcd endpoints");
  // The job as deployed: the submitted spec, at the parallelism the reactive scheduler chose
  // last (kRescale).
  JobSpec spec = config.job;
  ASSIGN_OR_RETURN(JobGraph graph, config.build_graph(spec));
  ASSIGN_OR_RETURN(std::vector<Chain> chains, BuildChains(graph));
  std::map<int, int> slots_at;  // reactive mode: SlotsToRescale by parallelism, for this graph
  LeaderElection election(host, config.etcd, config.leader_election,
                          config.etcd_request_timeout_ns);
  EtcdClient etcd = election.NewClient();  // the campaign's result checks
  // The REST API, for the JobManager's whole life (stopped by RestServer's destructor).
  JobManagerRestState rest_state;
  rest_state.id = config.leader_election.candidate_id;
  rest_state.bearer_token = config.rest_bearer_token;
  RestServer rest(host);
  if (config.rest_port >= 0) {
    RETURN_IF_ERROR(rest.Start(config.rest_bind_host, static_cast<uint16_t>(config.rest_port),
                               &rest_state));
  }
  for (;;) {
    std::optional<Status> recorded;
    Status unreadable;
    auto epoch = election.Campaign([&] {
      auto result = ReadJobResult(etcd, config.leader_election.key_prefix);
      if (result.ok()) recorded = result.value();
      if (result.status().code() == StatusCode::kDataLoss) unreadable = result.status();
      return recorded.has_value() || !unreadable.ok();
    });
    if (!unreadable.ok()) return unreadable;
    if (recorded) {
      host.log.Info("jobmanager.job_result", recorded->ok() ? "FINISHED" : recorded->ToString());
      return *recorded;
    }
    if (!epoch.ok()) return epoch.status();
    ASSIGN_OR_RETURN(auto listener, host.network.Listen(Address{config.bind_host, config.port}));
    std::function<int(int)> reactive_slots;
    if (config.reactive) {
      reactive_slots = [&](int parallelism) {
        auto [it, fresh] = slots_at.try_emplace(parallelism, 0);
        if (fresh) it->second = SlotsToRescale(config.build_graph, config.job, graph, parallelism);
        return it->second;
      };
    }
    JobMaster master(host, config, spec, graph, chains, election, &rest_state,
                     std::move(reactive_slots));
    Status status = master.Run(*listener);
    if (const int parallelism = master.rescale_to(); parallelism > 0) {
      // Reactive mode: lead again (a new epoch, taken at once as the lease's holder) with the
      // job at its new parallelism, from the latest checkpoint.
      spec.settings.Set(ParallelismDefault().key, std::to_string(parallelism));
      ASSIGN_OR_RETURN(graph, config.build_graph(spec));
      ASSIGN_OR_RETURN(chains, BuildChains(graph));
      slots_at.clear();
      continue;
    }
    if (status.code() != StatusCode::kUnavailable) {
      if (config.rest_linger_ns > 0 && config.rest_port >= 0) {
        // The job has ended: answer about it a while longer, but take no more requests.
        rest_state.trigger_savepoint = nullptr;
        rest_state.cancel_job = nullptr;
        host.fibers.SleepFor(config.rest_linger_ns);
      }
      return status;
    }
    // Leadership lost: stand by and campaign again.
  }
}

}  // namespace sluice
