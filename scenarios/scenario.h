// Scenarios: a named simulated deployment (hosts, job, input, faults) plus the invariants checked
// at the end of the run. The catalog is built on request (no global registry).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "engine/base/status.h"

namespace sluice::scenarios {

struct ScenarioOptions {
  uint64_t seed = 1;
  std::string input_text;   // the job's whole input (the CLI reads the file or the corpus)
  bool log_events = false;  // print every host event (time, category, message) to stderr
};

struct FaultRecord {
  int64_t at_ms = 0;
  std::string kind;  // "crash", "restart", "partition", "heal"
  std::string host;
};

struct ScenarioResult {
  std::string scenario;
  uint64_t seed = 0;
  bool pass = false;
  std::string failure;  // the first invariant that failed, with the first offending record
  uint64_t trace_hash = 0;
  int64_t simulated_ms = 0;
  std::vector<FaultRecord> faults;
  int64_t checkpoints_completed = 0;
  int64_t restarts = 0;
  int64_t records_in = 0;   // input lines read by the job's sources
  int64_t records_out = 0;  // committed output records
  // Committed sink output: file name → contents (one record per line).
  std::map<std::string, std::string> committed_output;
};

struct ScenarioInfo {
  std::string name;
  std::string description;  // one line
  std::function<ScenarioResult(const ScenarioOptions&)> run;
};

std::vector<ScenarioInfo> ScenarioCatalog();

}  // namespace sluice::scenarios
