#include "engine/jobmanager/rest_api.h"

#include "engine/jobmanager/dashboard.h"

#include <algorithm>
#include <cctype>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include <fmt/core.h>

#include "engine/base/checksum.h"
#include "engine/checkpoint/completed_checkpoint.h"
#include "engine/config/core_options.h"
#include "engine/partition/key_group.h"
#include "engine/rest/prometheus.h"

namespace sluice {
namespace {

using nlohmann::json;

HttpResponse Json(int status, const json& body) {
  HttpResponse response;
  response.status = status;
  response.body = body.dump();
  return response;
}

HttpResponse Error(int status, const std::string& message) {
  return Json(status, json{{"errors", {message}}});
}

std::string Hex64(uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof(text), "%016" PRIx64, value);
  return text;
}

// The path's segments: "/jobs/x/checkpoints" → {"jobs", "x", "checkpoints"}.
std::vector<std::string> Segments(const std::string& path) {
  std::vector<std::string> segments;
  size_t start = 0;
  while (start < path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end > start) segments.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return segments;
}

bool Ended(const std::string& state) {
  return state == "FINISHED" || state == "FAILED" || state == "CANCELED";
}

// Every job this JobManager knows, id and state: the running job's (null: none) and, in a
// session cluster, every other job submitted.
std::vector<std::pair<std::string, std::string>> JobStates(const JobManagerRestState& state,
                                                           const JobSnapshot* running) {
  std::vector<std::pair<std::string, std::string>> jobs;
  bool listed = false;
  for (const SessionJob& job : state.jobs) {
    const bool is_running = running != nullptr && job.id == running->job_id;
    listed = listed || is_running;
    jobs.emplace_back(job.id, is_running ? running->state : job.state);
  }
  if (running != nullptr && !listed) jobs.emplace_back(running->job_id, running->state);
  return jobs;
}

json Overview(const JobManagerRestState& state, const JobSnapshot* job) {
  int slots = 0, free = 0;
  size_t taskmanagers = 0;
  if (job != nullptr) {
    taskmanagers = job->taskmanagers.size();
    for (const auto& tm : job->taskmanagers) {
      slots += tm.slots;
      free += tm.free_slots;
    }
  }
  int running = 0, finished = 0, cancelled = 0, failed = 0;
  for (const auto& [id, job_state] : JobStates(state, job)) {
    running += Ended(job_state) ? 0 : 1;
    finished += job_state == "FINISHED" ? 1 : 0;
    cancelled += job_state == "CANCELED" ? 1 : 0;
    failed += job_state == "FAILED" ? 1 : 0;
  }
  return json{{"taskmanagers", taskmanagers},
              {"slots-total", slots},
              {"slots-available", free},
              {"jobs-running", running},
              {"jobs-finished", finished},
              {"jobs-cancelled", cancelled},
              {"jobs-failed", failed},
              {"flink-version", "sluice"},
              {"flink-commit", ""},
              {"sluice-jobmanager", state.id},
              {"sluice-leader-epoch", state.epoch}};
}

std::string VertexId(const JobSnapshot& job, size_t index) {
  return job.job_id.substr(0, 24) + Hex64(index).substr(8);
}

// Flink's backpressure levels (JobVertexBackPressureHandler): ok <= 10 % < low <= 50 % < high.
const char* BackpressureLevel(double ratio) {
  return ratio <= 0.10 ? "ok" : ratio <= 0.5 ? "low" : "high";
}

json Backpressure(const JobSnapshot& job, const JobSnapshot::Vertex& vertex) {
  json subtasks = json::array();
  double worst = 0;
  for (const JobSnapshot::SubtaskTimes& times : vertex.subtasks) {
    const double total =
        static_cast<double>(times.busy_ns + times.idle_ns + times.backpressured_ns);
    const double ratio = total > 0 ? static_cast<double>(times.backpressured_ns) / total : 0;
    worst = std::max(worst, ratio);
    subtasks.push_back(json{{"subtask", times.subtask},
                            {"attempt-number", times.attempt},
                            {"backpressure-level", BackpressureLevel(ratio)},
                            {"ratio", ratio},
                            {"idleRatio", total > 0 ? times.idle_ns / total : 0.0},
                            {"busyRatio", total > 0 ? times.busy_ns / total : 0.0}});
  }
  return json{{"status", "ok"},
              {"backpressure-level", BackpressureLevel(worst)},
              {"end-timestamp", job.now_ms},
              {"subtasks", subtasks}};
}

json Job(const JobSnapshot& job) {
  json vertices = json::array();
  for (size_t i = 0; i < job.vertices.size(); ++i) {
    const auto& vertex = job.vertices[i];
    vertices.push_back(json{{"id", VertexId(job, i)},
                            {"name", vertex.name},
                            {"parallelism", vertex.parallelism},
                            {"maxParallelism", job.max_parallelism},
                            {"status", vertex.status}});
  }
  const int64_t end = job.end_ms;
  return json{{"jid", job.job_id},
              {"name", job.name},
              {"isStoppable", false},
              {"state", job.state},
              {"start-time", job.start_ms},
              {"end-time", end},
              {"duration", (end >= 0 ? end : job.now_ms) - job.start_ms},
              {"now", job.now_ms},
              {"maxParallelism", job.max_parallelism},
              {"vertices", vertices}};
}

json Checkpoints(const JobSnapshot& job) {
  const int64_t in_progress = job.checkpoint_in_progress ? 1 : 0;
  json latest_completed = nullptr;
  if (job.latest_completed_checkpoint > 0) {
    // Flink's names: state_size is the full size, checkpointed_size the bytes written for it.
    latest_completed = json{{"id", job.latest_completed_checkpoint},
                            {"status", "COMPLETED"},
                            {"is_savepoint", job.latest_checkpoint_is_savepoint},
                            {"state_size", job.latest_checkpoint_full_bytes},
                            {"checkpointed_size", job.latest_checkpoint_incremental_bytes}};
  }
  json savepoint = nullptr;
  if (job.latest_savepoint > 0) {
    savepoint = json{{"id", job.latest_savepoint},
                     {"status", "COMPLETED"},
                     {"is_savepoint", true},
                     {"external_path", job.latest_savepoint_location}};
  }
  json restored = nullptr;
  if (job.restored_checkpoint > 0) {
    restored = json{{"id", job.restored_checkpoint}, {"is_savepoint", false}};
  }
  return json{{"counts",
               {{"restored", job.restored_checkpoint > 0 ? 1 : 0},
                {"total", job.checkpoints_completed + job.checkpoints_failed + in_progress},
                {"in_progress", in_progress},
                {"completed", job.checkpoints_completed},
                {"failed", job.checkpoints_failed}}},
              {"latest",
               {{"completed", latest_completed},
                {"savepoint", savepoint},
                {"failed", nullptr},
                {"restored", restored}}}};
}

// Flink's job metrics this JobManager keeps (GET /jobs/:jobid/metrics?get=a,b).
// One line on each of JobMetrics's metrics (Flink's descriptions, units as Flink's).
std::string JobMetricHelp(const std::string& id) {
  static const std::map<std::string, std::string> help = {
      {"numRestarts", "Restarts of the job by this leadership."},
      {"numberOfCompletedCheckpoints", "Checkpoints completed by this leadership."},
      {"numberOfFailedCheckpoints", "Checkpoints expired or aborted by this leadership."},
      {"numberOfInProgressCheckpoints", "Checkpoints in progress."},
      {"totalNumberOfCheckpoints", "Checkpoints triggered by this leadership."},
      {"lastCheckpointSize", "Bytes the latest completed checkpoint uploaded (incremental)."},
      {"lastCheckpointFullSize", "Bytes of the latest completed checkpoint's whole state."},
      {"lastCheckpointDuration", "Milliseconds from trigger to completion of the latest one."},
      {"uptime", "Milliseconds since the job started (to its end, once ended)."}};
  auto it = help.find(id);
  return it == help.end() ? id : it->second;
}

std::vector<std::pair<std::string, int64_t>> JobMetrics(const JobSnapshot& job) {
  const int64_t in_progress = job.checkpoint_in_progress ? 1 : 0;
  return {{"numRestarts", job.restarts},
          {"numberOfCompletedCheckpoints", job.checkpoints_completed},
          {"numberOfFailedCheckpoints", job.checkpoints_failed},
          {"numberOfInProgressCheckpoints", in_progress},
          {"totalNumberOfCheckpoints",
           job.checkpoints_completed + job.checkpoints_failed + in_progress},
          {"lastCheckpointSize", job.latest_checkpoint_incremental_bytes},
          {"lastCheckpointFullSize", job.latest_checkpoint_full_bytes},
          {"lastCheckpointDuration", job.latest_checkpoint_duration_ms},
          {"uptime", (job.end_ms >= 0 ? job.end_ms : job.now_ms) - job.start_ms}};
}

// `text` with %XX escapes decoded (RFC 3986 section 2.1); a malformed escape stays as it is.
std::string PercentDecode(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() &&
        std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(text[i] == '+' ? ' ' : text[i]);
    }
  }
  return out;
}

// Flink's metric list: [{"id"}] without `get`, [{"id", "value"}] (values as strings) with it;
// unknown names are left out.
json Metrics(const JobSnapshot& job, const std::string& encoded_query) {
  const std::string query = PercentDecode(encoded_query);
  std::vector<std::string> wanted;
  if (query.rfind("get=", 0) == 0) {
    size_t start = 4;
    while (start <= query.size()) {
      size_t end = query.find_first_of(",&", start);
      if (end == std::string::npos) end = query.size();
      if (end > start) wanted.push_back(query.substr(start, end - start));
      if (end == query.size() || query[end] == '&') break;
      start = end + 1;
    }
  }
  json list = json::array();
  for (const auto& [id, value] : JobMetrics(job)) {
    if (query.rfind("get=", 0) != 0) {
      list.push_back(json{{"id", id}});
    } else if (std::find(wanted.begin(), wanted.end(), id) != wanted.end()) {
      list.push_back(json{{"id", id}, {"value", std::to_string(value)}});
    }
  }
  return list;
}

// GET /metrics: Prometheus text. Every JobManager answers (a standby with isLeader 0 only);
// the leader adds the cluster's and its job's metrics (Flink's names, scope jobmanager and
// jobmanager_job, labels job_id and job_name).
HttpResponse PrometheusMetrics(const JobManagerRestState& state) {
  using Type = PrometheusText::Type;
  PrometheusText text;
  const PrometheusText::Labels jobmanager = {{"jobmanager", state.id}};
  text.Add("sluice_jobmanager_isLeader", "1 while this JobManager leads, else 0.", Type::kGauge,
           jobmanager, state.leader && state.snapshot ? 1 : 0);
  if (state.leader && state.snapshot) {
    const JobSnapshot job = state.snapshot();
    int64_t slots = 0;
    int64_t free_slots = 0;
    for (const auto& tm : job.taskmanagers) {
      slots += tm.slots;
      free_slots += tm.free_slots;
    }
    text.Add("sluice_jobmanager_numRegisteredTaskManagers", "TaskManagers registered.",
             Type::kGauge, jobmanager, static_cast<double>(job.taskmanagers.size()));
    text.Add("sluice_jobmanager_taskSlotsTotal", "Slots the TaskManagers offer.", Type::kGauge,
             jobmanager, static_cast<double>(slots));
    text.Add("sluice_jobmanager_taskSlotsAvailable", "Slots free.", Type::kGauge, jobmanager,
             static_cast<double>(free_slots));
    text.Add("sluice_jobmanager_numRunningJobs", "Jobs running.", Type::kGauge, jobmanager,
             job.state == "RUNNING" ? 1 : 0);
    const PrometheusText::Labels labels = {{"job_id", job.job_id}, {"job_name", job.name}};
    for (const auto& [id, value] : JobMetrics(job)) {
      text.Add("sluice_jobmanager_job_" + id, JobMetricHelp(id), Type::kGauge, labels,
               static_cast<double>(value));
    }
  }
  HttpResponse response;
  response.content_type = kPrometheusContentType;
  response.body = text.text();
  return response;
}

json TaskManagers(const JobSnapshot& job) {
  json list = json::array();
  for (const auto& tm : job.taskmanagers) {
    list.push_back(json{{"id", tm.id},
                        {"path", tm.data_address.ToString()},
                        {"dataPort", tm.data_address.port},
                        {"timeSinceLastHeartbeat", tm.last_heartbeat_ms},
                        {"slotsNumber", tm.slots},
                        {"freeSlots", tm.free_slots}});
  }
  return json{{"taskmanagers", list}};
}

}  // namespace

std::string JobIdOf(std::string_view encoded_spec) {
  return Hex64(Checksum64(encoded_spec)) + Hex64(Checksum64("jid:" + std::string(encoded_spec)));
}

// POST /jobs/:jobid/savepoints and /jobs/:jobid/stop (the job id already checked).
HttpResponse TriggerSavepoint(const JobManagerRestState& state, const HttpRequest& request,
                              bool stop) {
  json body = json::object();
  if (!request.body.empty()) {
    body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded() || !body.is_object()) {
      return Error(400, "the request body is not a JSON object");
    }
  }
  // Flink's names: target-directory for a savepoint, targetDirectory for a stop.
  std::string target;
  for (const char* key : {"target-directory", "targetDirectory"}) {
    if (!body.contains(key)) continue;
    const json& value = body[key];
    if (!value.is_string() || value.get<std::string>().empty()) {
      return Error(400, std::string(key) + " must be a non-empty string (a directory)");
    }
    target = value.get<std::string>();
    for (size_t start = 0; start <= target.size();) {
      const size_t end = std::min(target.find('/', start), target.size());
      if (target.compare(start, end - start, "..") == 0) {
        return Error(400, std::string(key) + " '" + target + "' must not contain '..'");
      }
      start = end + 1;
    }
  }
  bool terminate = stop;
  if (!stop && body.contains("cancel-job")) {
    if (!body["cancel-job"].is_boolean()) return Error(400, "cancel-job must be true or false");
    terminate = body["cancel-job"].get<bool>();
  }
  if (stop && body.contains("drain") &&
      (!body["drain"].is_boolean() || body["drain"].get<bool>())) {
    return Error(400, "drain is not supported: the sources stop without a final watermark");
  }
  if (!state.trigger_savepoint) return Error(503, "JobManager " + state.id + " is not leading");
  return Json(202, json{{"request-id", state.trigger_savepoint(terminate, target)}});
}

// PATCH /jobs/:jobid's query: none or Flink's one mode, else 400.
std::optional<HttpResponse> UnsupportedCancelQuery(const HttpRequest& request) {
  if (request.query.empty() || request.query == "mode=cancel") return std::nullopt;
  return Error(400, "unsupported query '" + request.query + "' (mode=cancel is the one mode)");
}

// PATCH /jobs/:jobid (the job id already checked): Flink's cancel.
HttpResponse CancelJob(const JobManagerRestState& state, const JobSnapshot& job,
                       const HttpRequest& request) {
  if (auto refused = UnsupportedCancelQuery(request)) return *refused;
  if (job.state == "FINISHED" || job.state == "FAILED" || job.state == "CANCELED") {
    return Error(409, "Job " + job.job_id + " has already ended " + job.state);
  }
  if (!state.cancel_job) return Error(503, "JobManager " + state.id + " is not leading");
  state.cancel_job();
  return Json(202, json::object());
}

// PATCH /jobs/:jobid of a session cluster's job that is not running.
HttpResponse CancelQueuedJob(const JobManagerRestState& state, const SessionJob& job,
                             const HttpRequest& request) {
  if (auto refused = UnsupportedCancelQuery(request)) return *refused;
  if (job.state != "CREATED" && job.state != "CANCELLING") {
    return Error(409, "Job " + job.id + " has already ended " + job.state);
  }
  if (!state.cancel_queued) return Error(503, "JobManager " + state.id + " is not leading");
  state.cancel_queued(job.id);
  return Json(202, json::object());
}

// POST /jobs (a session cluster): the body's job, stored through submit_job.
HttpResponse SubmitJob(const JobManagerRestState& state, const HttpRequest& request) {
  const json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    return Error(400, "the request body is not a JSON object");
  }
  JobSpec spec;
  const auto string_field = [&](const char* key, std::string* out) -> std::optional<HttpResponse> {
    if (!body.contains(key)) return std::nullopt;
    if (!body[key].is_string() || body[key].get<std::string>().empty()) {
      return Error(400, std::string(key) + " must be a non-empty string");
    }
    *out = body[key].get<std::string>();
    return std::nullopt;
  };
  const auto int_field = [&](const char* key, int lo, int hi,
                             int* out) -> std::optional<HttpResponse> {
    if (!body.contains(key)) return std::nullopt;
    if (!body[key].is_number_integer() || body[key].get<int64_t>() < lo ||
        body[key].get<int64_t>() > hi) {
      return Error(400, fmt::format("{} must be an integer in [{}, {}]", key, lo, hi));
    }
    *out = static_cast<int>(body[key].get<int64_t>());
    return std::nullopt;
  };
  if (!body.contains("job")) return Error(400, "job is required (a registered job's name)");
  std::string savepoint;
  int parallelism = 0;
  for (auto error : {string_field("job", &spec.job), string_field("input", &spec.input_dir),
                     string_field("output", &spec.output_dir),
                     string_field("savepointPath", &savepoint),
                     int_field("inputSplits", 1, static_cast<int>(kUpperBoundMaxParallelism),
                               &spec.input_splits),
                     int_field("parallelism", 1, static_cast<int>(kUpperBoundMaxParallelism),
                               &parallelism)}) {
    if (error) return *error;
  }
  if (body.contains("flinkConfiguration")) {
    const json& settings = body["flinkConfiguration"];
    if (!settings.is_object()) return Error(400, "flinkConfiguration must be an object");
    for (const auto& [key, value] : settings.items()) {
      if (!value.is_string()) {
        return Error(400, "flinkConfiguration." + key + " must be a string");
      }
      spec.settings.Set(key, value.get<std::string>());
    }
  }
  // Flink's fields for these two settings win over the same keys in flinkConfiguration.
  if (!savepoint.empty()) spec.settings.Set(SavepointPath().key, savepoint);
  if (parallelism > 0) spec.settings.Set(ParallelismDefault().key, std::to_string(parallelism));
  if (!state.submit_job) return Error(503, "JobManager " + state.id + " is not leading");
  Result<std::string> id = state.submit_job(std::move(spec));
  if (!id.ok()) {
    const StatusCode code = id.status().code();
    return Error(code == StatusCode::kInvalidArgument || code == StatusCode::kNotFound ? 400 : 503,
                 id.status().message());
  }
  return Json(202, json{{"jobid", *id}, {"jobUrl", "/jobs/" + *id}});
}

// GET /jobs/:jobid/exceptions: the job's failure ("": none) at `end_ms` (-1: not known).
json Exceptions(const std::string& failure, int64_t end_ms) {
  return json{{"root-exception", failure.empty() ? json(nullptr) : json(failure)},
              {"timestamp", failure.empty() || end_ms < 0 ? json(nullptr) : json(end_ms)},
              {"all-exceptions", json::array()},
              {"truncated", false}};
}

json SavepointStatus(const JobSnapshot::Savepoint& savepoint) {
  if (savepoint.status == "IN_PROGRESS") {
    return json{{"status", {{"id", "IN_PROGRESS"}}}, {"operation", nullptr}};
  }
  json operation = savepoint.status == "COMPLETED"
                       ? json{{"location", savepoint.location}}
                       : json{{"failure-cause",
                               {{"class", "sluice.SavepointFailed"},
                                {"stack-trace", savepoint.failure}}}};
  return json{{"status", {{"id", "COMPLETED"}}}, {"operation", operation}};
}

HttpResponse HandleRestRequest(const JobManagerRestState& state, const HttpRequest& request) {
  // The dashboard's page holds no data: it is served without the token (its script sends it).
  if (request.method == "GET" && (request.path == "/" || request.path == "/index.html")) {
    return DashboardResponse();
  }
  if (!BearerTokenAccepted(request, state.bearer_token)) return UnauthorizedResponse();
  const std::vector<std::string> path = Segments(request.path);
  const bool post = request.method == "POST" && path.size() == 3 && path[0] == "jobs" &&
                    (path[2] == "savepoints" || path[2] == "stop");
  const bool patch = request.method == "PATCH" && path.size() == 2 && path[0] == "jobs";
  const bool submit =
      request.method == "POST" && path.size() == 1 && path[0] == "jobs" && state.session;
  if (request.method != "GET" && !post && !patch && !submit) {
    return Error(405, request.method + " " + request.path + " is not supported");
  }
  if (path.size() == 1 && path[0] == "metrics" && !post) return PrometheusMetrics(state);
  if (path.size() == 1 && path[0] == "config") {
    return Json(200, json{{"refresh-interval", 3000},
                          {"timezone-name", "UTC"},
                          {"timezone-offset", 0},
                          {"flink-version", "sluice"},
                          {"flink-revision", ""},
                          {"features", {{"web-submit", false}, {"web-cancel", false}}}});
  }
  if (!state.leader || (!state.snapshot && !state.session)) {
    return Error(503, "JobManager " + state.id +
                          " is a standby; the leading JobManager serves the REST API");
  }
  // A session cluster between jobs has no running job (no snapshot).
  std::optional<JobSnapshot> running;
  if (state.snapshot) running = state.snapshot();
  const JobSnapshot* current = running ? &*running : nullptr;
  if (path.size() == 1 && path[0] == "overview") return Json(200, Overview(state, current));
  if (path.size() == 1 && path[0] == "taskmanagers") {
    return Json(200, current != nullptr ? TaskManagers(*current)
                                        : json{{"taskmanagers", json::array()}});
  }
  if (path.size() == 1 && path[0] == "jobs") {
    if (request.method == "POST") return SubmitJob(state, request);
    json list = json::array();
    for (const auto& [id, job_state] : JobStates(state, current)) {
      list.push_back(json{{"id", id}, {"status", job_state}});
    }
    return Json(200, json{{"jobs", list}});
  }
  if (path.size() >= 2 && path[0] == "jobs" && (current == nullptr || path[1] != current->job_id)) {
    // A session cluster's job that is not running (queued or ended), if it is one.
    auto it = std::find_if(state.jobs.begin(), state.jobs.end(),
                           [&](const SessionJob& job) { return job.id == path[1]; });
    if (it == state.jobs.end()) return Error(404, "Job " + path[1] + " not found");
    if (patch && path.size() == 2) return CancelQueuedJob(state, *it, request);
    if (request.method == "GET" && path.size() == 2) {
      JobSnapshot job;
      job.job_id = it->id;
      job.name = it->name;
      job.state = it->state;
      return Json(200, Job(job));
    }
    if (request.method == "GET" && path.size() == 3 && path[2] == "exceptions") {
      return Json(200, Exceptions(it->failure, -1));
    }
    if (request.method == "GET" && path.size() == 4 && path[2] == "savepoints") {
      auto savepoint = it->savepoints.find(path[3]);
      if (savepoint == it->savepoints.end()) return Error(404, "No savepoint request " + path[3]);
      return Json(200, SavepointStatus(savepoint->second));
    }
    return Error(404, "Job " + path[1] + " is " + it->state + ", not running: " + request.path +
                          " is answered while it runs");
  }
  const JobSnapshot& job = *current;
  if (path.size() == 4 && path[0] == "jobs" && path[2] == "savepoints") {
    if (path[1] != job.job_id) return Error(404, "Job " + path[1] + " not found");
    auto it = job.savepoints.find(path[3]);
    if (it == job.savepoints.end()) return Error(404, "No savepoint request " + path[3]);
    return Json(200, SavepointStatus(it->second));
  }
  if (path.size() == 5 && path[0] == "jobs" && path[2] == "vertices" &&
      path[4] == "backpressure" && !post) {
    if (path[1] != job.job_id) return Error(404, "Job " + path[1] + " not found");
    for (size_t i = 0; i < job.vertices.size(); ++i) {
      if (VertexId(job, i) == path[3]) return Json(200, Backpressure(job, job.vertices[i]));
    }
    return Error(404, "Vertex " + path[3] + " not found");
  }
  if (path.size() >= 2 && path.size() <= 3 && path[0] == "jobs") {
    if (path[1] != job.job_id) return Error(404, "Job " + path[1] + " not found");
    if (post) return TriggerSavepoint(state, request, path[2] == "stop");
    if (patch) return CancelJob(state, job, request);
    if (path.size() == 2) return Json(200, Job(job));
    if (path[2] == "checkpoints") return Json(200, Checkpoints(job));
    if (path[2] == "metrics") return Json(200, Metrics(job, request.query));
    if (path[2] == "exceptions") return Json(200, Exceptions(job.failure, job.end_ms));
  }
  return Error(404, "Not found: " + request.path);
}

RestServer::~RestServer() {
  if (!listener_) return;
  listener_->Close();
  host_.fibers.Join(fiber_);
}

Status RestServer::Start(const std::string& bind_host, uint16_t port,
                         JobManagerRestState* state) {
  ASSIGN_OR_RETURN(listener_, host_.network.Listen(Address{bind_host, port}, Protocol::kHttp));
  host_.log.Info("rest.listening", "port " + std::to_string(listener_->port()));
  fiber_ = host_.fibers.Spawn("jm-rest", [this, state] {
    ServeHttp(host_, *listener_,
              [state](const HttpRequest& request) { return HandleRestRequest(*state, request); });
  });
  return Status::Ok();
}

}  // namespace sluice
