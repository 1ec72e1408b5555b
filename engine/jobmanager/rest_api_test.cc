#include "engine/jobmanager/rest_api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sluice {
namespace {
namespace rest_api_test {

using nlohmann::json;

JobManagerRestState Leader() {
  JobManagerRestState state;
  state.id = "jobmanager-2";
  state.leader = true;
  state.epoch = 4;
  state.snapshot = [] {
    JobSnapshot job;
    job.job_id = JobIdOf("spec");
    job.name = "wordcount";
    job.state = "RUNNING";
    job.start_ms = 100;
    job.now_ms = 350;
    job.max_parallelism = 128;
    job.vertices = {{"Source -> Tokenize", 2, "RUNNING", {}}, {"Count -> Sink", 4, "RUNNING", {}}};
    // Subtask 0: 60 % backpressured; subtask 1: 5 % (no report yet from the second vertex).
    job.vertices[0].subtasks = {{0, 3, 300, 100, 600}, {1, 3, 900, 50, 50}};
    job.taskmanagers = {{"taskmanager-1", Address{"tm1", 7001}, 3, 0, 340},
                        {"taskmanager-2", Address{"tm2", 7001}, 3, 3, 345}};
    job.checkpoints_completed = 5;
    job.checkpoints_failed = 1;
    job.checkpoint_in_progress = true;
    job.latest_completed_checkpoint = 9;
    job.latest_checkpoint_full_bytes = 5000;
    job.latest_checkpoint_incremental_bytes = 1200;
    job.restored_checkpoint = 4;
    job.restarts = 1;
    return job;
  };
  return state;
}

json Get(const JobManagerRestState& state, const std::string& path, int expected_status = 200) {
  HttpRequest request;
  request.method = "GET";
  request.path = path;
  const HttpResponse response = HandleRestRequest(state, request);
  EXPECT_EQ(response.status, expected_status) << path << ": " << response.body;
  return json::parse(response.body);
}

// A session cluster's leader: one job finished, one running (Leader()'s snapshot), one queued.
JobManagerRestState SessionLeader(std::vector<JobSpec>* submitted,
                                  std::vector<std::string>* cancelled) {
  JobManagerRestState state = Leader();
  state.session = true;
  state.jobs = {{std::string(32, 'a'), "tokens", "FAILED", "job failed: boom"},
                {JobIdOf("spec"), "wordcount", "CREATED", ""},
                {std::string(32, 'c'), "nexmark-q5", "CREATED", ""}};
  state.submit_job = [submitted](JobSpec spec) -> Result<std::string> {
    if (spec.job == "refused") return InvalidArgumentError("unknown job 'refused'");
    submitted->push_back(std::move(spec));
    return std::string(32, 'd');
  };
  state.cancel_queued = [cancelled](const std::string& id) { cancelled->push_back(id); };
  return state;
}

HttpResponse Send(const JobManagerRestState& state, const std::string& method,
                  const std::string& path, const std::string& body = "") {
  HttpRequest request;
  request.method = method;
  request.path = path;
  request.body = body;
  return HandleRestRequest(state, request);
}

TEST(RestApiTest, ASessionClusterListsEveryJobAndAnswersForEndedAndQueuedOnes) {
  std::vector<JobSpec> submitted;
  std::vector<std::string> cancelled;
  const JobManagerRestState state = SessionLeader(&submitted, &cancelled);
  const json jobs = Get(state, "/jobs")["jobs"];
  ASSERT_EQ(jobs.size(), 3u);
  EXPECT_EQ(jobs[0]["status"], "FAILED");
  EXPECT_EQ(jobs[1]["status"], "RUNNING") << "the running job's state is its snapshot's";
  EXPECT_EQ(jobs[2]["status"], "CREATED");
  const json overview = Get(state, "/overview");
  EXPECT_EQ(overview["jobs-running"], 2) << "running and queued";
  EXPECT_EQ(overview["jobs-failed"], 1);
  const json failed = Get(state, "/jobs/" + std::string(32, 'a'));
  EXPECT_EQ(failed["state"], "FAILED");
  EXPECT_EQ(failed["name"], "tokens");
  EXPECT_EQ(Get(state, "/jobs/" + std::string(32, 'a') + "/exceptions")["root-exception"],
            "job failed: boom");
  Get(state, "/jobs/" + std::string(32, 'c') + "/checkpoints", 404);
  // Cancelling: a queued job through cancel_queued, an ended one refused.
  EXPECT_EQ(Send(state, "PATCH", "/jobs/" + std::string(32, 'c')).status, 202);
  EXPECT_EQ(cancelled, std::vector<std::string>{std::string(32, 'c')});
  EXPECT_EQ(Send(state, "PATCH", "/jobs/" + std::string(32, 'a')).status, 409);
  // Between jobs (no snapshot) the leader still answers about its jobs.
  JobManagerRestState idle = state;
  idle.snapshot = nullptr;
  EXPECT_EQ(Get(idle, "/jobs")["jobs"].size(), 3u);
  EXPECT_EQ(Get(idle, "/taskmanagers")["taskmanagers"].size(), 0u);
  EXPECT_EQ(Get(idle, "/overview")["jobs-running"], 2);
}

TEST(RestApiTest, PostJobsSubmitsTheBodysJobOrNamesWhatIsWrong) {
  std::vector<JobSpec> submitted;
  std::vector<std::string> cancelled;
  const JobManagerRestState state = SessionLeader(&submitted, &cancelled);
  const HttpResponse accepted = Send(
      state, "POST", "/jobs",
      R"({"job": "wordcount", "flinkConfiguration": {"source.rate-limit": "100",
          "parallelism.default": "3"}, "input": "/in", "output": "/out", "inputSplits": 4,
          "savepointPath": "abc/savepoints/savepoint-3", "parallelism": 2})");
  ASSERT_EQ(accepted.status, 202) << accepted.body;
  EXPECT_EQ(json::parse(accepted.body)["jobid"], std::string(32, 'd'));
  EXPECT_EQ(json::parse(accepted.body)["jobUrl"], "/jobs/" + std::string(32, 'd'));
  ASSERT_EQ(submitted.size(), 1u);
  const JobSpec& spec = submitted[0];
  EXPECT_EQ(spec.job, "wordcount");
  EXPECT_EQ(spec.input_dir, "/in");
  EXPECT_EQ(spec.output_dir, "/out");
  EXPECT_EQ(spec.input_splits, 4);
  EXPECT_EQ(spec.settings.entries().at("source.rate-limit"), "100");
  EXPECT_EQ(spec.settings.entries().at("parallelism.default"), "2") << "parallelism wins";
  EXPECT_EQ(spec.settings.entries().at("execution.savepoint.path"), "abc/savepoints/savepoint-3");
  const auto refused = [&](const std::string& body, const std::string& names) {
    const HttpResponse response = Send(state, "POST", "/jobs", body);
    EXPECT_EQ(response.status, 400) << body;
    EXPECT_NE(response.body.find(names), std::string::npos) << body << " -> " << response.body;
  };
  refused("not json", "not a JSON object");
  refused("{}", "job is required");
  refused(R"({"job": 3})", "job must be");
  refused(R"({"job": "wordcount", "inputSplits": 0})", "inputSplits");
  refused(R"({"job": "wordcount", "parallelism": "2"})", "parallelism");
  refused(R"({"job": "wordcount", "flinkConfiguration": {"a": 1}})", "flinkConfiguration.a");
  refused(R"({"job": "refused"})", "unknown job 'refused'");
  EXPECT_EQ(submitted.size(), 1u) << "nothing refused was submitted";
  // An application-mode JobManager takes no submissions; a standby answers 503.
  EXPECT_EQ(Send(Leader(), "POST", "/jobs", R"({"job": "wordcount"})").status, 405);
  JobManagerRestState standby = state;
  standby.leader = false;
  EXPECT_EQ(Send(standby, "POST", "/jobs", R"({"job": "wordcount"})").status, 503);
}

TEST(RestApiTest, OverviewAndTaskManagersHaveFlinksShape) {
  const JobManagerRestState state = Leader();
  const json overview = Get(state, "/overview");
  EXPECT_EQ(overview["taskmanagers"], 2);
  EXPECT_EQ(overview["slots-total"], 6);
  EXPECT_EQ(overview["slots-available"], 3);
  EXPECT_EQ(overview["jobs-running"], 1);
  EXPECT_EQ(overview["sluice-jobmanager"], "jobmanager-2");
  EXPECT_EQ(overview["sluice-leader-epoch"], 4);
  const json tms = Get(state, "/taskmanagers")["taskmanagers"];
  ASSERT_EQ(tms.size(), 2u);
  EXPECT_EQ(tms[0]["id"], "taskmanager-1");
  EXPECT_EQ(tms[0]["slotsNumber"], 3);
  EXPECT_EQ(tms[0]["freeSlots"], 0);
  EXPECT_EQ(tms[1]["path"], "tm2:7001");
}

TEST(RestApiTest, BackpressureRatiosAndLevelsPerSubtask) {
  const JobManagerRestState state = Leader();
  const std::string jid = JobIdOf("spec");
  const json vertices = Get(state, "/jobs/" + jid)["vertices"];
  const std::string source = vertices[0]["id"];
  const json backpressure = Get(state, "/jobs/" + jid + "/vertices/" + source + "/backpressure");
  EXPECT_EQ(backpressure["status"], "ok");
  EXPECT_EQ(backpressure["backpressure-level"], "high") << "its worst subtask's";
  EXPECT_EQ(backpressure["end-timestamp"], 350);
  ASSERT_EQ(backpressure["subtasks"].size(), 2u);
  EXPECT_EQ(backpressure["subtasks"][0]["attempt-number"], 3);
  EXPECT_DOUBLE_EQ(backpressure["subtasks"][0]["ratio"].get<double>(), 0.6);
  EXPECT_DOUBLE_EQ(backpressure["subtasks"][0]["busyRatio"].get<double>(), 0.3);
  EXPECT_DOUBLE_EQ(backpressure["subtasks"][0]["idleRatio"].get<double>(), 0.1);
  EXPECT_EQ(backpressure["subtasks"][1]["backpressure-level"], "ok");
  const json sink = Get(state, "/jobs/" + jid + "/vertices/" + std::string(vertices[1]["id"]) +
                                   "/backpressure");
  EXPECT_EQ(sink["backpressure-level"], "ok");
  EXPECT_TRUE(sink["subtasks"].empty()) << "no report yet";
  Get(state, "/jobs/" + jid + "/vertices/ffff/backpressure", 404);
}

TEST(RestApiTest, JobDetailsAndCheckpoints) {
  const JobManagerRestState state = Leader();
  const std::string jid = JobIdOf("spec");
  ASSERT_EQ(jid.size(), 32u);
  const json jobs = Get(state, "/jobs");
  EXPECT_EQ(jobs["jobs"][0]["id"], jid);
  EXPECT_EQ(jobs["jobs"][0]["status"], "RUNNING");
  const json job = Get(state, "/jobs/" + jid);
  EXPECT_EQ(job["name"], "wordcount");
  EXPECT_EQ(job["duration"], 250);
  ASSERT_EQ(job["vertices"].size(), 2u);
  EXPECT_EQ(job["vertices"][1]["parallelism"], 4);
  EXPECT_NE(job["vertices"][0]["id"], job["vertices"][1]["id"]);
  const json checkpoints = Get(state, "/jobs/" + jid + "/checkpoints");
  EXPECT_EQ(checkpoints["counts"]["completed"], 5);
  EXPECT_EQ(checkpoints["counts"]["total"], 7);
  EXPECT_EQ(checkpoints["latest"]["completed"]["id"], 9);
  EXPECT_EQ(checkpoints["latest"]["completed"]["state_size"], 5000);
  EXPECT_EQ(checkpoints["latest"]["completed"]["checkpointed_size"], 1200);
  EXPECT_EQ(checkpoints["latest"]["restored"]["id"], 4);
  EXPECT_TRUE(Get(state, "/jobs/" + jid + "/exceptions")["root-exception"].is_null());
  EXPECT_EQ(Get(state, "/jobs/" + jid + "/metrics").size(), 9u);
}

TEST(RestApiTest, JobMetricsAsFlinkReportsThem) {
  const JobManagerRestState state = Leader();
  HttpRequest request;
  request.method = "GET";
  request.path = "/jobs/" + JobIdOf("spec") + "/metrics";
  request.query = "get=numRestarts%2CnumberOfCompletedCheckpoints,nonsense";  // %2C is a comma
  const json metrics = json::parse(HandleRestRequest(state, request).body);
  EXPECT_EQ(metrics, json::parse(R"([{"id":"numRestarts","value":"1"},
                                     {"id":"numberOfCompletedCheckpoints","value":"5"}])"));
}

// A JobManager whose REST port is not on loopback wants the cluster's secret as a bearer token
// on every request, /metrics included.
TEST(RestApiTest, ABearerTokenGuardsEveryPath) {
  JobManagerRestState state = Leader();
  state.bearer_token = "0123456789abcdef";
  for (const char* path : {"/overview", "/metrics", "/jobs"}) {
    HttpRequest request;
    request.method = "GET";
    request.path = path;
    HttpResponse response = HandleRestRequest(state, request);
    EXPECT_EQ(response.status, 401) << path << " without a token";
    EXPECT_EQ(response.headers["WWW-Authenticate"], "Bearer");
    request.headers["authorization"] = "Bearer 0123456789abcdeX";
    EXPECT_EQ(HandleRestRequest(state, request).status, 401) << path << " with a wrong token";
    request.headers["authorization"] = "Bearer 0123456789abcdef0";
    EXPECT_EQ(HandleRestRequest(state, request).status, 401) << path << " with a longer one";
    request.headers["authorization"] = "Bearer 0123456789abcdef";
    EXPECT_EQ(HandleRestRequest(state, request).status, 200) << path << " with the token";
  }
}

TEST(RestApiTest, ErrorsUseFlinksErrorBody) {
  JobManagerRestState state = Leader();
  EXPECT_EQ(Get(state, "/jobs/0123", 404)["errors"][0], "Job 0123 not found");
  EXPECT_EQ(Get(state, "/nothing/here", 404)["errors"].size(), 1u);
  HttpRequest post;
  post.method = "POST";
  post.path = "/jobs";
  EXPECT_EQ(HandleRestRequest(state, post).status, 405);
  state.leader = false;
  const json standby = Get(state, "/overview", 503);
  EXPECT_NE(standby["errors"][0].get<std::string>().find("jobmanager-2 is a standby"),
            std::string::npos);
  EXPECT_EQ(Get(state, "/config")["flink-version"], "sluice");  // answered by any JobManager
}

HttpResponse Post(const JobManagerRestState& state, const std::string& path,
                  const std::string& body) {
  HttpRequest request;
  request.method = "POST";
  request.path = path;
  request.body = body;
  return HandleRestRequest(state, request);
}

TEST(RestApiTest, TheDashboardIsServedAtTheRootWithoutTheToken) {
  JobManagerRestState state = Leader();
  state.bearer_token = "the-cluster-secret";
  for (const char* path : {"/", "/index.html"}) {
    HttpRequest request;
    request.method = "GET";
    request.path = path;
    const HttpResponse page = HandleRestRequest(state, request);
    EXPECT_EQ(page.status, 200) << path;
    EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
    EXPECT_NE(page.body.find("<title>Sluice dashboard</title>"), std::string::npos);
    EXPECT_NE(page.body.find("id=\"job-state\""), std::string::npos);
  }
  HttpRequest data;
  data.method = "GET";
  data.path = "/overview";
  EXPECT_EQ(HandleRestRequest(state, data).status, 401) << "the data still wants the token";
}

TEST(RestApiTest, PatchCancelsTheJobAsFlinkDoes) {
  JobManagerRestState state = Leader();
  int cancels = 0;
  state.cancel_job = [&cancels] { ++cancels; };
  const std::string job = "/jobs/" + JobIdOf("spec");
  auto patch = [&state](const std::string& path, const std::string& query) {
    HttpRequest request;
    request.method = "PATCH";
    request.path = path;
    request.query = query;
    return HandleRestRequest(state, request);
  };
  const HttpResponse accepted = patch(job, "mode=cancel");
  EXPECT_EQ(accepted.status, 202);
  EXPECT_EQ(json::parse(accepted.body), json::object());
  EXPECT_EQ(patch(job, "").status, 202) << "mode=cancel is the default";
  EXPECT_EQ(cancels, 2);
  EXPECT_EQ(patch(job, "mode=stop").status, 400);
  EXPECT_EQ(patch("/jobs/0123", "").status, 404);
  EXPECT_EQ(patch("/jobs", "").status, 405);
  EXPECT_EQ(cancels, 2);
  // Once the job has ended: 409, and the overview counts a cancelled job.
  state.snapshot = [inner = state.snapshot] {
    JobSnapshot ended = inner();
    ended.state = "CANCELED";
    return ended;
  };
  EXPECT_EQ(patch(job, "").status, 409);
  EXPECT_EQ(cancels, 2);
  const json overview = Get(state, "/overview");
  EXPECT_EQ(overview["jobs-cancelled"], 1);
  EXPECT_EQ(overview["jobs-running"], 0);
  state.cancel_job = nullptr;
  state.snapshot = Leader().snapshot;
  EXPECT_EQ(patch(job, "").status, 503) << "no cancel hook: not leading";
}

TEST(RestApiTest, SavepointsAreTriggeredAndReportedAsFlinkDoes) {
  JobManagerRestState state = Leader();
  std::vector<bool> triggered;  // terminate flags
  std::vector<std::string> targets;
  state.trigger_savepoint = [&](bool terminate, const std::string& target) {
    triggered.push_back(terminate);
    targets.push_back(target);
    return "savepoint-4-" + std::to_string(triggered.size());
  };
  const std::string jobs = "/jobs/" + JobIdOf("spec");
  HttpResponse response = Post(state, jobs + "/savepoints", R"({"cancel-job": false})");
  EXPECT_EQ(response.status, 202);
  EXPECT_EQ(json::parse(response.body)["request-id"], "savepoint-4-1");
  EXPECT_EQ(Post(state, jobs + "/stop", "").status, 202);
  EXPECT_EQ(Post(state, jobs + "/savepoints", R"({"cancel-job": true})").status, 202);
  EXPECT_EQ(Post(state, jobs + "/savepoints", R"({"target-directory": "/srv/sp"})").status, 202);
  EXPECT_EQ(Post(state, jobs + "/stop", R"({"targetDirectory": "mine"})").status, 202);
  EXPECT_EQ(triggered, (std::vector<bool>{false, true, true, false, true}));
  EXPECT_EQ(targets, (std::vector<std::string>{"", "", "", "/srv/sp", "mine"}));
  // Refused: a target directory that is not a string or climbs out, drain, a body that is not
  // an object, another job.
  EXPECT_EQ(Post(state, jobs + "/savepoints", R"({"target-directory": 7})").status, 400);
  EXPECT_EQ(Post(state, jobs + "/savepoints", R"({"target-directory": ""})").status, 400);
  EXPECT_EQ(Post(state, jobs + "/savepoints", R"({"target-directory": "/a/../b"})").status, 400);
  EXPECT_EQ(Post(state, jobs + "/stop", R"({"targetDirectory": ".."})").status, 400);
  EXPECT_EQ(Post(state, jobs + "/stop", R"({"drain": true})").status, 400);
  EXPECT_EQ(Post(state, jobs + "/stop", "[1").status, 400);
  EXPECT_EQ(Post(state, "/jobs/0123/stop", "").status, 404);
  EXPECT_EQ(triggered.size(), 5u);
  // Status: in progress, completed with its location, or failed with the cause.
  state.snapshot = [inner = state.snapshot] {
    JobSnapshot job = inner();
    job.savepoints["savepoint-4-1"] = {"IN_PROGRESS", "", ""};
    job.savepoints["savepoint-4-2"] = {"COMPLETED", "savepoints/savepoint-12", ""};
    job.savepoints["savepoint-4-3"] = {"FAILED", "", "checkpoint 13 was aborted"};
    job.latest_savepoint = 12;
    job.latest_savepoint_location = "savepoints/savepoint-12";
    return job;
  };
  EXPECT_EQ(Get(state, jobs + "/savepoints/savepoint-4-1")["status"]["id"], "IN_PROGRESS");
  const json done = Get(state, jobs + "/savepoints/savepoint-4-2");
  EXPECT_EQ(done["status"]["id"], "COMPLETED");
  EXPECT_EQ(done["operation"]["location"], "savepoints/savepoint-12");
  const json failed = Get(state, jobs + "/savepoints/savepoint-4-3");
  EXPECT_EQ(failed["status"]["id"], "COMPLETED");
  EXPECT_EQ(failed["operation"]["failure-cause"]["stack-trace"], "checkpoint 13 was aborted");
  const json latest = Get(state, jobs + "/checkpoints")["latest"]["savepoint"];
  EXPECT_EQ(latest["id"], 12);
  EXPECT_EQ(latest["is_savepoint"], true);
  EXPECT_EQ(latest["external_path"], "savepoints/savepoint-12");
  Get(state, jobs + "/savepoints/nope", 404);
}

}  // namespace rest_api_test
}  // namespace
}  // namespace sluice
