// Savepoints end to end on simulated clusters: a stop-with-savepoint through the REST API
// (POST /jobs/:jobid/stop, then GET /jobs/:jobid/savepoints/:requestid until it completes), and a
// new deployment at another parallelism from that savepoint (execution.savepoint.path) on the
// same checkpoint store and output: together they commit word count's exact output, as one run
// of the job would.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "engine/rest/http.h"
#include "scenarios/http_client_test_util.h"
#include "engine/runtime/random.h"
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
                 const std::string& body = "", const std::string& jobmanager = "jobmanager") {
  return AskHttp(host, Address{jobmanager, kRestPort}, method, target, body);
}

// Copies every file under `dir` (recursively) from one host's disks to another's, to `to_dir`
// there (default: the same path).
void CopyTree(sim::World& from, sim::World::HostId from_host, sim::World& to,
              sim::World::HostId to_host, const std::string& dir, const std::string& to_dir = "") {
  const std::string target = to_dir.empty() ? dir : to_dir;
  auto [from_disk, from_path] = from.DiskAt(from_host, dir);
  auto [to_disk, to_path] = to.DiskAt(to_host, target);
  ASSERT_NE(from_disk, nullptr);
  ASSERT_NE(to_disk, nullptr);
  for (const std::string& name : from_disk->ListCurrent(from_path)) {
    auto bytes = from_disk->ReadCurrent(from_path + "/" + name);
    if (bytes.ok()) {
      to_disk->WriteDurable(to_path + "/" + name, *bytes);
    } else {
      CopyTree(from, from_host, to, to_host, dir + "/" + name, target + "/" + name);  // a directory
    }
  }
}

std::string Input() {
  std::string input;
  for (int i = 0; i < 4000; ++i) input += "alpha beta gamma w" + std::to_string(i % 17) + "\n";
  return input;
}

// A stop-with-savepoint into `target` ("" for the default, savepoints/ in checkpoint storage), then
// the job again at parallelism 3 from the savepoint, on the same stores. `location` is where the
// savepoint is reported; `trees` the store directories (host index in stores(), path) the second
// cluster needs copied from the first.
void StopThenRestore(const std::string& target, const std::string& location,
                     const std::vector<std::pair<int, std::string>>& trees,
                     const std::string& imported = "") {
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
  first.world().AddHost("rest-client", [&seen, &target](Host& host) {
    host.fibers.SleepFor(800 * kNanosPerMilli);
    std::string jid;
    while (jid.empty()) {
      const HttpResponse jobs = Ask(host, "GET", "/jobs");
      if (jobs.status == 200) jid = json::parse(jobs.body)["jobs"][0]["id"];
      if (jid.empty()) host.fibers.SleepFor(100 * kNanosPerMilli);
    }
    json body{{"drain", false}};
    if (!target.empty()) body["targetDirectory"] = target;
    const HttpResponse stop = Ask(host, "POST", "/jobs/" + jid + "/stop", body.dump());
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
  const std::string name = "savepoint-" + std::to_string(savepoint);
  if (seen.location.empty()) seen.location = location + name;
  EXPECT_EQ(seen.location, location + name);
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
  for (const auto& [store, dir] : trees) {
    CopyTree(first.world(), first.stores()[store], second.world(), second.stores()[store], dir);
  }
  CopyTree(first.world(), first.stores()[1], second.world(), second.stores()[1],
           "store/output/committed");
  int64_t imports = 0;
  second.world().AddEventObserver(
      [&](sim::World::HostId, Severity, std::string_view category, std::string_view message) {
        if (category != "savepoint.importing") return;
        ++imports;
        EXPECT_NE(message.find(imported), std::string_view::npos) << message;
      });
  second.Run(60 * 1000);
  ASSERT_TRUE(second.finished()) << second.failure();
  EXPECT_EQ(imports > 0, !imported.empty()) << "a savepoint outside checkpoint storage is imported";
  const ExactlyOnceReport report = CheckExactlyOnce(expected, second.CommittedOutput());
  EXPECT_TRUE(report.ok) << report.first_violation;
}

constexpr int kCheckpointStore = 2;  // WordCountCluster::stores(): input, output, checkpoints
constexpr int kOutputStore = 1;

TEST(SavepointTest, StopWithSavepointThenRestoreAtAnotherParallelism) {
  StopThenRestore("", "savepoints/",
                  {{kCheckpointStore, "store/savepoints"},
                   {kCheckpointStore, "store/replica/savepoints"}});
}

// Into a directory relative to execution.checkpointing.dir: reported relative to it.
TEST(SavepointTest, ATargetDirectoryInCheckpointStorage) {
  StopThenRestore("kept/by-hand", "kept/by-hand/",
                  {{kCheckpointStore, "store/kept"}, {kCheckpointStore, "store/replica/kept"}});
}

// Into a directory outside checkpoint storage (here the output store's shared mount): reported
// by its absolute path; the new deployment copies it into checkpoint storage and restores from
// there. Only the savepoint's directory moves to the second cluster, not checkpoint storage.
TEST(SavepointTest, ATargetDirectoryOutsideCheckpointStorageIsImported) {
  StopThenRestore("/mnt/output/savepoints", "/mnt/output/savepoints/",
                  {{kOutputStore, "store/savepoints"}}, "/mnt/output/savepoints/savepoint-");
}

// The operator's side of a stop-with-savepoint amid failures: asks the JobManagers in turn (a
// standby or a crashed one does not answer) for the job, POSTs /jobs/:jobid/stop and polls the
// request; a request that fails (a restart aborted the savepoint) or is forgotten (a new leader
// answers 404) is asked again, until `stopped` (the job finished) or `attempts` tries. A
// savepoint may complete and the job still not stop (its leader crashed in between, and the
// new one runs the job on): only the job's end says the stop worked.
// Counts the stop requests the JobManagers accepted in `accepted` (as they are: the run may end
// with this fiber still polling).
void StopWithSavepointRetrying(Host& host, const std::vector<std::string>& jobmanagers,
                               const bool& stopped, int attempts, int* accepted) {
  for (int attempt = 0; attempt < attempts && !stopped; ++attempt) {
    if (attempt > 0) host.fibers.SleepFor(150 * kNanosPerMilli);
    for (const std::string& jobmanager : jobmanagers) {
      const HttpResponse jobs = Ask(host, "GET", "/jobs", "", jobmanager);
      if (jobs.status != 200) continue;
      const json listed = json::parse(jobs.body)["jobs"];
      if (listed.empty()) continue;
      const std::string jid = listed[0]["id"];
      const HttpResponse stop =
          Ask(host, "POST", "/jobs/" + jid + "/stop", R"({"drain": false})", jobmanager);
      if (stop.status != 202) continue;
      ++*accepted;
      const std::string request = json::parse(stop.body)["request-id"];
      for (int poll = 0; poll < 60 && !stopped; ++poll) {
        host.fibers.SleepFor(50 * kNanosPerMilli);
        const HttpResponse status =
            Ask(host, "GET", "/jobs/" + jid + "/savepoints/" + request, "", jobmanager);
        if (status.status == 404) break;  // a new leader: ask it again
        if (status.status != 200) continue;
        if (json::parse(status.body)["status"]["id"] != "IN_PROGRESS") break;  // done or failed
      }
      break;
    }
  }
}

// Crashes around a stop-with-savepoint and around the rescaled restore from it (the rescale
// scenario's savepoint path; the scenario itself redeploys from retained checkpoints, as a job
// cluster does): per seed, a job with two JobManagers at a drawn parallelism is stopped with a
// savepoint while a TaskManager and now and then the leading JobManager crash (the operator
// asks again until the savepoint completes), then the job starts again at another drawn
// parallelism from that savepoint while a TaskManager crashes during the restore. The two runs
// commit word count's exact output.
TEST(SavepointTest, CrashesAroundAStopWithSavepointAndItsRescaledRestore) {
  const std::string input = Input();
  const WordCountReference expected(input);
  constexpr uint64_t kSeeds = 16;
  int jobmanager_crashes = 0;
  int asked_again = 0;  // seeds whose first stop request did not stop the job
  int cut_short = 0;  // seeds whose savepoint stopped the job before the end of its input
  int imported = 0;   // seeds that restored a savepoint moved out of checkpoint storage
  int import_crashes = 0;  // ... whose JobManager crashed while copying it in
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed) +
                 " (rerun: ctest -R CrashesAroundAStopWithSavepointAndItsRescaledRestore)");
    Random random(seed);
    WordCountClusterOptions options;
    options.seed = seed;
    options.rest_api = true;
    options.jobmanagers = 2;
    options.taskmanagers = 3;
    options.parallelism = static_cast<int>(random.UniformRange(1, 3));
    options.checkpoint_interval_ms = random.UniformRange(80, 250);
    options.source_records_per_second = 1000;  // about 4 s of input
    bool stopped = false;
    int64_t savepoint = 0;  // the latest completed
    int reactions = 0;
    int accepted = 0;  // stop requests
    WordCountCluster first(options, input);
    sim::World& world = first.world();
    const int64_t stop_at_ms = random.UniformRange(400, 1000);
    world.AddHost("rest-client", [&](Host& host) {
      host.fibers.SleepFor(stop_at_ms * kNanosPerMilli);
      StopWithSavepointRetrying(host, {"jobmanager", "jobmanager-2"}, stopped, 20, &accepted);
    });
    const auto crash = [&](sim::World::HostId victim, int64_t at_ms, int64_t down_ms) {
      world.Schedule(at_ms * kNanosPerMilli, [&world, victim] {
        if (world.IsUp(victim)) world.Crash(victim);
      });
      world.Schedule((at_ms + down_ms) * kNanosPerMilli, [&world, victim] {
        if (!world.IsUp(victim)) world.Restart(victim);
      });
    };
    const auto& taskmanagers = first.taskmanagers();
    crash(taskmanagers[random.Uniform(taskmanagers.size())],
          stop_at_ms + random.UniformRange(-50, 150), random.UniformRange(50, 400));
    // And while the savepoint is in flight: a TaskManager (the savepoint is aborted) or the
    // leader itself (the request is forgotten, or the savepoint completes and the job runs on).
    world.AddFieldObserver([&](sim::World::HostId host, std::string_view category,
                               std::string_view, EventFields fields) {
      if (category == "savepoint.completed") savepoint = FieldValue(fields, "checkpoint");
      if (category == "job.finished") stopped = true;
      if (category != "savepoint.triggered" || reactions >= 2) return;
      ++reactions;
      const int64_t now_ms = world.now_ns() / kNanosPerMilli;
      if (random.Bernoulli(0.5)) {
        crash(taskmanagers[random.Uniform(taskmanagers.size())],
              now_ms + random.UniformRange(0, 40), random.UniformRange(50, 300));
      } else if (random.Bernoulli(0.5)) {
        ++jobmanager_crashes;
        crash(host, now_ms + random.UniformRange(0, 40), random.UniformRange(100, 500));
      }
    });
    first.Run(60 * 1000);
    asked_again += accepted > 1 ? 1 : 0;
    ASSERT_TRUE(first.finished()) << first.failure();
    ASSERT_GT(savepoint, 0) << "the stop-with-savepoint completed in the end";
    const ExactlyOnceReport stopped_report = CheckExactlyOnce(expected, first.CommittedOutput());
    ASSERT_TRUE(stopped_report.at_most_once) << stopped_report.first_violation;
    if (stopped_report.ok) continue;  // the input ended first: nothing left to restore
    ++cut_short;

    WordCountClusterOptions again = options;
    again.rest_api = false;
    again.jobmanagers = 1;
    while (again.parallelism == options.parallelism) {
      again.parallelism = static_cast<int>(random.UniformRange(1, 3));
    }
    const std::string name = "savepoint-" + std::to_string(savepoint);
    // Half the seeds move the savepoint out of checkpoint storage (to the output store's mount,
    // both copies), so that the restore copies it back in first, maybe crashing meanwhile.
    const bool moved = random.Bernoulli(0.5);
    again.savepoint_path = moved ? "/mnt/output/kept/" + name : "savepoints/" + name;
    WordCountCluster second(again, input);
    if (moved) {
      ++imported;
      CopyTree(world, first.checkpoint_store(), second.world(), second.stores()[1],
               "store/savepoints/" + name, "store/kept/" + name);
      CopyTree(world, first.checkpoint_store(), second.world(), second.stores()[1],
               "store/replica/savepoints/" + name, "store/kept/replica/" + name);
      second.world().AddFieldObserver([&](sim::World::HostId host, std::string_view category,
                                          std::string_view, EventFields) {
        if (category != "savepoint.importing" || import_crashes > imported - 1 ||
            !random.Bernoulli(0.5)) {
          return;
        }
        ++import_crashes;
        const int64_t at_ms = second.world().now_ns() / kNanosPerMilli + random.UniformRange(0, 20);
        second.world().Schedule(at_ms * kNanosPerMilli, [&second, host] {
          if (second.world().IsUp(host)) second.world().Crash(host);
        });
        second.world().Schedule((at_ms + 150) * kNanosPerMilli, [&second, host] {
          if (!second.world().IsUp(host)) second.world().Restart(host);
        });
      });
    } else {
      for (const char* dir : {"store/savepoints", "store/replica/savepoints"}) {
        CopyTree(world, first.checkpoint_store(), second.world(), second.checkpoint_store(), dir);
      }
    }
    CopyTree(world, first.stores()[1], second.world(), second.stores()[1],
             "store/output/committed");
    const auto& restored_on = second.taskmanagers();
    const sim::World::HostId victim = restored_on[random.Uniform(restored_on.size())];
    const int64_t victim_at_ms = random.UniformRange(0, 300);
    second.world().Schedule(victim_at_ms * kNanosPerMilli, [&second, victim] {
      if (second.world().IsUp(victim)) second.world().Crash(victim);
    });
    second.world().Schedule((victim_at_ms + 200) * kNanosPerMilli, [&second, victim] {
      if (!second.world().IsUp(victim)) second.world().Restart(victim);
    });
    second.Run(60 * 1000);
    ASSERT_TRUE(second.finished()) << second.failure();
    const ExactlyOnceReport report = CheckExactlyOnce(expected, second.CommittedOutput());
    EXPECT_TRUE(report.ok) << report.first_violation;
  }
  EXPECT_GT(jobmanager_crashes, 0) << "some seed crashed the leader around the stop";
  EXPECT_GT(asked_again, 0) << "some stop failed amid the crashes and was asked again";
  EXPECT_GT(import_crashes, 0) << "some seed crashed the JobManager while it copied a savepoint in";
  std::printf("%d seeds: %d cut short, %d stops asked again, %d leader crashes, %d restored from "
              "outside checkpoint storage (%d crashed while copying it in)\n",
              static_cast<int>(kSeeds), cut_short, asked_again, jobmanager_crashes, imported,
              import_crashes);
  EXPECT_GE(cut_short, static_cast<int>(kSeeds) - 1)
      << "the savepoints stop the job before the end of its input (the test's premise)";
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
