// The simulator's speed: how many seeds of a whole-cluster scenario one core runs per second,
// which bounds how much of the state space a seed sweep covers.
//
// BM_SimulatorEvents         the wordcount-tm-crash scenario (scenarios/wordcount_tm_crash.h) under
//                            a fixed crash schedule on the first ~300 KB of the corpus; one seed
//                            per iteration (seeds 1, 2, ...). The scenario API does not expose the
//                            World, so it reports seeds/s, simulated ms per wall second and
//                            committed output records per wall second.
// BM_SimulatorClusterEvents  the same cluster shape without the crash, built directly from
//                            scenarios/wordcount_cluster.h so that World::events_processed() and
//                            fiber_switches() are reachable: simulator events per wall second.
// BM_SimulatorSeedFullCorpus the scenario on the full corpus, a few seeds: seeds per hour per core.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>

#include "bench/bench_input.h"
#include "scenarios/wordcount_cluster.h"
#include "scenarios/wordcount_tm_crash.h"

namespace sluice::bench {
namespace {

// taskmanager-2 dies 1 s into the run and comes back 1 s later (the scenario aims its job at ~4 s
// of simulated time).
constexpr scenarios::CrashSchedule kCrashSchedule{
    .taskmanager = 1, .crash_ms = 1000, .restart_ms = 2000};
// Mirrors scenarios/wordcount_tm_crash.cc: the sources are throttled so the job takes ~4 s.
constexpr int64_t kScenarioJobDurationMs = 4000;
constexpr int64_t kScenarioLivenessBoundMs = 120 * 1000;
constexpr int64_t kSecondsPerHour = 3600;
constexpr int kFullCorpusSeeds = 5;  // ~0.4 s each

// Runs one seed of the scenario per iteration and fills the shared counters. Returns the wall
// seconds the loop took.
double RunScenarioSeeds(benchmark::State& state, const std::string& input) {
  int64_t simulated_ms = 0;
  int64_t records_out = 0;
  int64_t failed_seeds = 0;
  uint64_t seed = 0;
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    scenarios::ScenarioOptions options;
    options.seed = ++seed;
    options.input_text = input;
    const scenarios::ScenarioResult result =
        scenarios::RunWordCountWithCrash(options, kCrashSchedule);
    simulated_ms += result.simulated_ms;
    records_out += result.records_out;
    failed_seeds += result.pass ? 0 : 1;
  }
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  const auto seeds = static_cast<double>(state.iterations());
  state.counters["seeds"] = benchmark::Counter(seeds, benchmark::Counter::kIsRate);
  state.counters["sim_ms"] =
      benchmark::Counter(static_cast<double>(simulated_ms), benchmark::Counter::kIsRate);
  state.counters["records"] =
      benchmark::Counter(static_cast<double>(records_out), benchmark::Counter::kIsRate);
  state.counters["sim_ms_per_seed"] = static_cast<double>(simulated_ms) / seeds;
  // A failing seed is a finding for the scenario tests, not a reason to hide the timing.
  state.counters["failed_seeds"] = static_cast<double>(failed_seeds);
  return elapsed.count();
}

void BM_SimulatorEvents(benchmark::State& state) {
  auto corpus = ReadFortunesCorpus();
  if (!corpus.ok()) return state.SkipWithError(corpus.status().ToString().c_str());
  const std::string input(PrefixAtLineBoundary(corpus.value(), kSimulatorInputBytes));
  state.SetLabel(std::to_string(input.size()) + " bytes");
  (void)RunScenarioSeeds(state, input);
}
BENCHMARK(BM_SimulatorEvents)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_SimulatorSeedFullCorpus(benchmark::State& state) {
  auto corpus = ReadFortunesCorpus();
  if (!corpus.ok()) return state.SkipWithError(corpus.status().ToString().c_str());
  state.SetLabel(std::to_string(corpus.value().size()) + " bytes");
  const double seconds = RunScenarioSeeds(state, corpus.value());
  // One thread: this is per core. A plain counter, since a kIsRate one would print as "/s".
  state.counters["seeds_per_hour"] =
      static_cast<double>(state.iterations() * kSecondsPerHour) / seconds;
}
BENCHMARK(BM_SimulatorSeedFullCorpus)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(kFullCorpusSeeds);

int64_t CountLines(const std::string& text) {
  const auto lines = static_cast<int64_t>(std::count(text.begin(), text.end(), '\n'));
  return lines + (!text.empty() && text.back() != '\n' ? 1 : 0);
}

void BM_SimulatorClusterEvents(benchmark::State& state) {
  auto corpus = ReadFortunesCorpus();
  if (!corpus.ok()) return state.SkipWithError(corpus.status().ToString().c_str());
  const std::string input(PrefixAtLineBoundary(corpus.value(), kSimulatorInputBytes));
  scenarios::WordCountClusterOptions options;
  options.source_records_per_second =
      std::max<int64_t>(1, CountLines(input) * 1000 / kScenarioJobDurationMs);
  uint64_t seed = 0;
  uint64_t events = 0;
  uint64_t switches = 0;
  int64_t unfinished = 0;
  for (auto _ : state) {
    options.seed = ++seed;
    scenarios::WordCountCluster cluster(options, input);
    cluster.Run(kScenarioLivenessBoundMs);
    events += cluster.world().events_processed();
    switches += cluster.world().fiber_switches();
    unfinished += cluster.finished() ? 0 : 1;
  }
  state.SetLabel(std::to_string(input.size()) + " bytes");
  state.counters["events"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  state.counters["fiber_switches"] =
      benchmark::Counter(static_cast<double>(switches), benchmark::Counter::kIsRate);
  state.counters["events_per_seed"] =
      static_cast<double>(events) / static_cast<double>(state.iterations());
  state.counters["unfinished"] = static_cast<double>(unfinished);
}
BENCHMARK(BM_SimulatorClusterEvents)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace sluice::bench
