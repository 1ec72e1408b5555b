// What `sluice sim` prints about a run: the repro command line, the --json line (also the wire
// format between sweep workers and their parent), the human summary and the failure report.
// Every failure report names the scenario, seed, build, configuration, fault schedule, the first
// invariant that failed and the command that replays the run.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "engine/base/status.h"
#include "engine/config/configuration.h"
#include "scenarios/scenario.h"

namespace sluice::tools {

// What identifies a run besides its seed.
struct RunSpec {
  std::string program;  // how the user invoked sluice (argv[0])
  std::string scenario;
  std::string input_path;   // "" = the fortunes corpus
  std::string plant_bug;    // "" = none
  std::string faults_path;  // "" = the schedule is drawn from the seed
  std::string job = "wordcount";
  Configuration settings;    // the -D settings given (not the job's defaults)
  std::string input_xxh64;   // InputFingerprint of the input text
};

// The input's fingerprint for reports: XXH64 (seed 0) of its bytes, 16 lowercase hex digits.
std::string InputFingerprint(std::string_view input);

// One run's result as the CLI reports it.
struct RunOutcome {
  scenarios::ScenarioResult result;
  int64_t wall_ms = 0;  // real time the run took
};

// `PROGRAM sim run SCENARIO --seed N --job J [-D K=V]... [--plant-bug B] [--input F]
// [--faults F]`, shell-quoted.
std::string ReproCommand(const RunSpec& spec, uint64_t seed);

std::string TraceHashHex(uint64_t hash);  // 16 lowercase hex digits

// "k=v k=v" in key order, or "(none reported)".
std::string ConfigText(const std::map<std::string, std::string>& config);

// The --json object on one line (no newline). `deterministic` adds a "deterministic" field (only
// with --check-determinism). Never throws: invalid UTF-8 in texts becomes U+FFFD.
std::string RunJson(const RunSpec& spec, const RunOutcome& outcome,
                    std::optional<bool> deterministic = std::nullopt);

// Parses a RunJson line back (a sweep worker's report to its parent). kInvalidArgument naming the
// problem if the line is not one.
Result<RunOutcome> ParseRunJson(std::string_view line);

// The multi-line failure report, starting "FAIL SCENARIO seed N (trace H): FIRST LINE OF FAILURE"
// and ending with a newline.
std::string FailureReport(const RunSpec& spec, const RunOutcome& outcome);

// `sluice sim run`'s summary without --json; on failure it names everything FailureReport does.
std::string RunSummary(const RunSpec& spec, const RunOutcome& outcome);

}  // namespace sluice::tools
