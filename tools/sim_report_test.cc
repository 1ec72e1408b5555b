#include "tools/sim_report.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tools/build_info.h"
#include "tools/test_faults.h"

namespace sluice::tools {
namespace {
namespace sim_report_test {

using testing::Fault;

RunOutcome FailingOutcome() {
  RunOutcome outcome;
  auto& result = outcome.result;
  result.scenario = "tm-crash";
  result.seed = 17;
  result.failure = "exactly once: duplicate 'fox\t2' in part-3\nsecond line \xff";
  result.trace_hash = 0x0123456789abcdefULL;
  result.simulated_ms = 4200;
  result.faults = {Fault(1200, "crash", "taskmanager-2"), Fault(1900, "pause", "jobmanager", 300)};
  result.config = {{"taskmanagers", "3"}, {"checkpoint_interval_ms", "200"}};
  result.fault_points_fired = {{"checkpoint.decline", 2}};
  result.checkpoints_completed = 5;
  result.records_in = 10;
  result.job_settings = {{"parallelism.default", "3"}};
  result.operators = {{"Source", 2}, {"Count", 3}};
  outcome.wall_ms = 321;
  return outcome;
}

RunSpec MakeSpec() {
  RunSpec spec{"build/tools/sluice", "tm-crash", "my input.txt",
               "commit-not-idempotent", ""};
  spec.settings.Set("parallelism.default", "3");
  spec.settings.Set("execution.checkpointing.interval", "1 s");
  spec.input_xxh64 = "0123456789abcdef";
  return spec;
}
const RunSpec kSpec = MakeSpec();

TEST(ReproCommandTest, NamesEverythingTheRunDependsOnQuoted) {
  EXPECT_EQ(ReproCommand(kSpec, 17),
            "build/tools/sluice sim run tm-crash --seed 17 --job wordcount -D "
            "'execution.checkpointing.interval=1 s' -D parallelism.default=3 --plant-bug "
            "commit-not-idempotent --input 'my input.txt'");
  RunSpec plain{"sluice", "s", "", "", "min.json"};
  EXPECT_EQ(ReproCommand(plain, 1), "sluice sim run s --seed 1 --job wordcount --faults min.json");
}

TEST(RunJsonTest, RoundTripsThroughTheWorkerWireFormat) {
  const RunOutcome outcome = FailingOutcome();
  const std::string line = RunJson(kSpec, outcome);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto json = nlohmann::json::parse(line);
  EXPECT_EQ(json["config"]["taskmanagers"], "3");
  EXPECT_EQ(json["fault_points_fired"]["checkpoint.decline"], 2);
  EXPECT_EQ(json["faults"][1]["duration_ms"], 300);
  EXPECT_FALSE(json["faults"][0].contains("duration_ms"));
  EXPECT_EQ(json["trace_hash"], "0123456789abcdef");
  EXPECT_EQ(json["plant_bug"], "commit-not-idempotent");
  EXPECT_EQ(json["job"]["name"], "wordcount");
  EXPECT_EQ(json["job"]["settings"]["parallelism.default"], "3");
  EXPECT_EQ(json["job"]["operators"][1]["name"], "Count");
  EXPECT_EQ(json["job"]["operators"][1]["parallelism"], 3);
  EXPECT_EQ(json["input_xxh64"], "0123456789abcdef");
  EXPECT_EQ(json["build"]["commit"], ThisBuild().git_commit);
  EXPECT_FALSE(json.contains("deterministic"));
  EXPECT_TRUE(nlohmann::json::parse(RunJson(kSpec, outcome, true))["deterministic"]);

  auto parsed = ParseRunJson(line);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->result.seed, 17u);
  EXPECT_FALSE(parsed->result.pass);
  EXPECT_EQ(parsed->result.trace_hash, outcome.result.trace_hash);
  EXPECT_EQ(parsed->result.faults, outcome.result.faults);
  EXPECT_EQ(parsed->result.config, outcome.result.config);
  EXPECT_EQ(parsed->result.fault_points_fired, outcome.result.fault_points_fired);
  EXPECT_EQ(parsed->result.job_settings, outcome.result.job_settings);
  EXPECT_EQ(parsed->result.operators, outcome.result.operators);
  EXPECT_EQ(parsed->wall_ms, 321);
  EXPECT_FALSE(ParseRunJson("{\"seed\": 1}").ok());
  EXPECT_FALSE(ParseRunJson("not json").ok());
}

TEST(RunJsonTest, AFailedCleanlyRunIsAPassThatSaysWhy) {
  RunOutcome outcome = FailingOutcome();
  outcome.result.pass = true;
  outcome.result.failed_cleanly = true;
  outcome.result.beyond_budget = "fault 1 and fault 2 hit both disks";
  outcome.result.events.emplace("task.restored_state_lost", 2);
  const std::string line = RunJson(kSpec, outcome);
  const auto json = nlohmann::json::parse(line);
  EXPECT_EQ(json["verdict"], "failed_cleanly");
  EXPECT_EQ(json["failure"], "");
  EXPECT_EQ(json["events"]["task.restored_state_lost"], 2);
  auto parsed = ParseRunJson(line);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_TRUE(parsed->result.pass);
  EXPECT_TRUE(parsed->result.failed_cleanly);
  EXPECT_EQ(parsed->result.beyond_budget, outcome.result.beyond_budget);
  EXPECT_EQ(parsed->result.events, outcome.result.events);
}

TEST(FailureReportTest, NamesScenarioSeedBuildConfigFaultsFailureAndRepro) {
  const std::string report = FailureReport(kSpec, FailingOutcome());
  for (const std::string& part :
       {std::string("FAIL tm-crash seed 17 (trace 0123456789abcdef): exactly once"),
        std::string("scenario    tm-crash"), std::string("seed        17"),
        "build       " + DescribeBuild(ThisBuild()),
        std::string("config      checkpoint_interval_ms=200 taskmanagers=3"),
        std::string("1200 ms crash taskmanager-2"),
        std::string("1900 ms pause jobmanager duration_ms=300"),
        std::string("planted bug commit-not-idempotent"),
        std::string("job         wordcount  parallelism.default=3  operators Source(2), Count(3)"),
        std::string("input       xxh64 0123456789abcdef"),
        std::string("\n              second line"), "repro       " + ReproCommand(kSpec, 17)}) {
    EXPECT_NE(report.find(part), std::string::npos) << part << "\n" << report;
  }
  const std::string summary = RunSummary(kSpec, FailingOutcome());
  EXPECT_NE(summary.find("repro        " + ReproCommand(kSpec, 17)), std::string::npos) << summary;
  EXPECT_NE(summary.find("fault points checkpoint.decline=2"), std::string::npos) << summary;
}

}  // namespace sim_report_test
}  // namespace
}  // namespace sluice::tools
