// What the `sluice sim` subcommands share: their parsed flags, finding the scenario and planted
// bug they name, loading the input and fault schedule, and one timed run. The subcommands
// themselves: sim_commands.cc (list, bugs, run), sim_sweep_command.cc, sim_shrink_command.cc.
// Every function that returns an exit code has printed its errors already.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "scenarios/exactly_once.h"
#include "scenarios/scenario.h"
#include "tools/job_options.h"
#include "tools/sim_report.h"

namespace sluice::tools {

// The flags of every `sim` subcommand (each uses a subset).
struct SimFlags {
  std::string program;  // argv[0], for repro commands
  const JobRegistry* job_registry = nullptr;  // the program's jobs (set by SimCommands)
  JobFlags job;                       // --job, -D
  std::string scenario;
  std::string seed_text;
  std::string seeds_text;
  std::string input_path;
  std::string output_dir;
  std::string plant_bug;
  std::string faults_path;
  std::string trace_path;
  std::string out_path;    // shrink --out
  std::string shard_text;  // sweep --shard, "" = all seeds
  std::string junit_path;
  bool json = false;
  bool log_events = false;
  bool check_determinism = false;
  bool fail_fast = false;
  int jobs = 1;
  int max_runs = 200;
};

// The catalog entry named `name`, or null after printing an error that lists the valid names.
const scenarios::ScenarioInfo* FindScenario(const std::vector<scenarios::ScenarioInfo>& catalog,
                                            const std::string& name);

// Whether --plant-bug `bug` is "" or in the planted-bug catalog; prints an error listing the valid
// names if not, and a warning if the bug belongs to another scenario than `scenario`.
bool CheckPlantBug(const std::string& bug, const std::string& scenario);

// Everything a run needs before it starts, or an exit code (errors printed).
struct PreparedRun {
  const scenarios::ScenarioInfo* info = nullptr;
  scenarios::ScenarioOptions options;  // seed unset for sweeps
  RunSpec spec;
  // The input's word counts, counted once for every seed or candidate run with `options` (which
  // points at them: options.expected_counts). Behind a pointer so that the address survives moves.
  std::unique_ptr<const scenarios::WordCountReference> expected_counts;
};
// Checks flags.scenario, flags.plant_bug and the job flags (--job, -D), loads flags.input_path
// and (if set) flags.faults_path, and counts the input's words once
// (PreparedRun::expected_counts).
// `catalog` must outlive the result (info points into it).
std::optional<PreparedRun> PrepareRun(const SimFlags& flags,
                                      const std::vector<scenarios::ScenarioInfo>& catalog);

// Runs `info` once, measuring wall time; the result's seed is options.seed.
RunOutcome RunTimed(const scenarios::ScenarioInfo& info, const scenarios::ScenarioOptions& options);

int RunCommand(const SimFlags& flags);
int SweepCommand(const SimFlags& flags);
int ShrinkCommand(const SimFlags& flags);

}  // namespace sluice::tools
