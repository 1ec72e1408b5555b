#include "engine/jobmanager/job_master.h"

#include <algorithm>

#include "engine/base/assert.h"
#include "engine/jobmanager/checkpoint_compatibility.h"
#include "engine/rpc/frame.h"

namespace sluice {
namespace {
constexpr size_t kEventQueueCapacity = 1 << 16;
constexpr size_t kOutboxCapacity = 4096;
}  // namespace

// One TaskManager connection: a reader fiber (ServeConnection) and a writer fiber draining outbox.
struct JobMaster::Connection {
  Connection(Host& host, std::unique_ptr<Stream> s, uint64_t id)
      : stream(std::move(s)), outbox(host.fibers, kOutboxCapacity), session(id) {}
  std::unique_ptr<Stream> stream;
  Channel<std::string> outbox;
  uint64_t session;
};

JobMaster::JobMaster(Host& host, const JobManagerConfig& config, const JobSpec& spec,
                     const JobGraph& graph, std::vector<Chain> chains, LeaderElection& election,
                     JobManagerRestState* rest, std::function<int(int)> reactive_slots)
    : host_(host),
      config_(config),
      election_(election),
      epoch_(election.epoch()),
      log_(host.log, {EventField{"job", 0, config.job.job}, EventField{"epoch", epoch_}}),
      checkpoint_store_(host, config.services.checkpoint_store),
      etcd_(election.NewClient()),
      events_(host.fibers, kEventQueueCapacity),
      sources_(SourceCoordinator::SourcesOf(graph, chains),
               [&host](std::string_view bug) { return SLUICE_BUG_PLANTED(host, std::string(bug)); }),
      coordinator_(CheckpointCoordinator::Options{
          config.checkpoint_interval_ns, config.checkpoint_timeout_ns,
          [&host](std::string_view bug) { return SLUICE_BUG_PLANTED(host, std::string(bug)); },
          &sources_, config.checkpoints_retained, config.checkpoint_min_pause_ns,
          config.checkpoint_max_concurrent, config.checkpoint_tolerable_failed,
          CheckpointedGraphOf(graph, chains)}),
      scheduler_(
          JobScheduler::Options{
              epoch_, config.restart, &host.random, config.load_balance,
              config.heartbeat_interval_ns, config.heartbeat_timeout_ns,
              config.min_taskmanagers, config.initial_resource_wait_ns,
              [&host](std::string_view bug) { return SLUICE_BUG_PLANTED(host, std::string(bug)); },
              config.failover_strategy == FailoverStrategy::kRegion
                  ? PipelinedRegions(graph, chains)
                  : std::vector<std::vector<JobScheduler::TaskId>>{},
              std::move(reactive_slots),
              // 0 (unknown: the job's own default) if the spec does not set it.
              spec.settings.entries().count(ParallelismDefault().key) != 0
                  ? static_cast<int>(spec.settings.GetInt(ParallelismDefault()))
                  : 0,
              config.resource_stabilization_timeout_ns},
          chains, &coordinator_),  // a copy: the regions above read `chains`
      rest_(rest),
      job_id_(JobIdOf(config.job.Encode())),
      spec_(spec.Encode()),
      max_parallelism_(graph.max_parallelism),
      started_ns_(host.clock.NowNs()) {
  for (const SourceCoordinator::SourceInfo& source : sources_.sources()) {
    discover_splits_[source.chain] = graph.nodes[source.node].source.discover;
  }
  source_chain_.assign(chains.size(), false);
  for (const SourceCoordinator::SourceInfo& source : sources_.sources()) {
    source_chain_[source.chain] = true;
  }
  // The JobManager validated the job's settings (CheckCheckpointingSettings: reactive mode).
  if (spec.settings.GetBool(AutoscalerEnabled()) && scheduler_.reactive()) {
    // The job's parallelism.default (what a rescale sets), else its widest chain's.
    int parallelism = spec.settings.entries().count(ParallelismDefault().key) != 0
                          ? static_cast<int>(spec.settings.GetInt(ParallelismDefault()))
                          : 1;
    if (spec.settings.entries().count(ParallelismDefault().key) == 0) {
      for (const Chain& chain : chains) parallelism = std::max(parallelism, chain.parallelism);
    }
    autoscaler_.emplace(AutoscalerOptionsFrom(spec.settings));
    autoscaler_->OnDeployed(parallelism, started_ns_);
    scheduler_.SetAutoscalerTarget(parallelism);
  }
  if (rest_ != nullptr) {
    rest_->leader = true;
    rest_->epoch = epoch_;
    rest_->snapshot = [this] { return Snapshot(); };
    rest_->trigger_savepoint = [this](bool terminate) {
      const std::string id =
          "savepoint-" + std::to_string(epoch_) + "-" + std::to_string(++savepoint_requests_);
      savepoints_[id].status.status = "IN_PROGRESS";
      Event event{Event::Kind::kSavepointRequested, 0, ControlMessage{}};
      event.message.text = id;
      event.message.terminate = terminate;
      events_.Push(std::move(event));
      return id;
    };
  }
}

JobMaster::~JobMaster() {
  if (rest_ == nullptr) return;
  rest_->leader = false;
  rest_->snapshot = nullptr;
  rest_->trigger_savepoint = nullptr;
}

JobSnapshot JobMaster::Snapshot() const {
  JobSnapshot job;
  job.job_id = job_id_;
  job.name = config_.job.job;
  job.state = scheduler_.JobStatusName();
  job.start_ms = started_ns_ / kNanosPerMilli;
  job.end_ms = ended_ns_ < 0 ? -1 : ended_ns_ / kNanosPerMilli;
  job.now_ms = host_.clock.NowNs() / kNanosPerMilli;
  job.max_parallelism = max_parallelism_;
  for (const Chain& chain : scheduler_.chains()) {
    job.vertices.push_back(JobSnapshot::Vertex{
        chain.name, chain.parallelism,
        scheduler_.ChainFinished(chain.id) ? "FINISHED" : std::string(job.state), {}});
    for (int subtask = 0; subtask < chain.parallelism; ++subtask) {
      auto it = task_times_.find({chain.id, subtask});
      JobSnapshot::SubtaskTimes times;
      times.subtask = subtask;
      if (it != task_times_.end()) {
        times.attempt = it->second.attempt;
        times.busy_ns = it->second.latest.busy_ns - it->second.previous.busy_ns;
        times.idle_ns = it->second.latest.idle_ns - it->second.previous.idle_ns;
        times.backpressured_ns =
            it->second.latest.backpressured_ns - it->second.previous.backpressured_ns;
      }
      job.vertices.back().subtasks.push_back(times);
    }
  }
  for (const JobScheduler::TaskManagerView& tm : scheduler_.TaskManagers()) {
    job.taskmanagers.push_back(JobSnapshot::TaskManager{tm.id, tm.data_address, tm.slots,
                                                        tm.slots - tm.slots_used,
                                                        tm.last_heard_ns / kNanosPerMilli});
  }
  job.checkpoints_completed = coordinator_.completed_count();
  job.checkpoints_failed = coordinator_.expired_count();
  job.checkpoint_in_progress = coordinator_.pending();
  if (const CompletedCheckpoint* latest = coordinator_.latest()) {
    job.latest_completed_checkpoint = latest->id;
    job.latest_checkpoint_full_bytes = latest->full_bytes;
    job.latest_checkpoint_incremental_bytes = latest->incremental_bytes;
    job.latest_checkpoint_is_savepoint = latest->is_savepoint;
    job.latest_checkpoint_duration_ms = latest_checkpoint_duration_ms_;
  }
  job.restored_checkpoint = scheduler_.restored_from();
  job.restarts = scheduler_.restarts();
  for (const auto& [id, request] : savepoints_) {
    job.savepoints[id] = request.status;
    if (request.status.status == "COMPLETED" && request.checkpoint > job.latest_savepoint) {
      job.latest_savepoint = request.checkpoint;
      job.latest_savepoint_location = request.status.location;
    }
  }
  job.failure = scheduler_.failure();
  return job;
}

Status JobMaster::Run(Listener& listener) {
  // Leadership is lost asynchronously, as Flink's revokeLeadership: the event loop learns of it
  // from its queue, so a leader paused past its lease may act on a stale view until then; the
  // epoch fences what it sends meanwhile.
  election_.StartRenewing([this](const std::string& reason) {
    events_.Push(Event{Event::Kind::kLeadershipLost, 0, ControlMessage{}});
    if (lost_leadership_.empty()) lost_leadership_ = reason;
  });
  RecoverCheckpointStore();
  if (outcome_ == Outcome::kFailed || outcome_ == Outcome::kLostLeadership) {
    if (outcome_ == Outcome::kFailed) RecordResult();
    Shutdown();
    listener.Close();
    if (outcome_ == Outcome::kFailed) return AbortedError("job failed: " + failure_);
    return UnavailableError("leadership lost: " + lost_leadership_);
  }
  log_.Info("jobmanager.started", "epoch " + std::to_string(epoch_));
  fibers_.push_back(host_.fibers.Spawn("jm-accept", [this, &listener] { Accept(listener); }));
  fibers_.push_back(host_.fibers.Spawn("jm-discovery", [this] { DiscoverSplits(); }));
  fibers_.push_back(host_.fibers.Spawn("jm-discard", [this] { DiscardCheckpoints(); }));
  scheduler_.OnStarted(host_.clock.NowNs());
  while (outcome_ == Outcome::kRunning) {
    const int64_t now = host_.clock.NowNs();
    const int64_t deadline =
        std::min(scheduler_.NextDeadlineNs(now), coordinator_.NextDeadlineNs());
    if (auto event = events_.Pop(deadline)) Handle(*event);
    if (outcome_ != Outcome::kRunning) break;
    Execute(scheduler_.OnTick(host_.clock.NowNs()));
    if (outcome_ != Outcome::kRunning) break;
    Execute(coordinator_.OnTick(host_.clock.NowNs()));
    SettleAbortedSavepoints();
  }
  listener.Close();
  if (outcome_ == Outcome::kFinished || outcome_ == Outcome::kFailed) RecordResult();
  Shutdown();
  if (outcome_ == Outcome::kLostLeadership) {
    return UnavailableError("leadership lost: " + lost_leadership_);
  }
  if (outcome_ == Outcome::kRescale) {
    return UnavailableError("rescaling to parallelism " + std::to_string(rescale_to_));
  }
  if (outcome_ == Outcome::kFailed) return AbortedError("job failed: " + failure_);
  return Status::Ok();
}

void JobMaster::LoseLeadership(const std::string& reason) {
  if (lost_leadership_.empty()) lost_leadership_ = reason;
  outcome_ = Outcome::kLostLeadership;
}

void JobMaster::RecordResult() {
  const Status result = outcome_ == Outcome::kFailed ? AbortedError(failure_) : Status::Ok();
  for (int tries = 0;; ++tries) {
    Status recorded =
        RecordJobResult(etcd_, election_.fence(), config_.leader_election.key_prefix, result);
    if (recorded.ok()) return;
    if (recorded.code() == StatusCode::kFailedPrecondition) {
      // A newer leader took over: it will run the job to its end again from the latest
      // completed checkpoint, which commits nothing twice.
      log_.Warn("jobmanager.result_fenced", recorded.ToString());
      return;
    }
    if (tries % 50 == 0) log_.Warn("jobmanager.waiting_for_store", recorded.ToString());
    host_.fibers.SleepFor(config_.heartbeat_interval_ns);
  }
}

CheckpointPointers JobMaster::Pointers(EtcdClient& etcd) const {
  return CheckpointPointers{etcd, config_.leader_election.key_prefix + "checkpoints/",
                            election_.fence()};
}

bool JobMaster::MetadataChecksummed() const {
  return !SLUICE_BUG_PLANTED(host_, "metadata-not-checksummed");
}

void JobMaster::RecoverCheckpointStore() {
  // The checkpoint store may still be starting: retry until it answers. Without its checkpoint
  // store the JobManager can do nothing: wait for it (a crashed store restarts, a full disk frees
  // up) rather than exit.
  for (int tries = 0;; ++tries) {
    if (tries > 0) host_.fibers.SleepFor(config_.heartbeat_interval_ns);
    auto recovered = RecoverCheckpoints(checkpoint_store_, Pointers(etcd_), MetadataChecksummed());
    if (!recovered.ok() && recovered.status().code() == StatusCode::kFailedPrecondition) {
      // Deposed while recovering (paused, say): what it read may be stale, so it decides nothing.
      log_.Warn("checkpoint.recovery_fenced", recovered.status().ToString());
      LoseLeadership("checkpoint recovery: " + recovered.status().ToString());
      return;
    }
    if (!recovered.ok() && recovered.status().code() == StatusCode::kDataLoss) {
      // The fall-back rule: never an older checkpoint.
      Execute(scheduler_.FailJob(recovered.status().ToString()));
      return;
    }
    if (!recovered.ok()) {
      if (tries % 50 == 0) {
        log_.Warn("jobmanager.waiting_for_store", recovered.status().ToString());
      }
      continue;
    }
    std::optional<CompletedCheckpoint> start = recovered->latest;
    if (!start && !config_.savepoint_path.empty()) {
      // A job with no checkpoint of its own starts from the savepoint (Flink's
      // execution.savepoint.path; the savepoint is never deleted: Flink's NO_CLAIM).
      auto savepoint = ReadSavepoint(checkpoint_store_, config_.savepoint_path);
      if (!savepoint.ok() && (savepoint.status().code() == StatusCode::kNotFound ||
                              savepoint.status().code() == StatusCode::kDataLoss)) {
        log_.Error("savepoint.unreadable", savepoint.status().ToString());
        Execute(scheduler_.FailJob(savepoint.status().ToString()));
        return;
      }
      if (!savepoint.ok()) continue;  // the store is unavailable: wait
      log_.Info("savepoint.restoring",
                     config_.savepoint_path + ": checkpoint " + std::to_string(savepoint->id));
      start = std::move(savepoint).value();
    }
    // New checkpoints are numbered past every one seen, the savepoint's included (its sinks'
    // transactions are named by checkpoint).
    coordinator_.Recover(std::max(recovered->highest_id_seen, start ? start->id : 0) + 1,
                         std::move(start));
    const CompletedCheckpoint* latest = coordinator_.latest();
    if (latest == nullptr) return;
    // A checkpoint of another job graph: restoring it would lose or misplace state.
    Status restorable = CheckRestorable(*latest, coordinator_.graph());
    if (!restorable.ok()) {
      log_.Error("checkpoint.incompatible", restorable.ToString());
      Execute(scheduler_.FailJob(restorable.ToString()));
      return;
    }
    // Restore a checkpoint only once both copies of its metadata are durable again, so that one
    // disk's damage can never leave a restored (hence committed) checkpoint unreadable.
    Status repaired = Status::Ok();
    for (int copy : recovered->copies_to_repair) {
      repaired = RepairMetadataCopy(checkpoint_store_, *latest, recovered->latest_metadata_path,
                                    copy, MetadataChecksummed());
      if (!repaired.ok()) break;
      log_.Warn("checkpoint.repaired",
                     std::to_string(latest->id) + ": metadata copy " + std::to_string(copy));
    }
    if (!repaired.ok()) continue;
    // A rescale: the checkpoint was taken at another parallelism, and the tasks redistribute
    // its state (engine/partition/state_assignment.h).
    std::string rescaled;
    for (size_t i = 0; i < latest->graph.operators.size(); ++i) {
      const CheckpointedOperator& was = latest->graph.operators[i];
      const CheckpointedOperator& is = coordinator_.graph().operators[i];
      if (was.parallelism == is.parallelism) continue;
      rescaled += (rescaled.empty() ? "" : ", ") + was.name + " " +
                  std::to_string(was.parallelism) + "->" + std::to_string(is.parallelism);
    }
    if (!rescaled.empty()) {
      log_.Info("checkpoint.rescaled", std::to_string(latest->id) + ": " + rescaled,
                     {{"checkpoint", latest->id}});
    }
    log_.Info("checkpoint.recovered", std::to_string(latest->id));
    return;
  }
}

void JobMaster::DiscoverSplits() {
  for (const SourceCoordinator::SourceInfo& source : sources_.sources()) {
    const SplitDiscovery& discover = discover_splits_.at(source.chain);
    for (int tries = 0;; ++tries) {
      auto splits = discover(host_, config_.services, source.parallelism);
      if (splits.ok()) {
        log_.Info("source.splits_discovered",
                       source.name + ": " + std::to_string(splits->size()) + " splits");
        Event event{Event::Kind::kSplitsDiscovered, 0, ControlMessage{}};
        event.message.chain = source.chain;
        event.message.splits = std::move(splits).value();
        events_.Push(std::move(event));
        break;
      }
      if (tries % 50 == 0) {
        log_.Warn("jobmanager.waiting_for_input",
                       source.name + ": " + splits.status().ToString());
      }
      host_.fibers.SleepFor(config_.heartbeat_interval_ns);
    }
  }
}

void JobMaster::Shutdown() {
  election_.StopRenewing();
  for (auto& [session, connection] : connections_) {
    connection->outbox.Close();
    connection->stream->Close();
  }
  for (FiberId fiber : fibers_) host_.fibers.Cancel(fiber);
  for (FiberId fiber : fibers_) host_.fibers.Join(fiber);
  connections_.clear();
}

void JobMaster::DiscardCheckpoints() {
  StoreClient store(host_, config_.services.checkpoint_store);
  EtcdClient etcd = election_.NewClient();
  for (;;) {
    while (discard_below_ == 0) discard_wake_.Wait(host_.fibers);
    const int64_t below = discard_below_;
    const std::set<std::string> keep = std::move(discard_keep_);
    const std::set<std::string> keep_shared = std::move(discard_keep_shared_);
    const int64_t shared_below = discard_shared_below_;
    discard_below_ = 0;
    auto deleted =
        DiscardCheckpointsBelow(store, Pointers(etcd), below, keep, keep_shared, shared_below);
    if (deleted.ok()) {
      log_.Info("checkpoint.discarded",
                     "below " + std::to_string(below) + ": " + std::to_string(*deleted) + " files",
                     {{"checkpoint", below}, {"files", *deleted}});
    } else {
      // Left for the next discard, which sweeps everything below its own threshold again.
      log_.Warn("checkpoint.discard_failed",
                     "below " + std::to_string(below) + ": " + deleted.status().ToString());
    }
  }
}

void JobMaster::Accept(Listener& listener) {
  for (;;) {
    auto stream = listener.Accept();
    if (!stream.ok()) return;
    auto connection =
        std::make_shared<Connection>(host_, std::move(stream).value(), next_session_++);
    connections_[connection->session] = connection;
    fibers_.push_back(host_.fibers.Spawn("jm-writer", [connection] {
      while (auto frame = connection->outbox.Pop()) {
        if (!WriteFrame(*connection->stream, *frame).ok()) break;
      }
      connection->stream->Close();
    }));
    fibers_.push_back(
        host_.fibers.Spawn("jm-reader", [this, connection] { ServeConnection(connection); }));
  }
}

void JobMaster::ServeConnection(std::shared_ptr<Connection> connection) {
  FrameReader reader(connection->stream.get());
  bool registered = false;
  for (;;) {
    auto frame = reader.Next();
    if (!frame.ok()) break;
    auto message = ControlMessage::Decode(frame.value());
    if (!message.ok()) {
      log_.Warn("jobmanager.bad_message", message.status().ToString());
      break;
    }
    Event event{registered ? Event::Kind::kMessage : Event::Kind::kRegistered, connection->session,
                std::move(message).value()};
    if (!registered && event.message.type != ControlType::kRegister) break;
    registered = true;
    events_.Push(std::move(event));
  }
  connection->outbox.Close();
  connection->stream->Close();
  events_.Push(Event{Event::Kind::kDisconnected, connection->session, {}});
}

void JobMaster::Send(const std::string& taskmanager, ControlMessage message) {
  auto session = sessions_.find(taskmanager);
  if (session == sessions_.end()) return;
  auto connection = connections_.find(session->second);
  if (connection == connections_.end()) return;
  message.epoch = epoch_;
  if (!connection->second->outbox.closed()) connection->second->outbox.Push(message.Encode());
}

void JobMaster::Handle(const Event& event) {
  const std::string* tm_id = nullptr;
  for (auto& [id, session] : sessions_) {
    if (session == event.session) tm_id = &id;
  }
  switch (event.kind) {
    case Event::Kind::kRegistered:
      HandleRegistered(event);
      return;
    case Event::Kind::kDisconnected:
      connections_.erase(event.session);
      if (tm_id != nullptr) {
        Execute(scheduler_.OnTaskManagerLost(*tm_id, "connection closed", host_.clock.NowNs()));
      }
      return;
    case Event::Kind::kLeadershipLost:
      outcome_ = Outcome::kLostLeadership;
      return;
    case Event::Kind::kSavepointRequested: {
      const std::string& id = event.message.text;
      if (!untriggered_savepoint_.empty()) {
        // One request waits for a trigger at a time: the newer one takes its place.
        SavepointRequest& older = savepoints_[untriggered_savepoint_];
        older.status = {"FAILED", "", "superseded by savepoint request " + id};
      }
      untriggered_savepoint_ = id;
      log_.Info("savepoint.requested", id + (event.message.terminate ? " (stop)" : ""));
      coordinator_.RequestSavepoint(event.message.terminate, host_.clock.NowNs());
      return;
    }
    case Event::Kind::kSplitsDiscovered: {
      auto answers = sources_.SetDiscovered(event.message.chain, event.message.splits);
      if (!answers.ok()) {
        log_.Error("source.enumerator_start_failed", answers.status().ToString());
        Execute(scheduler_.FailJob(answers.status().ToString()));
        return;
      }
      SendAssignments(answers.value());
      return;
    }
    case Event::Kind::kMessage:
      break;
  }
  if (tm_id == nullptr) return;
  const ControlMessage& m = event.message;
  if (m.epoch != epoch_) return;  // fenced: sent to another JobManager epoch
  scheduler_.OnHeardFrom(*tm_id, host_.clock.NowNs());
  if (m.type == ControlType::kTaskState) HandleTaskState(m);
  if (m.type == ControlType::kAcknowledgeCheckpoint) HandleAck(m);
  if (m.type == ControlType::kRequestSplit) HandleSplitRequest(m);
}

void JobMaster::HandleRegistered(const Event& event) {
  const ControlMessage& m = event.message;
  if (m.slots < 1 || m.text.empty()) return;
  Execute(scheduler_.OnTaskManagerRegistered(m.text, m.slots, m.address, host_.clock.NowNs()));
  sessions_[m.text] = event.session;
  ControlMessage reply;
  reply.type = ControlType::kRegistered;
  Send(m.text, reply);
}

void JobMaster::RecordTimes(const ControlMessage& m) {
  TimesSample& sample = task_times_[{m.chain, m.subtask}];
  if (sample.attempt != m.attempt) sample = TimesSample{m.attempt, TaskTimes{}, TaskTimes{}};
  sample.previous = sample.latest;
  sample.latest = m.times;
}

void JobMaster::HandleTaskState(const ControlMessage& m) {
  const TaskId task{m.chain, m.subtask};
  if (!scheduler_.Accepts(task, m.attempt)) return;
  RecordTimes(m);
  const int64_t now = host_.clock.NowNs();
  switch (m.task_state) {
    case TaskState::kRunning:
      coordinator_.OnTaskRunning(task);
      return;
    case TaskState::kFinished:
      if (scheduler_.TaskManagerOf(task).empty()) return;
      Execute(coordinator_.OnTaskFinished(task, now));
      if (outcome_ != Outcome::kRunning) return;
      Execute(scheduler_.OnTaskFinished(task, m.attempt));
      return;
    case TaskState::kFailed:
      if (m.failure == TaskFailure::kRestoredStateLost &&
          SLUICE_BUG_PLANTED(host_, "fall-back-past-committed") &&
          !scheduler_.TaskManagerOf(task).empty() && coordinator_.FallBackToPrevious()) {
        // Planted bug: the old fall-back to the checkpoint before the lost one, whose replay
        // commits the lost checkpoint's output again.
        log_.Warn("checkpoint.discarded",
                       std::to_string(scheduler_.restored_from()) + ": " + m.text);
        Execute(scheduler_.Failover("task " + std::to_string(m.chain) + "/" +
                                        std::to_string(m.subtask) + " failed: " + m.text,
                                    now));
        return;
      }
      Execute(scheduler_.OnTaskFailed(task, m.attempt, m.failure, m.text, now));
      return;
  }
}

void JobMaster::Execute(const JobScheduler::Commands& commands) {
  for (const JobScheduler::Command& command : commands) {
    switch (command.kind) {
      case JobScheduler::CommandKind::kDeploy: {
        // Every deployment restores the latest completed checkpoint (or starts from scratch).
        // A full one restores the enumerators too (their state is checksummed, so failing here
        // is for good); a region's takes back what its sources were assigned after it.
        if (command.full) {
          Status restored = sources_.OnDeployed(coordinator_.latest());
          if (!restored.ok()) {
            log_.Error("source.enumerator_restore_failed", restored.ToString());
            Execute(scheduler_.FailJob(restored.ToString()));
            return;
          }
        } else {
          std::vector<TaskId> reset;
          for (const JobScheduler::Deployment& deployment : command.deployments) {
            reset.push_back(deployment.task);
          }
          sources_.OnSubtasksReset(reset, coordinator_.latest());
        }
        const std::string& job = spec_;
        for (const JobScheduler::Deployment& deployment : command.deployments) {
          ControlMessage deploy;
          deploy.type = ControlType::kDeploy;
          deploy.attempt = deployment.attempt;
          deploy.chain = deployment.task.first;
          deploy.subtask = deployment.task.second;
          deploy.text = job;
          deploy.consumers = deployment.consumers;
          deploy.final_commit = command.final_commit;
          deploy.restore_paths = deployment.restore_paths;
          Send(deployment.taskmanager, deploy);
        }
        break;
      }
      case JobScheduler::CommandKind::kCancelAttempt:
      case JobScheduler::CommandKind::kCancelRegion:
        for (const std::string& id : command.taskmanagers) {
          ControlMessage cancel;
          cancel.type = command.kind == JobScheduler::CommandKind::kCancelAttempt
                            ? ControlType::kCancelAttempt
                            : ControlType::kCancelExecution;
          cancel.attempt = command.attempt;
          Send(id, cancel);
        }
        break;
      case JobScheduler::CommandKind::kReleaseTaskManager: {
        auto session = sessions_.find(command.taskmanager);
        if (session == sessions_.end()) break;
        auto connection = connections_.find(session->second);
        if (connection != connections_.end()) {
          connection->second->outbox.Close();
          connection->second->stream->Close();
        }
        sessions_.erase(session);
        break;
      }
      case JobScheduler::CommandKind::kHeartbeat:
        for (const std::string& id : command.taskmanagers) {
          ControlMessage ping;
          ping.type = ControlType::kHeartbeat;
          Send(id, ping);
        }
        break;
      case JobScheduler::CommandKind::kFinished:
        outcome_ = Outcome::kFinished;
        ended_ns_ = host_.clock.NowNs();
        break;
      case JobScheduler::CommandKind::kRescale:
        rescale_to_ = command.parallelism;
        outcome_ = Outcome::kRescale;
        break;
      case JobScheduler::CommandKind::kFailed:
        failure_ = command.text;
        outcome_ = Outcome::kFailed;
        ended_ns_ = host_.clock.NowNs();
        break;
      case JobScheduler::CommandKind::kLog: {
        std::vector<EventField> fields;
        for (const auto& [name, value] : command.fields) fields.push_back({name, value});
        log_.RecordWithFields(command.severity, command.category, command.text, fields);
        break;
      }
    }
  }
}

void JobMaster::HandleSplitRequest(const ControlMessage& m) {
  if (!scheduler_.Accepts({m.chain, m.subtask}, m.attempt)) return;
  auto answers = sources_.OnSplitRequest({m.chain, m.subtask}, m.split_index);
  if (!answers.ok()) {
    log_.Warn("jobmanager.bad_message", answers.status().ToString());
    return;
  }
  SendAssignments(answers.value());
}

void JobMaster::SendAssignments(const std::vector<SourceCoordinator::Assignment>& assignments) {
  for (const SourceCoordinator::Assignment& assignment : assignments) {
    const auto [chain, subtask] = assignment.task;
    ControlMessage reply;
    reply.type = ControlType::kAddSplits;
    reply.attempt = scheduler_.AttemptOf(assignment.task);
    reply.chain = chain;
    reply.subtask = subtask;
    reply.split_index = assignment.first_index;
    reply.splits = assignment.splits;
    reply.no_more_splits = assignment.no_more_splits;
    log_.Record(Severity::kDebug, "source.splits_assigned",
                     "chain" + std::to_string(chain) + "[" + std::to_string(subtask) + "] " +
                         std::to_string(reply.splits.size()) +
                         (reply.no_more_splits ? " splits, no more" : " splits"));
    Send(scheduler_.TaskManagerOf(assignment.task), std::move(reply));
  }
}

void JobMaster::HandleAck(const ControlMessage& m) {
  if (!scheduler_.Accepts({m.chain, m.subtask}, m.attempt)) return;
  RecordTimes(m);
  if (autoscaler_) {
    const int64_t now = host_.clock.NowNs();
    autoscaler_->OnReport(m.chain, m.subtask, m.attempt,
                          m.chain >= 0 && m.chain < static_cast<int>(source_chain_.size()) &&
                              source_chain_[m.chain],
                          m.times, now);
    if (auto decision = autoscaler_->Evaluate(now)) {
      log_.Info("autoscaler.decision",
                     "parallelism " + std::to_string(decision->parallelism) + ": " +
                         decision->reason,
                     {{"to", decision->parallelism}});
      scheduler_.SetAutoscalerTarget(decision->parallelism);
      // The rescale ends this leadership and the next one measures anew; should the slots not
      // allow it, this one measures anew too, after another stabilization interval.
      autoscaler_->OnDeployed(autoscaler_->parallelism(), now);
    }
  }
  sources_.OnAcknowledged(m.checkpoint_id, {m.chain, m.subtask}, m.split_index);
  Execute(coordinator_.OnAcknowledged(
      {m.chain, m.subtask}, m.checkpoint_id, m.restore_path, m.state_bytes, host_.clock.NowNs(),
      m.in_flight_data,
      CheckpointCoordinator::SharedState{m.shared_files, m.shared_bytes, m.uploaded_bytes}));
}

void JobMaster::Execute(const CheckpointCoordinator::Commands& commands) {
  for (const CheckpointCoordinator::Command& command : commands) {
    const std::string id = std::to_string(command.checkpoint_id);
    switch (command.kind) {
      case CheckpointCoordinator::CommandKind::kTrigger:
        log_.Info("checkpoint.triggered", id);
        triggered_ns_[command.checkpoint_id] = host_.clock.NowNs();
        if (command.savepoint && !untriggered_savepoint_.empty()) {
          savepoints_[untriggered_savepoint_].checkpoint = command.checkpoint_id;
          log_.Info("savepoint.triggered",
                         untriggered_savepoint_ + ": checkpoint " + id +
                             (command.terminate ? ", stopping the sources" : ""));
          untriggered_savepoint_.clear();
        }
        for (const auto& [chain, subtask] : command.tasks) {
          ControlMessage trigger;
          trigger.type = ControlType::kTriggerCheckpoint;
          trigger.terminate = command.terminate;
          trigger.savepoint = command.savepoint;
          trigger.attempt = scheduler_.AttemptOf({chain, subtask});
          trigger.checkpoint_id = command.checkpoint_id;
          trigger.chain = chain;
          trigger.subtask = subtask;
          const std::string taskmanager = scheduler_.TaskManagerOf({chain, subtask});
          SLUICE_ASSERT(!taskmanager.empty(), "checkpoints trigger deployed tasks");
          Send(taskmanager, trigger);
        }
        break;
      case CheckpointCoordinator::CommandKind::kStore: {
        Status stored = StoreCompletedCheckpoint(checkpoint_store_, Pointers(etcd_),
                                                 command.checkpoint, MetadataChecksummed());
        if (!stored.ok()) {
          log_.Warn("checkpoint.aborted", id + ": " + stored.ToString());
          // Fenced (a newer leader exists), or the outcome is unknown: one copy of the metadata
          // may be durable, or the write may still land, so the store may count this checkpoint
          // as completed while this JobMaster does not. Restoring the previous one now would let
          // its sinks discard this checkpoint's pre-committed transactions, which a later
          // recovery from the store would need (chaos and disk-full seeds found this). So step
          // down: the next leadership (this JobManager again, or another) takes a new epoch,
          // which fences any write still in flight, and recovers the completed checkpoints from
          // the store.
          LoseLeadership("checkpoint metadata: " + stored.ToString());
          return;
        }
        if (auto triggered = triggered_ns_.find(command.checkpoint_id);
            triggered != triggered_ns_.end()) {
          latest_checkpoint_duration_ms_ =
              (host_.clock.NowNs() - triggered->second) / kNanosPerMilli;
        }
        // Older ones never complete now (checkpoints complete in id order).
        triggered_ns_.erase(triggered_ns_.begin(),
                            triggered_ns_.upper_bound(command.checkpoint_id));
        log_.Info("checkpoint.completed", id,
                       {{"checkpoint", command.checkpoint_id},
                        {"full_bytes", command.checkpoint.full_bytes},
                        {"incremental_bytes", command.checkpoint.incremental_bytes}});
        Execute(coordinator_.OnStored(command.checkpoint_id));
        break;
      }
      case CheckpointCoordinator::CommandKind::kNotify:
        NotifyCheckpointComplete(command.checkpoint_id);
        // Fault point: a notification sent twice, as after a retry whose first send was not lost.
        if (host_.faults.Buggify("jobmanager.duplicate_notify")) {
          NotifyCheckpointComplete(command.checkpoint_id);
        }
        break;
      case CheckpointCoordinator::CommandKind::kDiscard:
        discard_below_ = command.checkpoint_id;
        discard_keep_ = command.keep;
        discard_keep_shared_ = command.keep_shared;
        discard_shared_below_ = command.shared_below;
        discard_wake_.NotifyAll(host_.fibers);
        break;
      case CheckpointCoordinator::CommandKind::kSavepoint:
        WriteSavepoint(command.checkpoint);
        break;
      case CheckpointCoordinator::CommandKind::kAborted:
        log_.Warn("checkpoint.aborted", id + ": expired (tolerated)");
        break;
      case CheckpointCoordinator::CommandKind::kExpired:
        log_.Warn("checkpoint.aborted", id + ": expired");
        Execute(scheduler_.Failover("checkpoint " + id + " expired", host_.clock.NowNs()));
        break;
    }
  }
}

void JobMaster::WriteSavepoint(const CompletedCheckpoint& checkpoint) {
  auto request = std::find_if(savepoints_.begin(), savepoints_.end(), [&](const auto& entry) {
    return entry.second.checkpoint == checkpoint.id;
  });
  const Result<std::string> dir = sluice::WriteSavepoint(checkpoint_store_, checkpoint);
  const std::string id = request != savepoints_.end() ? request->first : std::string("(none)");
  if (dir.ok()) {
    log_.Info("savepoint.completed", id + ": " + *dir, {{"checkpoint", checkpoint.id}});
  } else {
    log_.Warn("savepoint.failed", id + ": " + dir.status().ToString());
  }
  if (request == savepoints_.end()) return;
  request->second.status = dir.ok()
                               ? JobSnapshot::Savepoint{"COMPLETED", *dir, ""}
                               : JobSnapshot::Savepoint{"FAILED", "", dir.status().ToString()};
}

void JobMaster::SettleAbortedSavepoints() {
  for (auto& [id, request] : savepoints_) {
    if (request.status.status != "IN_PROGRESS" || request.checkpoint == 0 ||
        coordinator_.InFlight(request.checkpoint)) {
      continue;
    }
    request.status = {"FAILED", "",
                      "checkpoint " + std::to_string(request.checkpoint) +
                          " of the savepoint was aborted (a failover or an expiry)"};
    log_.Warn("savepoint.failed", id + ": " + request.status.failure);
  }
}

void JobMaster::NotifyCheckpointComplete(int64_t checkpoint_id) {
  log_.Info("checkpoint.notified", std::to_string(checkpoint_id));
  for (const auto& [tm, attempt] : scheduler_.AttemptTaskManagers()) {
    ControlMessage notify;
    notify.type = ControlType::kNotifyCheckpointComplete;
    notify.attempt = attempt;
    notify.checkpoint_id = checkpoint_id;
    Send(tm, notify);
  }
}

}  // namespace sluice
