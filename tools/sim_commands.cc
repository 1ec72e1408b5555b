#include "tools/sim_commands.h"

#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "scenarios/scenario.h"
#include "tools/cli_common.h"
#include "tools/corpus.h"
#include "tools/file_util.h"

namespace sluice::tools {
namespace {

using scenarios::ScenarioInfo;
using scenarios::ScenarioOptions;
using scenarios::ScenarioResult;
using Clock = std::chrono::steady_clock;

// The catalog entry named `name`, or null after printing an error that lists the valid names.
const ScenarioInfo* FindScenario(const std::vector<ScenarioInfo>& catalog,
                                 const std::string& name) {
  for (const ScenarioInfo& info : catalog) {
    if (info.name == name) return &info;
  }
  std::string names;
  for (const ScenarioInfo& info : catalog) names += "\n  " + info.name;
  if (catalog.empty()) names = " (none: the catalog is empty)";
  PrintError(fmt::format("unknown scenario '{}'; valid scenarios:{}", name, names));
  return nullptr;
}

double MillisecondsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::string TraceHashHex(uint64_t hash) { return fmt::format("{:016x}", hash); }

std::string RunJson(const std::string& scenario, uint64_t seed, const ScenarioResult& result,
                    int64_t wall_ms) {
  nlohmann::json faults = nlohmann::json::array();
  for (const auto& fault : result.faults) {
    faults.push_back({{"at_ms", fault.at_ms}, {"kind", fault.kind}, {"host", fault.host}});
  }
  const nlohmann::json json = {
      {"scenario", scenario},
      {"seed", seed},
      {"verdict", result.pass ? "pass" : "fail"},
      {"trace_hash", TraceHashHex(result.trace_hash)},
      {"simulated_ms", result.simulated_ms},
      {"wall_ms", wall_ms},
      {"faults", std::move(faults)},
      {"checkpoints_completed", result.checkpoints_completed},
      {"restarts", result.restarts},
      {"records_in", result.records_in},
      {"records_out", result.records_out},
      {"failure", result.pass ? std::string() : result.failure},
  };
  // Failure texts may quote input bytes that are not UTF-8; replace them rather than throw.
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void PrintSummary(const std::string& scenario, uint64_t seed, const ScenarioResult& result,
                  int64_t wall_ms) {
  fmt::print("scenario     {}\n", scenario);
  fmt::print("verdict      {}\n", result.pass ? "PASS" : "FAIL");
  fmt::print("seed         {}\n", seed);
  fmt::print("trace hash   {}\n", TraceHashHex(result.trace_hash));
  fmt::print("time         {} ms simulated, {} ms wall\n", result.simulated_ms, wall_ms);
  fmt::print("faults       {}\n", result.faults.size());
  for (const auto& fault : result.faults) {
    fmt::print("  {:>8} ms  {:<10} {}\n", fault.at_ms, fault.kind, fault.host);
  }
  fmt::print("checkpoints  {} completed\n", result.checkpoints_completed);
  fmt::print("restarts     {}\n", result.restarts);
  fmt::print("records      {} in, {} out\n", result.records_in, result.records_out);
  if (!result.pass) fmt::print("failure      {}\n", result.failure);
}

// The command line that replays `seed` of `scenario` (what a sweep prints for a failing seed).
std::string ReproCommand(const std::string& program, const std::string& scenario, uint64_t seed,
                         const std::string& input_path) {
  std::string command =
      fmt::format("{} sim run {} --seed {}", ShellQuote(program), ShellQuote(scenario), seed);
  if (!input_path.empty()) command += " --input " + ShellQuote(input_path);
  return command;
}

}  // namespace

SimCommands::SimCommands(CLI::App& root, std::string program) : program_(std::move(program)) {
  CLI::App* sim = root.add_subcommand("sim", "Run simulated scenarios (one process, seeded)");
  sim->require_subcommand(1);

  list_ = sim->add_subcommand("list", "List the scenarios, one per line, with a description");

  run_ = sim->add_subcommand("run", "Run one scenario with one seed");
  run_->add_option("scenario", scenario_, "Scenario name (see `sluice sim list`)")
      ->required()
      ->type_name("SCENARIO");
  run_->add_option("--seed", seed_text_, "Seed (unsigned 64-bit decimal)")
      ->required()
      ->type_name("N");
  run_->add_option("--input", input_path_, "Input file (default: the fortunes corpus)")
      ->type_name("FILE");
  run_->add_option("--output", output_dir_, "Write the committed output files under DIR")
      ->type_name("DIR");
  run_->add_flag("--json", json_, "Print the result as one JSON object on the last line");
  run_->add_flag("--log-events", log_events_,
                 "Print every host event (simulated ms, category, message) to stderr");

  sweep_ = sim->add_subcommand("sweep", "Run one scenario for every seed in A..B");
  sweep_->add_option("scenario", scenario_, "Scenario name (see `sluice sim list`)")
      ->required()
      ->type_name("SCENARIO");
  sweep_->add_option("--seeds", seeds_text_, "Inclusive seed range A..B, e.g. 1..200")
      ->required()
      ->type_name("A..B");
  sweep_->add_option("--input", input_path_, "Input file (default: the fortunes corpus)")
      ->type_name("FILE");
}

std::optional<int> SimCommands::RunParsed() const {
  if (list_->parsed()) return List();
  if (run_->parsed()) return Run();
  if (sweep_->parsed()) return Sweep();
  return std::nullopt;
}

int SimCommands::List() const {
  const std::vector<ScenarioInfo> catalog = scenarios::ScenarioCatalog();
  size_t width = 0;
  for (const ScenarioInfo& info : catalog) width = std::max(width, info.name.size());
  for (const ScenarioInfo& info : catalog) {
    fmt::print("{:<{}}  {}\n", info.name, width, info.description);
  }
  return kExitOk;
}

int SimCommands::Run() const {
  const std::vector<ScenarioInfo> catalog = scenarios::ScenarioCatalog();
  const ScenarioInfo* info = FindScenario(catalog, scenario_);
  if (info == nullptr) return kExitUsage;
  auto seed = ParseUint64(seed_text_, "--seed");
  if (!seed.ok()) return UsageError(seed.status().message());
  auto input = LoadInput(input_path_);
  if (!input.ok()) return UsageError(input.status().message());
  if (!output_dir_.empty()) {
    Status created = CreateDirectories(output_dir_);
    if (!created.ok()) return UsageError("--output: " + created.message());
  }

  ScenarioOptions options;
  options.seed = seed.value();
  options.input_text = std::move(input).value();
  options.log_events = log_events_;
  const Clock::time_point start = Clock::now();
  const ScenarioResult result = info->run(options);
  const auto wall_ms = static_cast<int64_t>(MillisecondsSince(start));

  if (!output_dir_.empty()) {
    Status written = WriteFilesUnder(output_dir_, result.committed_output);
    if (!written.ok()) return UsageError("--output: " + written.message());
  }
  if (json_) {
    fmt::print("{}\n", RunJson(info->name, options.seed, result, wall_ms));
  } else {
    PrintSummary(info->name, options.seed, result, wall_ms);
  }
  return result.pass ? kExitOk : kExitFailed;
}

int SimCommands::Sweep() const {
  const std::vector<ScenarioInfo> catalog = scenarios::ScenarioCatalog();
  const ScenarioInfo* info = FindScenario(catalog, scenario_);
  if (info == nullptr) return kExitUsage;
  auto range = ParseSeedRange(seeds_text_);
  if (!range.ok()) return UsageError(range.status().message());
  auto input = LoadInput(input_path_);
  if (!input.ok()) return UsageError(input.status().message());

  ScenarioOptions options;
  options.input_text = std::move(input).value();
  std::vector<uint64_t> failed;
  uint64_t runs = 0;
  const Clock::time_point start = Clock::now();
  for (uint64_t seed = range->first;; ++seed) {
    options.seed = seed;
    const ScenarioResult result = info->run(options);
    ++runs;
    if (!result.pass) {
      failed.push_back(seed);
      fmt::print("FAIL seed {} (trace {}): {}\n", seed, TraceHashHex(result.trace_hash),
                 FirstLine(result.failure));
      std::fflush(stdout);
    }
    if (seed == range->last) break;  // checked before ++ so that last == UINT64_MAX ends too
  }
  const double wall_s = MillisecondsSince(start) / 1000.0;

  fmt::print("sweep {} seeds {}..{}: {} run, {} passed, {} failed\n", info->name, range->first,
             range->last, runs, runs - failed.size(), failed.size());
  fmt::print("wall time {:.2f} s, {:.1f} seeds/s\n", wall_s,
             wall_s > 0 ? static_cast<double>(runs) / wall_s : 0.0);
  if (!failed.empty()) {
    fmt::print("reproduce each failing seed with:\n");
    for (uint64_t seed : failed) {
      fmt::print("  {}\n", ReproCommand(program_, info->name, seed, input_path_));
    }
  }
  return failed.empty() ? kExitOk : kExitFailed;
}

}  // namespace sluice::tools
