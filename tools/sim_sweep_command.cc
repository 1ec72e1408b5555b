// `sluice sim sweep`: many seeds of one scenario, in worker processes, with progress, fail-fast,
// sharding and a JUnit report.
#include <fmt/core.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <utility>

#include "tools/build_info.h"
#include "tools/cli_common.h"
#include "tools/file_util.h"
#include "tools/junit.h"
#include "tools/sim_command_util.h"
#include "tools/sweep_runner.h"

namespace sluice::tools {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int64_t kProgressRedrawMs = 100;

// What the sweep prints while it runs: on a terminal one progress line redrawn in place; failures
// (without --fail-fast) as they arrive, as full failure reports.
class SweepProgress {
 public:
  SweepProgress(const RunSpec& spec, uint64_t total, bool print_failures)
      : spec_(spec),
        total_(total),
        print_failures_(print_failures),
        terminal_(isatty(STDOUT_FILENO) == 1),
        start_(Clock::now()) {}

  void OnResult(const RunOutcome& outcome) {
    ++done_;
    if (outcome.result.pass) return;
    ++failed_;
    if (!print_failures_) return;
    ClearLine();
    fmt::print("{}", FailureReport(spec_, outcome));
    std::fflush(stdout);
    Draw();
  }

  void OnTick() {
    if (!terminal_) return;
    const auto now = Clock::now();
    if (now - last_draw_ < std::chrono::milliseconds(kProgressRedrawMs)) return;
    Draw();
  }

  void ClearLine() {
    if (!terminal_ || !drawn_) return;
    fmt::print("\r\033[K");
    drawn_ = false;
  }

 private:
  void Draw() {
    if (!terminal_) return;
    const double seconds = SecondsSince(start_);
    fmt::print("\r\033[K{}: {}/{} seeds, {} failed, {:.1f} seeds/s", spec_.scenario, done_, total_,
               failed_, seconds > 0 ? static_cast<double>(done_) / seconds : 0.0);
    std::fflush(stdout);
    drawn_ = true;
    last_draw_ = Clock::now();
  }

  const RunSpec& spec_;
  const uint64_t total_;
  const bool print_failures_;
  const bool terminal_;
  const Clock::time_point start_;
  Clock::time_point last_draw_;
  uint64_t done_ = 0;
  uint64_t failed_ = 0;
  bool drawn_ = false;
};

struct SweepSetup {
  SeedRange range;
  Shard shard;
  SweepPlan plan;
};

std::optional<SweepSetup> ParseSweepFlags(const SimFlags& flags) {
  SweepSetup setup;
  auto range = ParseSeedRange(flags.seeds_text);
  if (!range.ok()) {
    PrintError(range.status().message());
    return std::nullopt;
  }
  setup.range = range.value();
  if (!flags.shard_text.empty()) {
    auto shard = ParseShard(flags.shard_text);
    if (!shard.ok()) {
      PrintError(shard.status().message());
      return std::nullopt;
    }
    setup.shard = shard.value();
  }
  if (flags.jobs < 1 || flags.jobs > kSweepJobsMax) {
    PrintError(fmt::format("--jobs {}: must be between 1 and {}", flags.jobs, kSweepJobsMax));
    return std::nullopt;
  }
  setup.plan.seeds = ShardSeeds(setup.range, setup.shard);
  setup.plan.jobs = flags.jobs;
  setup.plan.fail_fast = flags.fail_fast;
  setup.plan.keep_passes = !flags.junit_path.empty();
  return setup;
}

std::string SweepTitle(const RunSpec& spec, const SweepSetup& setup) {
  std::string title =
      fmt::format("sweep {} seeds {}..{}", spec.scenario, setup.range.first, setup.range.last);
  if (setup.shard.count > 1) {
    title += fmt::format(" shard {}/{}", setup.shard.index, setup.shard.count);
  }
  if (!spec.plant_bug.empty()) title += " planted bug " + spec.plant_bug;
  return title;
}

void PrintSummary(const RunSpec& spec, const SweepSetup& setup, const SweepResult& result,
                  double wall_s) {
  fmt::print("{}: {} run, {} passed, {} failed\n", SweepTitle(spec, setup), result.seeds_run,
             result.seeds_run - result.failed, result.failed);
  if (result.failed_cleanly > 0) {
    fmt::print("{} of the passes failed cleanly: their schedules exceeded the fault budget and the "
               "job ended FAILED with nothing committed twice\n",
               result.failed_cleanly);
  }
  fmt::print("wall time {:.2f} s, {:.1f} seeds/s, {} job{}, build {}\n", wall_s,
             wall_s > 0 ? static_cast<double>(result.seeds_run) / wall_s : 0.0, setup.plan.jobs,
             setup.plan.jobs == 1 ? "" : "s", DescribeBuild(ThisBuild()));
  if (result.stopped_early) {
    fmt::print("stopped at the first failing seed (--fail-fast); {} seeds not run\n",
               setup.plan.seeds.count - result.seeds_run);
  }
  if (result.failed == 0) return;
  fmt::print("reproduce each failing seed with:\n");
  for (const RunOutcome& outcome : result.outcomes) {
    if (!outcome.result.pass) fmt::print("  {}\n", ReproCommand(spec, outcome.result.seed));
  }
}

Status WriteJUnit(const SimFlags& flags, const RunSpec& spec, const SweepSetup& setup,
                  const SweepResult& result) {
  const BuildInfo& build = ThisBuild();
  const std::vector<std::pair<std::string, std::string>> properties = {
      {"seeds", fmt::format("{}..{}", setup.range.first, setup.range.last)},
      {"shard", fmt::format("{}/{}", setup.shard.index, setup.shard.count)},
      {"plant_bug", spec.plant_bug},
      {"build.commit", build.git_commit},
      {"build.compiler", build.compiler},
      {"build.type", build.build_type},
  };
  return WriteWholeFile(flags.junit_path, JUnitXml(spec, result.outcomes, properties));
}

}  // namespace

int SweepCommand(const SimFlags& flags) {
  const std::vector<scenarios::ScenarioInfo> catalog = scenarios::ScenarioCatalog();
  if (FindScenario(catalog, flags.scenario) == nullptr) return kExitUsage;
  std::optional<SweepSetup> setup = ParseSweepFlags(flags);
  if (!setup.has_value()) return kExitUsage;
  std::optional<PreparedRun> run = PrepareRun(flags, catalog);
  if (!run.has_value()) return kExitUsage;

  SweepProgress progress(run->spec, setup->plan.seeds.count, !flags.fail_fast);
  SweepCallbacks callbacks;
  callbacks.run_seed = [&run](uint64_t seed) {
    run->options.seed = seed;
    return RunTimed(*run->info, run->options);
  };
  callbacks.on_result = [&progress](const RunOutcome& outcome) { progress.OnResult(outcome); };
  callbacks.on_tick = [&progress] { progress.OnTick(); };
  const Clock::time_point start = Clock::now();
  auto result = RunSweep(setup->plan, run->spec, callbacks);
  progress.ClearLine();
  if (!result.ok()) return UsageError(result.status().message());
  const double wall_s = SecondsSince(start);

  if (flags.fail_fast) {
    for (const RunOutcome& outcome : result->outcomes) {
      if (!outcome.result.pass) fmt::print("{}", FailureReport(run->spec, outcome));
    }
  }
  PrintSummary(run->spec, *setup, result.value(), wall_s);
  if (!flags.junit_path.empty()) {
    Status written = WriteJUnit(flags, run->spec, *setup, result.value());
    if (!written.ok()) return UsageError("--junit: " + written.message());
  }
  return result->failed == 0 ? kExitOk : kExitFailed;
}

}  // namespace sluice::tools
