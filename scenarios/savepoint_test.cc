// Savepoints end to end on simulated clusters: a stop-with-savepoint through the REST API
// (POST /jobs/:jobid/stop, then GET /jobs/:jobid/savepoints/:requestid until it completes), and a
// new deployment at another parallelism from that savepoint (execution.savepoint.path) on the
// same checkpoint store and output: together they commit word count's exact output, as one run
// of the job would.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "engine/rest/http.h"
#include "scenarios/exactly_once.h"
#include "scenarios/wordcount_cluster.h"
#include "simnet/sim_disk.h"

namespace sluice::scenarios {
namespace {
namespace savepoint_test {

using nlohmann::json;

constexpr uint16_t kRestPort = 8081;

// `method` `target` (with `body`) on the JobManager's REST API over the simulated network;
// status -1 if it could not be asked.
HttpResponse Ask(Host& host, const std::string& method, const std::string& target,
                 const std::string& body = "") {
  HttpResponse failed;
  failed.status = -1;
  auto stream = host.network.Connect(Address{"jobmanager", kRestPort}, kNanosPerSecond);
  if (!stream.ok()) return failed;
  if (!(*stream)->Write(EncodeHttpRequest(method, "jobmanager", target, body)).ok()) return failed;
  auto response = ReadHttpResponse(**stream);
  (*stream)->Close();
  return response.ok() ? response.value() : failed;
}

// Copies every file under `dir` (recursively) from one host's disks to another's.
void CopyTree(sim::World& from, sim::World::HostId from_host, sim::World& to,
              sim::World::HostId to_host, const std::string& dir) {
  auto [from_disk, from_path] = from.DiskAt(from_host, dir);
  auto [to_disk, to_path] = to.DiskAt(to_host, dir);
  ASSERT_NE(from_disk, nullptr);
  ASSERT_NE(to_disk, nullptr);
  for (const std::string& name : from_disk->ListCurrent(from_path)) {
    auto bytes = from_disk->ReadCurrent(from_path + "/" + name);
    if (bytes.ok()) {
      to_disk->WriteDurable(to_path + "/" + name, *bytes);
    } else {
      CopyTree(from, from_host, to, to_host, dir + "/" + name);  // a directory
    }
  }
}

std::string Input() {
  std::string input;
  for (int i = 0; i < 4000; ++i) input += "alpha beta gamma w" + std::to_string(i % 17) + "\n";
  return input;
}

TEST(SavepointTest, StopWithSavepointThenRestoreAtAnotherParallelism) {
  const std::string input = Input();
  WordCountClusterOptions options;
  options.seed = 1;
  options.rest_api = true;
  options.parallelism = 2;
  options.source_records_per_second = 2000;  // about 2 s of input
  WordCountCluster first(options, input);
  struct Seen {
    int stop_status = 0;
    std::string location;
    std::string status;
  } seen;
  first.world().AddHost("rest-client", [&seen](Host& host) {
    host.fibers.SleepFor(800 * kNanosPerMilli);
    std::string jid;
    while (jid.empty()) {
      const HttpResponse jobs = Ask(host, "GET", "/jobs");
      if (jobs.status == 200) jid = json::parse(jobs.body)["jobs"][0]["id"];
      if (jid.empty()) host.fibers.SleepFor(100 * kNanosPerMilli);
    }
    const HttpResponse stop = Ask(host, "POST", "/jobs/" + jid + "/stop", R"({"drain": false})");
    seen.stop_status = stop.status;
    if (stop.status != 202) return;
    const std::string request = json::parse(stop.body)["request-id"];
    for (int i = 0; i < 100 && seen.status != "COMPLETED"; ++i) {
      host.fibers.SleepFor(50 * kNanosPerMilli);
      const HttpResponse status = Ask(host, "GET", "/jobs/" + jid + "/savepoints/" + request);
      if (status.status != 200) continue;
      const json body = json::parse(status.body);
      seen.status = body["status"]["id"];
      if (seen.status == "COMPLETED" && body["operation"].contains("location")) {
        seen.location = body["operation"]["location"];
      }
    }
  });
  // The job finishes as soon as the savepoint completed, so the client may not get to see it
  // COMPLETED: the JobManager's event names the savepoint too.
  int64_t savepoint = 0;
  first.world().AddFieldObserver(
      [&](sim::World::HostId, std::string_view category, std::string_view, EventFields fields) {
        if (category == "savepoint.completed") savepoint = FieldValue(fields, "checkpoint");
      });
  first.Run(60 * 1000);
  ASSERT_EQ(seen.stop_status, 202);
  EXPECT_FALSE(seen.status.empty()) << "GET /jobs/:jobid/savepoints/:requestid answered";
  ASSERT_GT(savepoint, 0) << "the savepoint completed";
  if (seen.location.empty()) seen.location = "savepoints/savepoint-" + std::to_string(savepoint);
  EXPECT_EQ(seen.location, "savepoints/savepoint-" + std::to_string(savepoint));
  EXPECT_TRUE(first.finished()) << "stop-with-savepoint finishes the job: " << first.failure();
  const WordCountReference expected(input);
  const ExactlyOnceReport stopped = CheckExactlyOnce(expected, first.CommittedOutput());
  EXPECT_TRUE(stopped.at_most_once) << stopped.first_violation;
  EXPECT_FALSE(stopped.ok) << "stopped before the end of its input (the test's premise)";

  // The job again, at parallelism 3, from the savepoint, on the same checkpoint store and output.
  WordCountClusterOptions again = options;
  again.rest_api = false;
  again.parallelism = 3;
  again.savepoint_path = seen.location;
  WordCountCluster second(again, input);
  for (const char* dir : {"store/savepoints", "store/replica/savepoints"}) {
    CopyTree(first.world(), first.checkpoint_store(), second.world(), second.checkpoint_store(),
             dir);
  }
  CopyTree(first.world(), first.stores()[1], second.world(), second.stores()[1],
           "store/output/committed");
  second.Run(60 * 1000);
  ASSERT_TRUE(second.finished()) << second.failure();
  const ExactlyOnceReport report = CheckExactlyOnce(expected, second.CommittedOutput());
  EXPECT_TRUE(report.ok) << report.first_violation;
}

// A savepoint path with no savepoint fails the job, naming the path, instead of starting over.
TEST(SavepointTest, AMissingSavepointFailsTheJobNamingIt) {
  WordCountClusterOptions options;
  options.seed = 1;
  options.savepoint_path = "savepoints/savepoint-99";
  WordCountCluster cluster(options, Input());
  cluster.Run(60 * 1000);
  EXPECT_TRUE(cluster.failed());
  EXPECT_NE(cluster.failure().find("execution.savepoint.path savepoints/savepoint-99"),
            std::string::npos)
      << cluster.failure();
  EXPECT_TRUE(cluster.CommittedOutput().empty());
}

}  // namespace savepoint_test
}  // namespace
}  // namespace sluice::scenarios
