#include "engine/jobmanager/job_master.h"

#include <algorithm>

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
      checkpoint_storage_(host.fs, JobStorageDir(config.services.checkpoint_dir, config.job)),
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
      job_id_(config.job.job_id.empty() ? JobIdOf(config.job.Encode()) : config.job.job_id),
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
    rest_->trigger_savepoint = [this](bool terminate, const std::string& target) {
      return RequestSavepoint(terminate, target);
    };
    rest_->cancel_job = [this] {
      events_.Push(Event{Event::Kind::kCancelRequested, 0, ControlMessage{}});
    };
  }
}

JobMaster::~JobMaster() {
  if (rest_ == nullptr) return;
  rest_->leader = false;
  rest_->snapshot = nullptr;
  rest_->trigger_savepoint = nullptr;
  rest_->cancel_job = nullptr;
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
  if (outcome_ == Outcome::kFinished || outcome_ == Outcome::kFailed ||
      outcome_ == Outcome::kCanceled) {
    RecordResult();
  }
  Shutdown();
  if (outcome_ == Outcome::kLostLeadership) {
    return UnavailableError("leadership lost: " + lost_leadership_);
  }
  if (outcome_ == Outcome::kRescale) {
    return UnavailableError("rescaling to parallelism " + std::to_string(rescale_to_));
  }
  if (outcome_ == Outcome::kFailed) return AbortedError("job failed: " + failure_);
  if (outcome_ == Outcome::kCanceled) return CancelledError("job canceled");
  return Status::Ok();
}

void JobMaster::LoseLeadership(const std::string& reason) {
  if (lost_leadership_.empty()) lost_leadership_ = reason;
  outcome_ = Outcome::kLostLeadership;
}

void JobMaster::RecordResult() {
  const Status result = outcome_ == Outcome::kFailed     ? AbortedError(failure_)
                        : outcome_ == Outcome::kCanceled ? CancelledError("job canceled")
                                                         : Status::Ok();
  for (int tries = 0;; ++tries) {
    Status recorded =
        RecordJobResult(etcd_, election_.fence(),
                        JobKeyPrefix(config_.leader_election.key_prefix, config_.job), result);
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
    case Event::Kind::kSavepointRequested:
      HandleSavepointRequested(event);
      return;
    case Event::Kind::kCancelRequested:
      Execute(scheduler_.Cancel("cancelled through the REST API (PATCH /jobs/:jobid)"));
      return;
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
      case JobScheduler::CommandKind::kCanceled:
        outcome_ = Outcome::kCanceled;
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

}  // namespace sluice
