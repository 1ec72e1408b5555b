// A session cluster end to end on a simulated cluster (engine/jobmanager/dispatcher.h): two
// JobManagers without a job, TaskManagers that find the leader through etcd, and a client that
// submits two word-count jobs through POST /jobs (each into an output directory of its own) and
// polls them to their end, while the leading JobManager crashes during the second job. Each
// job's committed output must be word count's, exactly once: the first job's untouched by the
// second, the second's run on by the JobManager that took over.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "engine/rest/http.h"
#include "scenarios/http_client_test_util.h"
#include "engine/runtime/random.h"
#include "scenarios/exactly_once.h"
#include "scenarios/wordcount_cluster.h"
#include "simnet/sim_disk.h"

namespace sluice::scenarios {
namespace {
namespace session_cluster_test {

using nlohmann::json;

constexpr uint16_t kRestPort = 8081;
const std::vector<std::string> kJobManagers = {"jobmanager", "jobmanager-2"};

// `method` `target` (with `body`) on `jobmanager`'s REST API; status -1 if it did not answer.
HttpResponse Ask(Host& host, const std::string& jobmanager, const std::string& method,
                 const std::string& target, const std::string& body = "") {
  return AskHttp(host, Address{jobmanager, kRestPort}, method, target, body);
}

// What the client saw.
struct Client {
  std::vector<std::string> ids;     // the submitted jobs' ids, in order
  std::vector<std::string> states;  // their last states
  int bad_job_status = 0;           // the answer to a job no program registered
  bool done = false;
};

// Submits `outputs.size()` word-count jobs (one per output directory) to whichever JobManager
// accepts (a standby answers 503, a crashed one not at all), then polls every job until all
// have ended.
void RunClient(Host& host, const std::vector<std::string>& outputs, Client* client) {
  host.fibers.SleepFor(300 * kNanosPerMilli);
  for (int round = 0; client->bad_job_status == 0; ++round) {
    for (const std::string& jobmanager : kJobManagers) {
      const HttpResponse bad = Ask(host, jobmanager, "POST", "/jobs", R"({"job": "no-such-job"})");
      if (bad.status != 503 && bad.status != -1) client->bad_job_status = bad.status;
    }
    host.fibers.SleepFor(100 * kNanosPerMilli);
  }
  for (const std::string& output : outputs) {
    const json body{{"job", "wordcount"}, {"input", "input"}, {"output", output}};
    std::string id;
    while (id.empty()) {
      for (const std::string& jobmanager : kJobManagers) {
        const HttpResponse submitted = Ask(host, jobmanager, "POST", "/jobs", body.dump());
        if (submitted.status == 202) {
          id = json::parse(submitted.body)["jobid"];
          break;
        }
      }
      if (id.empty()) host.fibers.SleepFor(100 * kNanosPerMilli);
    }
    client->ids.push_back(id);
    client->states.push_back("");
  }
  for (;;) {
    bool all_ended = true;
    for (size_t i = 0; i < client->ids.size(); ++i) {
      for (const std::string& jobmanager : kJobManagers) {
        const HttpResponse job = Ask(host, jobmanager, "GET", "/jobs/" + client->ids[i]);
        if (job.status != 200) continue;
        client->states[i] = json::parse(job.body)["state"];
        break;
      }
      const std::string& state = client->states[i];
      all_ended = all_ended && (state == "FINISHED" || state == "FAILED" || state == "CANCELED");
    }
    if (all_ended) break;
    host.fibers.SleepFor(100 * kNanosPerMilli);
  }
  client->done = true;
}

std::string Input() {
  std::string input;
  for (int i = 0; i < 3000; ++i) input += "alpha beta gamma w" + std::to_string(i % 17) + "\n";
  return input;
}

TEST(SessionClusterTest, TwoJobsInTurnWithTheLeaderCrashedDuringTheSecond) {
  constexpr uint64_t kSeeds = 4;
  const std::string input = Input();
  const WordCountReference expected(input);
  int runs_on = 0;  // seeds where the second job was started again by the new leader
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed) +
                 " (rerun: --gtest_filter=SessionClusterTest.*; seeds 1.." +
                 std::to_string(kSeeds) + ")");
    WordCountClusterOptions options;
    options.seed = seed;
    options.rest_api = true;
    options.session = true;
    options.jobmanagers = 2;
    options.leader_retrieval = true;
    options.parallelism = 2;
    options.source_records_per_second = 2000;  // about 1.5 s a job
    WordCountCluster cluster(options, input);
    sim::World& world = cluster.world();
    Client client;
    world.AddHost("client", [&client](Host& host) { RunClient(host, {"out-a", "out-b"}, &client); });
    // Which JobManager started which job (dispatcher.job_started: "<id> <job> epoch <n>").
    std::vector<std::pair<std::string, sim::World::HostId>> started;
    world.AddEventObserver([&](sim::World::HostId host, Severity, std::string_view category,
                               std::string_view message) {
      if (category == "dispatcher.job_started") {
        started.emplace_back(std::string(message.substr(0, message.find(' '))), host);
      }
    });
    const auto started_second = [&]() -> const sim::World::HostId* {
      if (client.ids.size() < 2) return nullptr;
      for (const auto& [id, host] : started) {
        if (id == client.ids[1]) return &host;
      }
      return nullptr;
    };
    world.RunUntil([&] { return started_second() != nullptr || client.done; },
                   30 * 1000 * kNanosPerMilli);
    ASSERT_NE(started_second(), nullptr) << "the second job started";
    // The leader crashes a while into the second job, and comes back a while later.
    const sim::World::HostId leader = *started_second();
    const int64_t crash_at = world.now_ns() + world.random().UniformRange(50, 900) * kNanosPerMilli;
    world.RunUntil([&] { return world.now_ns() >= crash_at; }, crash_at + kNanosPerMilli);
    world.Crash(leader);
    const int64_t restart_at = world.now_ns() + 1500 * kNanosPerMilli;
    world.RunUntil([&] { return world.now_ns() >= restart_at; }, restart_at + kNanosPerMilli);
    world.Restart(leader);
    world.RunUntil([&] { return client.done; }, world.now_ns() + 60 * 1000 * kNanosPerMilli);
    ASSERT_TRUE(client.done) << "both jobs ended";
    EXPECT_EQ(client.bad_job_status, 400) << "an unknown job is refused";
    ASSERT_EQ(client.ids.size(), 2u);
    EXPECT_NE(client.ids[0], client.ids[1]);
    for (size_t i = 0; i < 2; ++i) {
      EXPECT_EQ(client.states[i], "FINISHED") << "job " << client.ids[i];
      const ExactlyOnceReport report =
          CheckExactlyOnce(expected, cluster.CommittedOutput(i == 0 ? "out-a" : "out-b"));
      EXPECT_TRUE(report.ok) << "job " << i << ": " << report.first_violation;
      // Each job's checkpoints are in its own directory of execution.checkpointing.dir.
      EXPECT_FALSE(world.disk(cluster.checkpoint_store()).ListCurrent("store/" + client.ids[i]).empty())
          << "no checkpoint directory for job " << client.ids[i];
    }
    int second_starts = 0;
    for (const auto& [id, host] : started) second_starts += id == client.ids[1] ? 1 : 0;
    if (second_starts > 1) ++runs_on;
  }
  EXPECT_GT(runs_on, 0) << "in some seed the crash interrupted the second job and the new "
                           "leader ran it on (the path this test exists for)";
  std::printf("%llu seeds: the second job run on by a new leader in %d\n",
              static_cast<unsigned long long>(kSeeds), runs_on);
}

}  // namespace session_cluster_test
}  // namespace
}  // namespace sluice::scenarios
