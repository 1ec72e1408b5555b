#include "engine/rpc/control.h"

#include "engine/base/bytes.h"

namespace sluice {
namespace {

void PutAddress(ByteWriter& w, const Address& a) {
  w.PutString(a.host);
  w.PutVarint(a.port);
}

bool GetAddress(ByteReader& r, Address* a) {
  uint64_t port = 0;
  if (!r.GetString(&a->host) || !r.GetVarint(&port) || port > 65535) return false;
  a->port = static_cast<uint16_t>(port);
  return true;
}

constexpr uint64_t kMaxConsumers = 1 << 15;

}  // namespace

const char* ControlTypeName(ControlType type) {
  switch (type) {
    case ControlType::kRegister:
      return "register";
    case ControlType::kRegistered:
      return "registered";
    case ControlType::kHeartbeat:
      return "heartbeat";
    case ControlType::kDeploy:
      return "deploy";
    case ControlType::kTaskState:
      return "task-state";
    case ControlType::kTriggerCheckpoint:
      return "trigger-checkpoint";
    case ControlType::kAcknowledgeCheckpoint:
      return "acknowledge-checkpoint";
    case ControlType::kNotifyCheckpointComplete:
      return "notify-checkpoint-complete";
    case ControlType::kCancelAttempt:
      return "cancel-attempt";
    case ControlType::kRequestSplit:
      return "request-split";
    case ControlType::kAddSplits:
      return "add-splits";
    case ControlType::kCancelExecution:
      return "cancel-execution";
  }
  return "unknown";
}

ControlMessage TaskStateMessage(int64_t epoch, int64_t attempt, int32_t chain, int32_t subtask,
                                TaskState state, std::string text, TaskFailure failure) {
  ControlMessage m;
  m.type = ControlType::kTaskState;
  m.epoch = epoch;
  m.attempt = attempt;
  m.chain = chain;
  m.subtask = subtask;
  m.task_state = state;
  m.text = std::move(text);
  m.failure = failure;
  return m;
}

std::string ControlMessage::Encode() const {
  std::string out;
  ByteWriter w(&out);
  w.PutU8(static_cast<uint8_t>(type));
  w.PutSignedVarint(epoch);
  w.PutSignedVarint(attempt);
  w.PutSignedVarint(checkpoint_id);
  w.PutSignedVarint(chain);
  w.PutSignedVarint(subtask);
  w.PutSignedVarint(slots);
  w.PutU8(static_cast<uint8_t>(task_state));
  w.PutString(text);
  PutAddress(w, address);
  w.PutVarint(consumers.size());
  for (const Address& a : consumers) PutAddress(w, a);
  w.PutString(restore_path);
  w.PutU8(final_commit ? 1 : 0);
  w.PutU8(static_cast<uint8_t>(failure));
  w.PutSignedVarint(split_index);
  w.PutVarint(splits.size());
  for (const std::string& split : splits) w.PutString(split);
  w.PutU8(no_more_splits ? 1 : 0);
  w.PutSignedVarint(state_bytes);
  w.PutVarint(restore_paths.size());
  for (const std::string& path : restore_paths) w.PutString(path);
  w.PutU8(terminate ? 1 : 0);
  w.PutSignedVarint(times.busy_ns);
  w.PutSignedVarint(times.idle_ns);
  w.PutSignedVarint(times.backpressured_ns);
  w.PutSignedVarint(times.records_in);
  w.PutSignedVarint(times.records_lag);
  w.PutU8(savepoint ? 1 : 0);
  w.PutU8(in_flight_data ? 1 : 0);
  w.PutVarint(shared_files.size());
  for (const std::string& file : shared_files) w.PutString(file);
  w.PutSignedVarint(shared_bytes);
  w.PutSignedVarint(uploaded_bytes);
  return out;
}

Result<ControlMessage> ControlMessage::Decode(std::string_view bytes) {
  ControlMessage m;
  ByteReader r(bytes);
  uint8_t type = 0, state = 0;
  int64_t chain = 0, subtask = 0, slots = 0;
  if (!r.GetU8(&type) || type < 1 || type > static_cast<uint8_t>(ControlType::kCancelExecution)) {
    return DataLossError("control message: bad type");
  }
  m.type = static_cast<ControlType>(type);
  if (!r.GetSignedVarint(&m.epoch) || !r.GetSignedVarint(&m.attempt) ||
      !r.GetSignedVarint(&m.checkpoint_id) || !r.GetSignedVarint(&chain) ||
      !r.GetSignedVarint(&subtask) || !r.GetSignedVarint(&slots) || !r.GetU8(&state) || state < 1 ||
      state > 3) {
    return DataLossError("control message: bad header fields");
  }
  m.chain = static_cast<int32_t>(chain);
  m.subtask = static_cast<int32_t>(subtask);
  m.slots = static_cast<int32_t>(slots);
  m.task_state = static_cast<TaskState>(state);
  uint64_t consumers = 0;
  if (!r.GetString(&m.text) || !GetAddress(r, &m.address) || !r.GetVarint(&consumers) ||
      consumers > kMaxConsumers) {
    return DataLossError("control message: bad body");
  }
  m.consumers.resize(consumers);
  for (Address& a : m.consumers) {
    if (!GetAddress(r, &a)) return DataLossError("control message: bad consumer address");
  }
  uint8_t final_commit = 0, failure = 0;
  if (!r.GetString(&m.restore_path) || !r.GetU8(&final_commit) || final_commit > 1 ||
      !r.GetU8(&failure) || failure > static_cast<uint8_t>(TaskFailure::kRestoredStateLost)) {
    return DataLossError("control message: bad trailer");
  }
  m.final_commit = final_commit == 1;
  m.failure = static_cast<TaskFailure>(failure);
  uint64_t splits = 0;
  uint8_t no_more = 0;
  if (!r.GetSignedVarint(&m.split_index) || m.split_index < 0 || !r.GetVarint(&splits) ||
      splits > r.remaining()) {
    return DataLossError("control message: bad split assignment");
  }
  m.splits.resize(splits);
  for (std::string& split : m.splits) {
    if (!r.GetString(&split)) return DataLossError("control message: bad split");
  }
  if (!r.GetU8(&no_more) || no_more > 1) {
    return DataLossError("control message: bad split assignment trailer");
  }
  m.no_more_splits = no_more == 1;
  if (!r.GetSignedVarint(&m.state_bytes) || m.state_bytes < 0) {
    return DataLossError("control message: bad state size");
  }
  uint64_t paths = 0;
  if (!r.GetVarint(&paths) || paths > kMaxConsumers || paths > r.remaining()) {
    return DataLossError("control message: bad restore paths");
  }
  m.restore_paths.resize(paths);
  for (std::string& path : m.restore_paths) {
    if (!r.GetString(&path)) return DataLossError("control message: bad restore path");
  }
  uint8_t terminate = 0;
  if (!r.GetU8(&terminate) || terminate > 1) return DataLossError("control message: bad terminate");
  m.terminate = terminate == 1;
  if (!r.GetSignedVarint(&m.times.busy_ns) || !r.GetSignedVarint(&m.times.idle_ns) ||
      !r.GetSignedVarint(&m.times.backpressured_ns) || !r.GetSignedVarint(&m.times.records_in) ||
      !r.GetSignedVarint(&m.times.records_lag) || m.times.busy_ns < 0 || m.times.idle_ns < 0 ||
      m.times.backpressured_ns < 0 || m.times.records_in < 0 || m.times.records_lag < 0) {
    return DataLossError("control message: bad task times");
  }
  uint8_t savepoint = 0;
  if (!r.GetU8(&savepoint) || savepoint > 1) return DataLossError("control message: bad savepoint");
  m.savepoint = savepoint == 1;
  uint8_t in_flight = 0;
  if (!r.GetU8(&in_flight) || in_flight > 1) {
    return DataLossError("control message: bad in-flight flag");
  }
  m.in_flight_data = in_flight == 1;
  uint64_t shared = 0;
  if (!r.GetVarint(&shared) || shared > r.remaining()) {
    return DataLossError("control message: bad shared file count");
  }
  for (uint64_t i = 0; i < shared; ++i) {  // grown as read: a count alone allocates nothing
    if (!r.GetString(&m.shared_files.emplace_back())) {
      return DataLossError("control message: bad shared file");
    }
  }
  if (!r.GetSignedVarint(&m.shared_bytes) || !r.GetSignedVarint(&m.uploaded_bytes) ||
      m.shared_bytes < 0 || m.uploaded_bytes < 0 || m.uploaded_bytes > m.shared_bytes) {
    return DataLossError("control message: bad shared state sizes");
  }
  if (!r.empty()) return DataLossError("control message: trailing bytes");
  return m;
}

}  // namespace sluice
