#include "engine/taskmanager/task_manager.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <tuple>

#include "engine/config/process_options.h"
#include "engine/ha/etcd_client.h"
#include "engine/ha/leader_election.h"
#include "engine/rest/http.h"
#include "engine/rest/prometheus.h"
#include "engine/rpc/control.h"
#include "engine/rpc/frame.h"
#include "engine/runtime/sync.h"
#include "engine/state/rocksdb_keyed_state_backend.h"
#include "engine/taskmanager/task.h"

namespace sluice {
namespace {

constexpr size_t kOutboxCapacity = 4096;
constexpr int64_t kConnectTimeoutNs = 1000 * 1000 * 1000LL;

struct TaskKey {
  int64_t attempt;
  int chain;
  int subtask;
  bool operator<(const TaskKey& o) const {
    return std::tie(attempt, chain, subtask) < std::tie(o.attempt, o.chain, o.subtask);
  }
};

// One connection to one JobManager, from registration until it breaks or goes silent.
struct Session {
  Session(Host& host) : outbox(host.fibers, kOutboxCapacity) {}
  Channel<std::string> outbox;
  int64_t epoch = 0;  // the JobManager's epoch once it answered the registration; 0 before
};

// State that outlives the JobManager sessions: the running tasks and the way out to the leader.
struct TaskManagerState {
  Host& host;
  const TaskManagerConfig& config;
  DataServer data_server;
  std::map<TaskKey, std::shared_ptr<Task>> tasks;
  std::map<TaskKey, FiberId> task_fibers;
  Session* leader = nullptr;    // the session of the highest epoch registered with, or null
  int64_t epoch = 0;            // highest JobManager epoch registered with (fencing token)
  int64_t highest_attempt = 0;  // highest attempt deployed here

  // Task reports go to the leader only: an older epoch's JobManager drops them anyway.
  void Send(const ControlMessage& m) {
    if (leader != nullptr && !leader->outbox.closed()) leader->outbox.Push(m.Encode());
  }
  // Cancels the tasks whose attempt satisfies `cancel`.
  template <typename Predicate>
  void CancelTasksWhere(Predicate cancel) {
    for (auto it = tasks.begin(); it != tasks.end();) {
      if (!cancel(it->first.attempt)) {
        ++it;
        continue;
      }
      host.fibers.Cancel(task_fibers[it->first]);
      task_fibers.erase(it->first);
      it = tasks.erase(it);
    }
  }
  void CancelTasks(int64_t up_to_attempt) {
    CancelTasksWhere([up_to_attempt](int64_t attempt) { return attempt <= up_to_attempt; });
    // Only attempts that existed are dropped: a later attempt (after a reconnect) must still be
    // able to open data connections here.
    data_server.DropAttemptsUpTo(std::min(up_to_attempt, highest_attempt));
  }
  // Cancels the tasks of exactly `attempt` (one pipelined region's).
  void CancelAttempt(int64_t exact) {
    CancelTasksWhere([exact](int64_t attempt) { return attempt == exact; });
    data_server.DropAttempt(exact);
  }
  // Cancels the tasks of every epoch up to and including `epoch`.
  void CancelEpochsUpTo(int64_t epoch) { CancelTasks((epoch + 1) * kAttemptsPerEpoch - 1); }
};

void Deploy(TaskManagerState& tm, const ControlMessage& m) {
  auto spec = JobSpec::Decode(m.text);
  TaskKey key{m.attempt, m.chain, m.subtask};
  if (!spec.ok() || tm.tasks.count(key) != 0) {
    tm.Send(TaskStateMessage(m.epoch, m.attempt, m.chain, m.subtask, TaskState::kFailed,
                             spec.ok() ? "duplicate deployment" : spec.status().ToString(),
                             TaskFailure::kRecoverable));
    return;
  }
  tm.highest_attempt = std::max(tm.highest_attempt, m.attempt);
  tm.host.log.Info("task.deployed",
                   std::to_string(m.chain) + "/" + std::to_string(m.subtask) + " attempt " +
                       std::to_string(m.attempt) + " epoch " + std::to_string(m.epoch),
                   {{"epoch", m.epoch},
                    {"attempt", m.attempt},
                    {"chain", m.chain},
                    {"subtask", m.subtask},
                    {"job", 0, spec->job}});
  // A session cluster's job keeps its checkpoints in its own directory (JobStorageDir).
  ExternalServices services = tm.config.services;
  services.checkpoint_dir = JobStorageDir(services.checkpoint_dir, *spec);
  TaskDeployment deployment{m.epoch,     m.attempt,      std::move(spec).value(),
                            m.chain,     m.subtask,      m.consumers,
                            m.restore_paths, m.final_commit};
  auto task =
      std::make_shared<Task>(tm.host, std::move(deployment), std::move(services),
                             tm.config.build_graph, &tm.data_server,
                             [state = &tm](ControlMessage out) { state->Send(out); });
  tm.tasks[key] = task;
  // The fiber co-owns the task: a cancelled task unwinds after the TaskManager forgot it.
  tm.task_fibers[key] = tm.host.fibers.Spawn("task " + task->name(), [task, state = &tm, key] {
    task->Run();
    auto it = state->tasks.find(key);
    if (it != state->tasks.end() && it->second == task) {
      state->tasks.erase(it);
      state->task_fibers.erase(key);
    }
  });
}

void Dispatch(TaskManagerState& tm, Session& session, const ControlMessage& m) {
  if (m.epoch < tm.epoch && !SLUICE_BUG_PLANTED(tm.host, "stale-epoch-accepted")) {
    tm.host.log.Warn("taskmanager.fenced", std::string(ControlTypeName(m.type)) + " from epoch " +
                                               std::to_string(m.epoch));
    return;
  }
  switch (m.type) {
    case ControlType::kDeploy:
      Deploy(tm, m);
      break;
    case ControlType::kTriggerCheckpoint: {
      auto it = tm.tasks.find(TaskKey{m.attempt, m.chain, m.subtask});
      if (it != tm.tasks.end()) it->second->TriggerCheckpoint(m.checkpoint_id, m.terminate, m.savepoint);
      break;
    }
    case ControlType::kAddSplits: {
      auto it = tm.tasks.find(TaskKey{m.attempt, m.chain, m.subtask});
      if (it != tm.tasks.end()) it->second->AddSplits(m.split_index, m.splits, m.no_more_splits);
      break;
    }
    case ControlType::kNotifyCheckpointComplete:
      for (auto& [key, task] : tm.tasks) {
        if (key.attempt == m.attempt) task->NotifyCheckpointComplete(m.checkpoint_id);
      }
      break;
    case ControlType::kCancelAttempt:
      tm.CancelTasks(m.attempt);
      break;
    case ControlType::kCancelExecution:
      tm.CancelAttempt(m.attempt);
      break;
    case ControlType::kHeartbeat: {
      ControlMessage reply;
      reply.type = ControlType::kHeartbeat;
      reply.epoch = tm.epoch;
      reply.text = tm.config.id;
      session.outbox.Push(reply.Encode());
      break;
    }
    default:
      tm.host.log.Warn("taskmanager.unexpected", ControlTypeName(m.type));
  }
}

// GET /metrics: the TaskManager's tasks in Prometheus text (TaskManagerConfig::metrics_port);
// other paths 404, other methods 405. Never suspends.
HttpResponse MetricsResponse(const TaskManagerState& tm, int64_t started_ns,
                             const HttpRequest& request) {
  if (!BearerTokenAccepted(request, tm.config.metrics_bearer_token)) return UnauthorizedResponse();
  HttpResponse response;
  if (request.method != "GET") {
    response.status = 405;
    response.content_type = "text/plain";
    response.body = request.method + " is not supported\n";
    return response;
  }
  if (request.path != "/metrics") {
    response.status = 404;
    response.content_type = "text/plain";
    response.body = "Not found: " + request.path + " (try /metrics)\n";
    return response;
  }
  using Type = PrometheusText::Type;
  PrometheusText text;
  const int64_t now_ns = tm.host.clock.NowNs();
  text.Add("sluice_taskmanager_uptime", "Milliseconds since the TaskManager started.",
           Type::kGauge, {{"tm_id", tm.config.id}},
           static_cast<double>((now_ns - started_ns) / kNanosPerMilli));
  for (const auto& [key, task] : tm.tasks) {
    const Task::Metrics metrics = task->metrics();
    const PrometheusText::Labels labels = {
        {"tm_id", tm.config.id},
        {"job_name", task->deployment().spec.job},
        {"task_name", metrics.chain_name},
        {"subtask_index", std::to_string(key.subtask)},
        {"task_attempt_num", std::to_string(key.attempt)}};
    const auto add = [&](const char* name, const char* help, double value) {
      text.Add(std::string("sluice_taskmanager_job_task_") + name, help, Type::kCounter, labels,
               value);
    };
    add("numRecordsIn", "Records the task took in (a source: emitted).",
        static_cast<double>(metrics.times.records_in));
    add("numRecordsOut", "Records the task sent downstream.",
        static_cast<double>(metrics.records_out));
    add("accumulateBusyTimeMs", "Milliseconds busy since the task started running.",
        static_cast<double>(metrics.times.busy_ns / kNanosPerMilli));
    add("accumulateIdleTimeMs", "Milliseconds waiting for input.",
        static_cast<double>(metrics.times.idle_ns / kNanosPerMilli));
    add("accumulateBackPressuredTimeMs", "Milliseconds waiting for credit downstream.",
        static_cast<double>(metrics.times.backpressured_ns / kNanosPerMilli));
  }
  response.content_type = kPrometheusContentType;
  response.body = text.text();
  return response;
}

// Runs one session with the JobManager on `stream`: registers, then obeys it until the
// connection breaks or the JobManager goes silent for heartbeat_timeout.
void RunSession(TaskManagerState& tm, std::unique_ptr<Stream> stream) {
  Host& host = tm.host;
  Session session(host);
  int64_t last_heard_ns = host.clock.NowNs();
  bool done = false;
  const FiberId writer = host.fibers.Spawn("jm-writer", [&] {
    while (auto frame = session.outbox.Pop()) {
      if (!WriteFrame(*stream, *frame).ok()) break;
    }
    stream->Close();
  });
  const FiberId watchdog = host.fibers.Spawn("jm-watchdog", [&] {
    while (!done) {
      host.fibers.SleepFor(tm.config.heartbeat_timeout_ns / 4);
      if (host.clock.NowNs() - last_heard_ns > tm.config.heartbeat_timeout_ns) {
        host.log.Warn("taskmanager.jobmanager_timeout", tm.config.id);
        stream->Close();
        return;
      }
    }
  });
  ControlMessage hello;
  hello.type = ControlType::kRegister;
  hello.text = tm.config.id;
  // The port bound (taskmanager.data.port 0 binds any free one).
  hello.address = Address{tm.config.data_address.host, tm.data_server.port()};
  hello.slots = tm.config.slots;
  session.outbox.Push(hello.Encode());
  FrameReader reader(stream.get());
  for (;;) {
    auto frame = reader.Next();
    if (!frame.ok()) break;
    auto message = ControlMessage::Decode(frame.value());
    if (!message.ok()) {
      host.log.Warn("taskmanager.bad_message", message.status().ToString());
      break;
    }
    last_heard_ns = host.clock.NowNs();
    if (message->type == ControlType::kRegistered) {
      if (message->epoch < tm.epoch) break;  // a deposed JobManager: leave it
      session.epoch = message->epoch;
      if (message->epoch > tm.epoch) {
        // A new leader: it restarts the job from its latest checkpoint; the old epoch's tasks go.
        tm.epoch = message->epoch;
        tm.CancelEpochsUpTo(tm.epoch - 1);
      }
      tm.leader = &session;
      host.log.Info("taskmanager.registered", tm.config.id + " epoch " + std::to_string(tm.epoch),
                    {{"epoch", tm.epoch}});
      continue;
    }
    Dispatch(tm, session, message.value());
  }
  // Lost this JobManager: the tasks of its epoch cannot be trusted to finish under it.
  done = true;
  if (tm.leader == &session) tm.leader = nullptr;
  if (session.epoch > 0) tm.CancelEpochsUpTo(session.epoch);
  session.outbox.Close();
  stream->Close();
  host.fibers.Cancel(watchdog);
  host.fibers.Join(writer);
  host.fibers.Join(watchdog);
}

}  // namespace

namespace {

// Leader retrieval: polls the leader key on etcd and calls `start_session` once for every
// JobManager address it sees lead. Runs until cancelled. May suspend.
void RetrieveLeaders(Host& host, const TaskManagerConfig& config,
                     const std::function<void(const Address&)>& start_session) {
  EtcdClient etcd(host, config.etcd, config.leader_poll_interval_ns);
  std::set<std::string> known;  // the addresses with a session
  std::string last_logged;
  for (;;) {
    auto read = etcd.Get(config.leader_key);
    if (read.ok() && !read->kvs.empty()) {
      const LeaderRecord leader = LeaderRecord::Decode(read->kvs[0].value);
      auto address = ParseHostPort(leader.address, config.leader_key);
      if (!address.ok()) {
        if (last_logged != leader.address) {
          host.log.Warn("taskmanager.leader_unusable",
                        leader.id + ": " + address.status().ToString());
        }
        last_logged = leader.address;
      } else if (known.count(leader.address) == 0 && known.size() < kLeaderAddressesMax) {
        known.insert(leader.address);
        host.log.Info("taskmanager.leader_retrieved", leader.id + " at " + leader.address);
        start_session(Address{address->host, static_cast<uint16_t>(address->port)});
      }
    }
    host.fibers.SleepFor(config.leader_poll_interval_ns);
  }
}

}  // namespace

Status RunTaskManager(Host& host, const TaskManagerConfig& config) {
  if (config.job_managers.empty() && (config.etcd.empty() || config.leader_key.empty())) {
    return InvalidArgumentError("taskmanager " + config.id +
                                ": no JobManager address and no etcd to retrieve the leader from");
  }
  if (!config.build_graph) {
    return InvalidArgumentError("taskmanager " + config.id + ": no job graph factory configured");
  }
  // RocksDB instances a crash left behind belong to no task now.
  RETURN_IF_ERROR(RemoveDirRecursively(host.fs, RocksDbStateBackend::kTaskManagerRoot)
                      .WithContext("taskmanager " + config.id + ": clearing old RocksDB state"));
  TaskManagerState tm{host, config, DataServer(host), {}, {}, nullptr, 0, 0};
  RETURN_IF_ERROR(tm.data_server.Start(Address{config.bind_host, config.data_address.port}));
  host.log.Info("taskmanager.started", config.id);
  std::unique_ptr<Listener> metrics_listener;
  if (config.metrics_port >= 0) {
    ASSIGN_OR_RETURN(metrics_listener,
                     host.network.Listen(Address{config.bind_host,
                                                 static_cast<uint16_t>(config.metrics_port)},
                                         Protocol::kHttp));
    host.log.Info("metrics.listening", "port " + std::to_string(metrics_listener->port()));
    const int64_t started_ns = host.clock.NowNs();
    host.fibers.Spawn("tm-metrics", [&host, &tm, &metrics_listener, started_ns] {
      ServeHttp(host, *metrics_listener, [&tm, started_ns](const HttpRequest& request) {
        return MetricsResponse(tm, started_ns, request);
      });
    });
  }
  std::vector<FiberId> sessions;
  // A session with `job_manager` for the TaskManager's whole life, reconnecting after each end.
  auto start_session = [&tm, &host, &config, &sessions](const Address& job_manager) {
    sessions.push_back(host.fibers.Spawn("jm-session " + job_manager.ToString(), [&tm, &host,
                                                                                 &config,
                                                                                 job_manager] {
      bool refused = false;  // the last attempt failed authentication (logged once per streak)
      for (;;) {
        auto stream = host.network.Connect(job_manager, kConnectTimeoutNs);
        if (stream.ok()) RunSession(tm, std::move(stream).value());
        const bool unauthenticated =
            !stream.ok() && stream.status().code() == StatusCode::kUnauthenticated;
        if (unauthenticated && !refused) {
          host.log.Warn("taskmanager.auth_failed", stream.status().ToString());
        }
        refused = unauthenticated;
        host.fibers.SleepFor(config.reconnect_delay_ns);
      }
    }));
  };
  for (const Address& job_manager : config.job_managers) start_session(job_manager);
  if (config.job_managers.empty()) RetrieveLeaders(host, config, start_session);
  for (FiberId session : sessions) host.fibers.Join(session);  // they run until cancelled
  return Status::Ok();
}

}  // namespace sluice
