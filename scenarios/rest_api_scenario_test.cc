// The JobManager's REST API on the simulated cluster: a client host asks both JobManagers of an
// HA pair while the job runs. The leader answers with Flink's shapes, the standby answers 503
// naming itself, garbage gets 400 without harming the server, and what the leader reports (its
// TaskManagers' slots, completed checkpoints) matches the run.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <map>
#include <string>
#include <vector>

#include "engine/rest/http.h"
#include "scenarios/http_client_test_util.h"
#include "scenarios/exactly_once.h"
#include "scenarios/wordcount_cluster.h"

namespace sluice::scenarios {
namespace {
namespace rest_api_scenario_test {

using nlohmann::json;

constexpr uint16_t kRestPort = 8081;

// GET (or `method`) `target` from `address` over the simulated network; status -1 if it could
// not be asked.
HttpResponse Get(Host& host, const std::string& jobmanager, const std::string& target,
                 uint16_t port = kRestPort, const std::string& method = "GET") {
  return AskHttp(host, Address{jobmanager, port}, method, target);
}

// About 2 s of word count input at 2,000 records/s.
std::string Input() {
  std::string input;
  for (int i = 0; i < 4000; ++i) input += "alpha beta gamma w" + std::to_string(i % 17) + "\n";
  return input;
}

// An HA pair of JobManagers serving the REST API.
WordCountClusterOptions HaPairWithRest(uint64_t seed) {
  WordCountClusterOptions options;
  options.seed = seed;
  options.jobmanagers = 2;
  options.rest_api = true;
  options.source_records_per_second = 2000;
  return options;
}

TEST(RestApiScenarioTest, TheLeaderAnswersAndTheStandbyRefersToIt) {
  const WordCountClusterOptions options = HaPairWithRest(1);
  WordCountCluster cluster(options, Input());
  struct Seen {
    std::string leader;  // the JobManager that answered /overview with 200
    int standby_503 = 0;
    int64_t completed = 0;  // the most completed checkpoints the leader reported
    int64_t state_size = 0;  // the latest completed checkpoint's full size, last seen (bytes)
    json taskmanagers;
    int bad_request = 0;
    bool good_after_bad = false;
  } seen;
  cluster.world().AddHost("rest-client", [&seen](Host& host) {
    host.fibers.SleepFor(300 * kNanosPerMilli);
    // Garbage, then a good request: the server answers 400 and keeps serving.
    for (const std::string jm : {"jobmanager", "jobmanager-2"}) {
      auto stream = host.network.Connect(Address{jm, kRestPort}, kNanosPerSecond);
      if (!stream.ok()) continue;
      (void)(*stream)->Write("\x16\x03\x01 not http\r\n\r\n");
      auto response = ReadHttpResponse(**stream);
      if (response.ok() && response->status == 400) ++seen.bad_request;
      seen.good_after_bad = seen.good_after_bad || Get(host, jm, "/config").status == 200;
    }
    for (int round = 0; round < 12; ++round) {
      host.fibers.SleepFor(250 * kNanosPerMilli);
      for (const std::string jm : {"jobmanager", "jobmanager-2"}) {
        const HttpResponse overview = Get(host, jm, "/overview");
        if (overview.status == 503) ++seen.standby_503;
        if (overview.status != 200) continue;
        const json body = json::parse(overview.body);
        EXPECT_EQ(body["sluice-jobmanager"], jm) << "a JobManager reports itself";
        seen.leader = jm;
        const json jobs = json::parse(Get(host, jm, "/jobs").body);
        const std::string jid = jobs["jobs"][0]["id"];
        const json checkpoints = json::parse(Get(host, jm, "/jobs/" + jid + "/checkpoints").body);
        seen.completed = std::max<int64_t>(seen.completed, checkpoints["counts"]["completed"]);
        const json& latest = checkpoints["latest"]["completed"];
        if (!latest.is_null()) {
          EXPECT_LE(latest["checkpointed_size"], latest["state_size"]);
          seen.state_size = latest["state_size"];
        }
        seen.taskmanagers = json::parse(Get(host, jm, "/taskmanagers").body)["taskmanagers"];
      }
    }
  });
  cluster.Run(120 * 1000);
  ASSERT_TRUE(cluster.finished()) << cluster.failure();
  EXPECT_FALSE(seen.leader.empty()) << "no JobManager answered /overview";
  EXPECT_GT(seen.standby_503, 0) << "the standby never answered 503";
  EXPECT_GT(seen.completed, 0);
  EXPECT_LE(seen.completed, cluster.checkpoints_completed());
  EXPECT_GT(seen.state_size, 0) << "a completed checkpoint holds the tasks' state";
  ASSERT_EQ(seen.taskmanagers.size(), 3u) << seen.taskmanagers.dump();
  EXPECT_EQ(seen.taskmanagers[0]["id"], "taskmanager-1");
  EXPECT_EQ(seen.taskmanagers[0]["slotsNumber"], options.slots_per_taskmanager);
  EXPECT_GT(seen.bad_request, 0);
  EXPECT_TRUE(seen.good_after_bad);
}

// PATCH /jobs/:jobid on the leader cancels the job: it ends CANCELED (a second cancel is 409 or
// finds no leader), both JobManagers return kCancelled (the standby reads the recorded result),
// and the committed output is one consistent cut of the input: whatever the completed
// checkpoints committed, nothing twice.
TEST(RestApiScenarioTest, CancelEndsTheJobCanceledWithAConsistentCutCommitted) {
  const WordCountClusterOptions options = HaPairWithRest(3);
  WordCountCluster cluster(options, Input());
  int exited_cancelled = 0;
  bool canceled = false;
  cluster.world().AddEventObserver(
      [&](sim::World::HostId, Severity, std::string_view category, std::string_view message) {
        if (category == "job.canceled") canceled = true;
        if (category == "jobmanager.exited" && message.find("CANCELLED") != std::string::npos) {
          ++exited_cancelled;
        }
      });
  struct Seen {
    int cancel_status = 0;
    int again_status = 0;
    std::string state_after;
  } seen;
  cluster.world().AddHost("operator", [&seen, &cluster](Host& host) {
    while (cluster.checkpoints_completed() < 2) host.fibers.SleepFor(50 * kNanosPerMilli);
    for (const std::string jm : {"jobmanager", "jobmanager-2"}) {
      if (Get(host, jm, "/overview").status != 200) continue;
      const json jobs = json::parse(Get(host, jm, "/jobs").body);
      const std::string jid = jobs["jobs"][0]["id"];
      seen.cancel_status = Get(host, jm, "/jobs/" + jid + "?mode=cancel", kRestPort, "PATCH").status;
      host.fibers.SleepFor(20 * kNanosPerMilli);
      seen.again_status = Get(host, jm, "/jobs/" + jid, kRestPort, "PATCH").status;
      const HttpResponse after = Get(host, jm, "/jobs/" + jid);
      if (after.status == 200) seen.state_after = json::parse(after.body)["state"];
      break;
    }
  });
  cluster.world().RunUntil([&] { return exited_cancelled >= 2; }, 60 * kNanosPerSecond);
  EXPECT_EQ(seen.cancel_status, 202);
  EXPECT_TRUE(seen.again_status == 409 || seen.again_status == 503 || seen.again_status == -1)
      << seen.again_status;
  EXPECT_TRUE(seen.state_after.empty() || seen.state_after == "CANCELED") << seen.state_after;
  EXPECT_TRUE(canceled);
  EXPECT_EQ(exited_cancelled, 2) << "both JobManagers end with the recorded CANCELED result";
  EXPECT_FALSE(cluster.finished());
  EXPECT_FALSE(cluster.failed()) << cluster.failure();
  const ConsistentCutReport cut = CheckConsistentCut(cluster.partitions(), cluster.CommittedOutput());
  EXPECT_TRUE(cut.ok) << cut.first_violation;
}

// The value of the sample whose line starts with `prefix` (metric name and labels), or -1.
double SampleValue(const std::string& text, const std::string& prefix) {
  size_t at = 0;
  while ((at = text.find(prefix, at)) != std::string::npos) {
    if (at == 0 || text[at - 1] == '\n') {
      const size_t space = text.find(' ', at + prefix.size());
      const size_t end = text.find('\n', at);
      if (space != std::string::npos && space < end) {
        return std::stod(text.substr(space + 1, end - space - 1));
      }
    }
    ++at;
  }
  return -1;
}

// Prometheus text from the leader (on rest.port) and from each TaskManager (on its metrics
// port) while the job runs: the leader's checkpoint and job metrics match its REST answers,
// the standby says it does not lead, and the TaskManagers' tasks count records in and out and
// busy time. Every sample line is "name{labels} value" under a # TYPE line.
TEST(RestApiScenarioTest, MetricsInPrometheusText) {
  WordCountClusterOptions options = HaPairWithRest(2);
  options.metrics = true;
  WordCountCluster cluster(options, Input());
  std::map<std::string, HttpResponse> scraped;  // host → its /metrics, the last one asked
  cluster.world().AddHost("prometheus", [&scraped, &cluster](Host& host) {
    host.fibers.SleepFor(1200 * kNanosPerMilli);
    for (const std::string jm : {"jobmanager", "jobmanager-2"}) {
      scraped[jm] = Get(host, jm, "/metrics");
    }
    for (int i = 1; i <= static_cast<int>(cluster.taskmanagers().size()); ++i) {
      const std::string tm = "taskmanager-" + std::to_string(i);
      scraped[tm] = Get(host, tm, "/metrics", WordCountCluster::kMetricsPort);
    }
    scraped["404"] = Get(host, "taskmanager-1", "/nothing", WordCountCluster::kMetricsPort);
  });
  cluster.Run(60 * 1000);
  ASSERT_TRUE(cluster.finished()) << cluster.failure();

  int leaders = 0;
  for (const std::string jm : {"jobmanager", "jobmanager-2"}) {
    const HttpResponse& response = scraped[jm];
    ASSERT_EQ(response.status, 200) << jm;
    EXPECT_EQ(response.content_type.rfind("text/plain; version=0.0.4", 0), 0u);
    const double leader =
        SampleValue(response.body, "sluice_jobmanager_isLeader{jobmanager=\"" + jm + "\"}");
    ASSERT_GE(leader, 0) << response.body;
    if (leader != 1) continue;
    ++leaders;
    EXPECT_GT(SampleValue(response.body, "sluice_jobmanager_taskSlotsTotal"), 0) << response.body;
    EXPECT_NE(response.body.find("sluice_jobmanager_job_numberOfCompletedCheckpoints{job_id=\""),
              std::string::npos)
        << response.body;
    EXPECT_NE(response.body.find("job_name=\"wordcount\"} "), std::string::npos);
  }
  EXPECT_EQ(leaders, 1) << "one leader, one standby";

  double records_in = 0;
  double records_out = 0;
  double busy_ms = 0;
  for (const auto& [host, response] : scraped) {
    if (host.rfind("taskmanager-", 0) != 0) continue;
    ASSERT_EQ(response.status, 200) << host;
    size_t line_start = 0;
    std::string described;
    while (line_start < response.body.size()) {
      const size_t end = response.body.find('\n', line_start);
      const std::string line = response.body.substr(line_start, end - line_start);
      line_start = end + 1;
      if (line.rfind("# TYPE ", 0) == 0) described = line.substr(7, line.find(' ', 7) - 7);
      if (line.empty() || line[0] == '#') continue;
      const std::string name = line.substr(0, line.find_first_of("{ "));
      EXPECT_EQ(name, described) << "a sample under its # TYPE line: " << line;
      const double value = std::stod(line.substr(line.rfind(' ') + 1));
      if (name == "sluice_taskmanager_job_task_numRecordsIn") records_in += value;
      if (name == "sluice_taskmanager_job_task_numRecordsOut") records_out += value;
      if (name == "sluice_taskmanager_job_task_accumulateBusyTimeMs") busy_ms += value;
    }
    EXPECT_NE(response.body.find("task_name=\""), std::string::npos) << response.body;
  }
  EXPECT_GT(records_in, 0) << "the tasks took records in by 1.2 s";
  EXPECT_GT(records_out, 0) << "the sources sent records downstream";
  EXPECT_GT(busy_ms, 0);
  EXPECT_EQ(scraped["404"].status, 404);
}

}  // namespace rest_api_scenario_test
}  // namespace
}  // namespace sluice::scenarios
