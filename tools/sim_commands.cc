#include "tools/sim_commands.h"

#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <utility>
#include <vector>

#include "scenarios/scenario.h"
#include "tools/chrome_trace.h"
#include "tools/cli_common.h"
#include "tools/file_util.h"
#include "tools/trace_compare.h"

namespace sluice::tools {
namespace {

using scenarios::PlantedBugInfo;
using scenarios::ScenarioInfo;

constexpr size_t kDivergenceContextLines = 3;

int ListScenarios() {
  const std::vector<ScenarioInfo> catalog = scenarios::ScenarioCatalog();
  size_t width = 0;
  for (const ScenarioInfo& info : catalog) width = std::max(width, info.name.size());
  for (const ScenarioInfo& info : catalog) {
    fmt::print("{:<{}}  {}{}\n", info.name, width, info.description,
               info.default_job == "wordcount" ? ""
                                               : " (default job: " + info.default_job + ")");
  }
  return kExitOk;
}

// One line per bug, fields separated by single spaces: NAME SCENARIO description.
int ListPlantedBugs() {
  for (const PlantedBugInfo& info : scenarios::PlantedBugCatalog()) {
    fmt::print("{} {} {}\n", info.name, info.scenario, info.description);
  }
  return kExitOk;
}

CLI::Option* AddScenarioArgument(CLI::App& command, SimFlags& flags) {
  return command.add_option("scenario", flags.scenario, "Scenario name (see `sluice sim list`)")
      ->required()
      ->type_name("SCENARIO");
}

void AddInputAndBugOptions(CLI::App& command, SimFlags& flags) {
  AddJobFlags(command, flags.job);
  command.add_option("--input", flags.input_path, "Input file (default: the fortunes corpus)")
      ->type_name("FILE");
  command
      .add_option("--plant-bug", flags.plant_bug,
                  "Switch on this planted bug for the run (see `sluice sim bugs`)")
      ->type_name("NAME");
}

// Writes the Chrome trace of `outcome`'s timeline; kExitUsage (error printed) if it cannot.
std::optional<int> WriteTrace(const std::string& path, const RunOutcome& outcome) {
  const auto& timeline = outcome.result.timeline;
  Status written = WriteWholeFile(path, ChromeTraceJson(timeline));
  if (!written.ok()) return UsageError("--trace: " + written.message());
  if (timeline.empty()) {
    PrintWarning(
        fmt::format("--trace '{}': the scenario recorded no timeline events (it does not "
                    "fill ScenarioResult::timeline), so the trace is empty",
                    path));
  }
  return std::nullopt;
}

// The report of --check-determinism; whether the two runs agreed.
bool ReportDeterminism(const RunOutcome& first, const RunOutcome& second,
                       const TraceRecorder& first_trace, const TraceRecorder& second_trace,
                       std::FILE* out) {
  const uint64_t hash1 = first.result.trace_hash;
  const uint64_t hash2 = second.result.trace_hash;
  const std::optional<size_t> difference = FirstDifference(first_trace, second_trace);
  if (hash1 == hash2 && !difference.has_value()) {
    fmt::print(
        out, "determinism  OK: trace hash {} matched on both runs ({} trace lines{})\n",
        TraceHashHex(hash1), first_trace.size(),
        first_trace.size() == 0 ? ": the scenario sends none, so only the hashes compared" : "");
    return true;
  }
  fmt::print(out, "determinism  FAILED: trace hash {} on run 1, {} on run 2\n", TraceHashHex(hash1),
             TraceHashHex(hash2));
  if (difference.has_value()) {
    fmt::print(out, "{}",
               DescribeDifference(first_trace, second_trace, *difference, kDivergenceContextLines));
  } else {
    fmt::print(out,
               "no trace line differs ({} lines on each run): the difference is in what the trace "
               "hash covers but the trace sink does not receive\n",
               first_trace.size());
  }
  return false;
}

}  // namespace

SimCommands::SimCommands(CLI::App& root, std::string program, const JobRegistry& jobs) {
  flags_.program = std::move(program);
  flags_.job_registry = &jobs;
  CLI::App* sim = root.add_subcommand("sim", "Run simulated scenarios (one process, seeded)");
  sim->require_subcommand(1);
  list_ = sim->add_subcommand("list",
                              "List the scenarios, one per line, with a description (and the job "
                              "they run without --job, if not wordcount)");
  bugs_ = sim->add_subcommand("bugs", "List the planted bugs: NAME SCENARIO description");
  AddRun(*sim);
  AddSweep(*sim);
  AddShrink(*sim);
}

void SimCommands::AddRun(CLI::App& sim) {
  run_ = sim.add_subcommand("run", "Run one scenario with one seed");
  AddScenarioArgument(*run_, flags_);
  run_->add_option("--seed", flags_.seed_text, "Seed (unsigned 64-bit decimal)")
      ->required()
      ->type_name("N");
  AddInputAndBugOptions(*run_, flags_);
  run_->add_option("--faults", flags_.faults_path,
                   "Replay this JSON fault schedule instead of drawing one from the seed")
      ->type_name("FILE");
  run_->add_option("--output", flags_.output_dir, "Write the committed output files under DIR")
      ->type_name("DIR");
  run_->add_option("--trace", flags_.trace_path,
                   "Write the run's timeline as Chrome trace-event JSON (Perfetto)")
      ->type_name("FILE");
  run_->add_flag("--check-determinism", flags_.check_determinism,
                 "Run the seed twice and compare the traces line by line");
  run_->add_flag("--json", flags_.json, "Print the result as one JSON object on the last line");
  run_->add_flag("--log-events", flags_.log_events,
                 "Print every host event (simulated ms, category, message) to stderr");
}

void SimCommands::AddSweep(CLI::App& sim) {
  sweep_ = sim.add_subcommand("sweep", "Run one scenario for every seed in A..B");
  AddScenarioArgument(*sweep_, flags_);
  sweep_->add_option("--seeds", flags_.seeds_text, "Inclusive seed range A..B, e.g. 1..200")
      ->required()
      ->type_name("A..B");
  AddInputAndBugOptions(*sweep_, flags_);
  sweep_->add_option("--jobs", flags_.jobs, "Worker processes (default 1)")->type_name("J");
  sweep_
      ->add_option("--shard", flags_.shard_text,
                   "Run only shard I of N (1-based): seeds whose index in the range is I-1 mod N")
      ->type_name("I/N");
  sweep_->add_flag("--fail-fast", flags_.fail_fast, "Stop at the first (lowest) failing seed");
  sweep_->add_option("--junit", flags_.junit_path, "Write a JUnit XML report to FILE")
      ->type_name("FILE");
}

void SimCommands::AddShrink(CLI::App& sim) {
  shrink_ = sim.add_subcommand(
      "shrink", "Minimize the fault schedule of a failing seed (delta debugging) and write it");
  AddScenarioArgument(*shrink_, flags_);
  shrink_->add_option("--seed", flags_.seed_text, "Seed (unsigned 64-bit decimal)")
      ->required()
      ->type_name("N");
  AddInputAndBugOptions(*shrink_, flags_);
  shrink_->add_option("--out", flags_.out_path, "Where to write the minimal schedule (JSON)")
      ->required()
      ->type_name("FILE");
  shrink_->add_option("--max-runs", flags_.max_runs, "Most scenario runs to spend (default 200)")
      ->type_name("N");
}

std::optional<int> SimCommands::RunParsed() const {
  if (list_->parsed()) return ListScenarios();
  if (bugs_->parsed()) return ListPlantedBugs();
  if (run_->parsed()) return RunCommand(flags_);
  if (sweep_->parsed()) return SweepCommand(flags_);
  if (shrink_->parsed()) return ShrinkCommand(flags_);
  return std::nullopt;
}

int RunCommand(const SimFlags& flags) {
  const std::vector<ScenarioInfo> catalog = scenarios::ScenarioCatalog();
  if (FindScenario(catalog, flags.scenario) == nullptr) return kExitUsage;
  auto seed = ParseUint64(flags.seed_text, "--seed");
  if (!seed.ok()) return UsageError(seed.status().message());
  std::optional<PreparedRun> run = PrepareRun(flags, catalog);
  if (!run.has_value()) return kExitUsage;
  if (!flags.output_dir.empty()) {
    Status created = CreateDirectories(flags.output_dir);
    if (!created.ok()) return UsageError("--output: " + created.message());
  }
  run->options.seed = seed.value();
  run->options.record_timeline = !flags.trace_path.empty();

  TraceRecorder first_trace;
  TraceRecorder second_trace;
  if (flags.check_determinism) run->options.trace_sink = first_trace.Sink();
  const RunOutcome outcome = RunTimed(*run->info, run->options);
  std::optional<bool> deterministic;
  std::optional<RunOutcome> second;
  if (flags.check_determinism) {
    run->options.trace_sink = second_trace.Sink();
    second = RunTimed(*run->info, run->options);
    deterministic = outcome.result.trace_hash == second->result.trace_hash &&
                    !FirstDifference(first_trace, second_trace).has_value();
  }

  if (!flags.output_dir.empty()) {
    Status written = WriteFilesUnder(flags.output_dir, outcome.result.committed_output);
    if (!written.ok()) return UsageError("--output: " + written.message());
  }
  if (!flags.trace_path.empty()) {
    if (auto code = WriteTrace(flags.trace_path, outcome)) return *code;
  }
  if (flags.json) {
    fmt::print("{}\n", RunJson(run->spec, outcome, deterministic));
  } else {
    fmt::print("{}", RunSummary(run->spec, outcome));
  }
  if (!flags.trace_path.empty()) {
    std::fflush(stdout);
    fmt::print(flags.json ? stderr : stdout,
               "trace        {} ({} events; open it in ui.perfetto.dev)\n", flags.trace_path,
               outcome.result.timeline.size());
  }
  if (flags.check_determinism) {
    std::fflush(stdout);
    ReportDeterminism(outcome, *second, first_trace, second_trace, flags.json ? stderr : stdout);
    if (!*deterministic) return kExitFailed;
  }
  return outcome.result.pass ? kExitOk : kExitFailed;
}

}  // namespace sluice::tools
