#include "engine/taskmanager/task_manager.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "engine/rpc/control.h"
#include "engine/rpc/frame.h"
#include "engine/runtime/sync.h"
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

// State that outlives one JobManager session: the running tasks and the way out to the JM.
struct TaskManagerState {
  Host& host;
  const TaskManagerConfig& config;
  DataServer data_server;
  std::map<TaskKey, std::shared_ptr<Task>> tasks;
  std::map<TaskKey, FiberId> task_fibers;
  Channel<std::string>* outbox = nullptr;  // the live session's, or null
  int64_t epoch = 0;                       // highest JobManager epoch seen (fencing token)
  int64_t highest_attempt = 0;             // highest attempt deployed here

  void Send(const ControlMessage& m) {
    if (outbox != nullptr && !outbox->closed()) outbox->Push(m.Encode());
  }
  void CancelTasks(int64_t up_to_attempt) {
    for (auto it = tasks.begin(); it != tasks.end();) {
      if (it->first.attempt > up_to_attempt) {
        ++it;
        continue;
      }
      host.fibers.Cancel(task_fibers[it->first]);
      task_fibers.erase(it->first);
      it = tasks.erase(it);
    }
    // Only attempts that existed are dropped: a later attempt (after a reconnect) must still be
    // able to open data connections here.
    data_server.DropAttemptsUpTo(std::min(up_to_attempt, highest_attempt));
  }
};

void Deploy(TaskManagerState& tm, const ControlMessage& m) {
  auto spec = JobSpec::Decode(m.text);
  TaskKey key{m.attempt, m.chain, m.subtask};
  if (!spec.ok() || tm.tasks.count(key) != 0) {
    tm.Send(TaskStateMessage(m.epoch, m.attempt, m.chain, m.subtask, TaskState::kFailed,
                             spec.ok() ? "duplicate deployment" : spec.status().ToString()));
    return;
  }
  tm.highest_attempt = std::max(tm.highest_attempt, m.attempt);
  TaskDeployment deployment{m.epoch,   m.attempt,   std::move(spec).value(), m.chain,
                            m.subtask, m.consumers, m.restore_path};
  auto task =
      std::make_shared<Task>(tm.host, std::move(deployment), tm.config.services, &tm.data_server,
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

void Dispatch(TaskManagerState& tm, const ControlMessage& m) {
  if (m.epoch < tm.epoch) {
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
      if (it != tm.tasks.end()) it->second->TriggerCheckpoint(m.checkpoint_id);
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
    case ControlType::kHeartbeat: {
      ControlMessage reply;
      reply.type = ControlType::kHeartbeat;
      reply.epoch = tm.epoch;
      reply.text = tm.config.id;
      tm.Send(reply);
      break;
    }
    default:
      tm.host.log.Warn("taskmanager.unexpected", ControlTypeName(m.type));
  }
}

// One connection to the JobManager, from registration until it breaks or goes silent.
void RunSession(TaskManagerState& tm, std::unique_ptr<Stream> stream) {
  Host& host = tm.host;
  Channel<std::string> outbox(host.fibers, kOutboxCapacity);
  int64_t last_heard_ns = host.clock.NowNs();
  bool done = false;
  const FiberId writer = host.fibers.Spawn("jm-writer", [&] {
    while (auto frame = outbox.Pop()) {
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
  tm.outbox = &outbox;
  ControlMessage hello;
  hello.type = ControlType::kRegister;
  hello.text = tm.config.id;
  hello.address = tm.config.data_address;
  hello.slots = tm.config.slots;
  tm.Send(hello);
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
      if (message->epoch < tm.epoch) break;  // a deposed JobManager: find the new one
      tm.epoch = message->epoch;
      host.log.Info("taskmanager.registered", tm.config.id + " epoch " + std::to_string(tm.epoch));
      continue;
    }
    Dispatch(tm, message.value());
  }
  // Lost the JobManager: its tasks cannot be trusted to finish under it (Flink fails them too).
  done = true;
  tm.outbox = nullptr;
  tm.CancelTasks(INT64_MAX);
  outbox.Close();
  stream->Close();
  host.fibers.Cancel(watchdog);
  host.fibers.Join(writer);
  host.fibers.Join(watchdog);
}

}  // namespace

Status RunTaskManager(Host& host, const TaskManagerConfig& config) {
  TaskManagerState tm{host, config, DataServer(host), {}, {}, nullptr, 0};
  RETURN_IF_ERROR(tm.data_server.Start(config.data_address.port));
  host.log.Info("taskmanager.started", config.id);
  for (;;) {
    auto stream = host.network.Connect(config.job_manager, kConnectTimeoutNs);
    if (!stream.ok()) {
      host.fibers.SleepFor(config.reconnect_delay_ns);
      continue;
    }
    RunSession(tm, std::move(stream).value());
    host.fibers.SleepFor(config.reconnect_delay_ns);
  }
}

}  // namespace sluice
