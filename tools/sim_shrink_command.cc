// `sluice sim shrink`: the smallest fault schedule that still fails a seed the same way, written
// as JSON for `sim run --faults`.
#include <fmt/core.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <utility>

#include "tools/cli_common.h"
#include "tools/fault_schedule.h"
#include "tools/fault_shrink.h"
#include "tools/file_util.h"
#include "tools/sim_command_util.h"

namespace sluice::tools {
namespace {

constexpr int kRunsBeforeShrinking = 2;  // the seed's own run, and the replay of its schedule
constexpr int kShrinkRunsMax = 100'000;

void PrintSchedule(const char* label, const FaultSchedule& faults) {
  fmt::print("{} ({} fault{}):\n", label, faults.size(), faults.size() == 1 ? "" : "s");
  if (faults.empty()) fmt::print("  (none: the failure needs no injected fault)\n");
  for (const auto& fault : faults) fmt::print("  {}\n", DescribeFault(fault));
}

// On a terminal, a line on stderr redrawn after each run.
class ShrinkProgress {
 public:
  explicit ShrinkProgress(int runs_max) : runs_max_(runs_max), terminal_(isatty(STDERR_FILENO)) {}
  void Show(int runs, size_t faults) {
    if (!terminal_) return;
    fmt::print(stderr, "\r\033[Kshrinking: run {}/{}, {} fault{} in the candidate", runs, runs_max_,
               faults, faults == 1 ? "" : "s");
    std::fflush(stderr);
  }
  void Clear() {
    if (terminal_) fmt::print(stderr, "\r\033[K");
  }

 private:
  const int runs_max_;
  const bool terminal_;
};

}  // namespace

int ShrinkCommand(const SimFlags& flags) {
  const std::vector<scenarios::ScenarioInfo> catalog = scenarios::ScenarioCatalog();
  if (FindScenario(catalog, flags.scenario) == nullptr) return kExitUsage;
  auto seed = ParseUint64(flags.seed_text, "--seed");
  if (!seed.ok()) return UsageError(seed.status().message());
  if (flags.max_runs < kRunsBeforeShrinking || flags.max_runs > kShrinkRunsMax) {
    return UsageError(fmt::format("--max-runs {}: must be between {} and {}", flags.max_runs,
                                  kRunsBeforeShrinking, kShrinkRunsMax));
  }
  std::optional<PreparedRun> run = PrepareRun(flags, catalog);
  if (!run.has_value()) return kExitUsage;
  run->options.seed = seed.value();

  const RunOutcome first = RunTimed(*run->info, run->options);
  if (first.result.pass) {
    return UsageError(fmt::format(
        "seed {} of {}{} passes: nothing to shrink (shrink a seed that `sim run` reports failing)",
        seed.value(), run->info->name,
        flags.plant_bug.empty() ? "" : " with planted bug " + flags.plant_bug));
  }
  const std::string kind(FailureKind(first.result.failure));
  const FaultSchedule original = first.result.faults;
  int runs = 0;
  ShrinkProgress progress(flags.max_runs);
  auto still_fails = [&](const FaultSchedule& candidate) {
    run->options.faults = candidate;
    const RunOutcome outcome = RunTimed(*run->info, run->options);
    progress.Show(1 + ++runs, candidate.size());
    return !outcome.result.pass && FailureKind(outcome.result.failure) == kind;
  };
  // Shrinking is only sound if replaying the schedule the seed drew fails the same way.
  if (!still_fails(original)) {
    progress.Clear();
    PrintError(fmt::format(
        "seed {} of {} fails ({}), but replaying its own fault schedule ({} faults) through "
        "ScenarioOptions::faults does not fail the same way: the scenario does not replay fault "
        "schedules faithfully, so there is nothing sound to shrink; nothing written",
        seed.value(), run->info->name, FirstLine(first.result.failure), original.size()));
    return kExitFailed;
  }
  ShrinkLimits limits;
  limits.runs_max = flags.max_runs - kRunsBeforeShrinking;
  limits.end_ms = first.result.simulated_ms;
  const ShrinkResult shrunk = ShrinkFaultSchedule(original, limits, still_fails);
  progress.Clear();

  Status written = WriteWholeFile(flags.out_path, FaultScheduleFileText(shrunk.faults));
  if (!written.ok()) return UsageError("--out: " + written.message());
  RunSpec replay = run->spec;
  replay.faults_path = flags.out_path;
  fmt::print("shrunk {} seed {}: {} -> {} faults in {} runs (limit {}); failure kind '{}'\n",
             run->info->name, seed.value(), original.size(), shrunk.faults.size(),
             kRunsBeforeShrinking + shrunk.runs, flags.max_runs, kind);
  if (shrunk.runs_bound_hit) {
    fmt::print("the run limit was hit: the schedule may not be minimal (raise --max-runs)\n");
  }
  PrintSchedule("before", original);
  PrintSchedule("after", shrunk.faults);
  fmt::print("wrote {}\n", flags.out_path);
  fmt::print("replay: {}\n", ReproCommand(replay, seed.value()));
  return kExitOk;
}

}  // namespace sluice::tools
