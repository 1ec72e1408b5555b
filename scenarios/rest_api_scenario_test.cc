// The JobManager's REST API on the simulated cluster: a client host asks both JobManagers of an
// HA pair while the job runs. The leader answers with Flink's shapes, the standby answers 503
// naming itself, garbage gets 400 without harming the server, and what the leader reports (its
// TaskManagers' slots, completed checkpoints) matches the run.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/rest/http.h"
#include "scenarios/wordcount_cluster.h"

namespace sluice::scenarios {
namespace {
namespace rest_api_scenario_test {

using nlohmann::json;

constexpr uint16_t kRestPort = 8081;

// GET `target` from `address` over the simulated network; status -1 if it could not be asked.
HttpResponse Get(Host& host, const std::string& jobmanager, const std::string& target) {
  HttpResponse failed;
  failed.status = -1;
  auto stream = host.network.Connect(Address{jobmanager, kRestPort}, kNanosPerSecond);
  if (!stream.ok()) return failed;
  if (!(*stream)->Write(EncodeHttpRequest("GET", jobmanager, target)).ok()) return failed;
  auto response = ReadHttpResponse(**stream);
  (*stream)->Close();
  return response.ok() ? response.value() : failed;
}

TEST(RestApiScenarioTest, TheLeaderAnswersAndTheStandbyRefersToIt) {
  std::string input;
  for (int i = 0; i < 4000; ++i) input += "alpha beta gamma w" + std::to_string(i % 17) + "\n";
  WordCountClusterOptions options;
  options.seed = 1;
  options.jobmanagers = 2;
  options.rest_api = true;
  options.source_records_per_second = 2000;
  WordCountCluster cluster(options, input);
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

}  // namespace rest_api_scenario_test
}  // namespace
}  // namespace sluice::scenarios
