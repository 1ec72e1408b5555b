// The simulator's speed: how many seeds of a whole-cluster scenario one core runs, how much
// faster than real time a seed runs, and how many simulator events it processes per second.
// These bound how much of the state space a seed sweep covers.
//
// Scenarios: tm-crash and chaos, found by name in scenarios::ScenarioCatalog()
// and run exactly as `sluice sim run` and `sim sweep` run them (drawn fault schedule and
// configuration, exactly-once check included, the input's word counts counted once per benchmark
// as a sweep counts them once for all its seeds), seeds 1, 2, ... Inputs: `300KB`, the first
// 300,000 bytes of the fortunes corpus cut back to a line end (byte for byte what
// tools/make_sim_input.sh writes and the CI sweeps read), and `full`, the whole corpus.
//
// BM_SimulatorSeeds/<scenario>_<input>       one seed per iteration, a fixed seed count per run
//     (so every run covers the same seeds): seeds/s, seeds_per_hour (one thread: per core),
//     x_real_time (simulated seconds per wall second), the same two per second of the thread's
//     CPU time (cpu_seeds_per_hour, cpu_x_real_time), sim_ms_per_seed, failed_seeds.
// BM_SimulatorEventRate/<scenario>_<input>   the scenario API does not expose the World, so each
//     iteration runs the seed through the scenario (untimed, to learn its configuration and fault
//     schedule), then replays that seed on a scenarios::WordCountCluster with the same options,
//     fault-point probabilities and schedule, and times the replay's simulation only. The replay
//     must reproduce the scenario's trace hash (else `hash_mismatches` counts it): then
//     World::events_processed() is exactly the scenario's event count. Counters: events/s (of
//     simulation), events_per_seed, seed_events_per_s (events over the scenario's whole seed time,
//     setup and exactly-once check included), fiber_switches/s.
#include <benchmark/benchmark.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/bench_input.h"
#include "scenarios/exactly_once.h"
#include "scenarios/fault_applier.h"
#include "scenarios/scenario.h"
#include "scenarios/wordcount_cluster.h"

namespace sluice::bench {
namespace {

constexpr int64_t kSecondsPerHour = 3600;
constexpr char kTmCrash[] = "tm-crash";
constexpr char kChaos[] = "chaos";

enum class Input { k300KB, kFullCorpus };

// The benchmark inputs, read once per process (the corpus read is not what we measure).
// nullptr (and *error set) if the corpus is missing.
const std::string* LoadInput(Input which, std::string* error) {
  static const Result<std::string> corpus = ReadFortunesCorpus();
  static const std::string sample =
      corpus.ok() ? std::string(PrefixAtLineBoundary(corpus.value(), kSimulatorInputBytes)) : "";
  if (!corpus.ok()) {
    *error = corpus.status().ToString();
    return nullptr;
  }
  return which == Input::k300KB ? &sample : &corpus.value();
}

double ThreadCpuSeconds() {
  timespec now{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

// nullptr if the catalog has no scenario of that name.
const scenarios::ScenarioInfo* FindScenario(std::string_view name) {
  static const std::vector<scenarios::ScenarioInfo> catalog = scenarios::ScenarioCatalog();
  for (const scenarios::ScenarioInfo& info : catalog) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

// `expected`: the input's word counts, counted once per benchmark as the CLI counts them once
// per sweep (tools/sim_command_util.cc, PrepareRun).
scenarios::ScenarioResult RunSeed(const scenarios::ScenarioInfo& scenario, uint64_t seed,
                                  const std::string& input,
                                  const scenarios::WordCountReference& expected) {
  scenarios::ScenarioOptions options;
  options.seed = seed;
  options.input_text = input;
  options.expected_counts = &expected;
  return scenario.run(options);
}

void BM_SimulatorSeeds(benchmark::State& state, const char* scenario_name, Input which) {
  std::string error;
  const std::string* input = LoadInput(which, &error);
  if (input == nullptr) return state.SkipWithError(error.c_str());
  const scenarios::ScenarioInfo* scenario = FindScenario(scenario_name);
  if (scenario == nullptr) return state.SkipWithError("scenario missing from the catalog");
  // Counted once, untimed: a sweep counts once for all its seeds.
  const scenarios::WordCountReference expected(*input);
  int64_t simulated_ms = 0;
  int64_t failed_seeds = 0;
  uint64_t seed = 0;
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = ThreadCpuSeconds();
  for (auto _ : state) {
    const scenarios::ScenarioResult result = RunSeed(*scenario, ++seed, *input, expected);
    simulated_ms += result.simulated_ms;
    failed_seeds += result.pass ? 0 : 1;  // a finding for the scenario tests, not hidden here
  }
  const double cpu_seconds = ThreadCpuSeconds() - cpu_start;
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  const auto seeds = static_cast<double>(state.iterations());
  const double simulated_seconds = static_cast<double>(simulated_ms) / 1e3;
  state.SetLabel(std::to_string(input->size()) + " bytes, seeds 1.." + std::to_string(seed));
  state.counters["seeds"] = benchmark::Counter(seeds, benchmark::Counter::kIsRate);
  // Plain counters (a kIsRate one would print as "/s"): one thread, so per core.
  state.counters["seeds_per_hour"] = seeds * kSecondsPerHour / elapsed.count();
  state.counters["x_real_time"] = simulated_seconds / elapsed.count();
  // The same per second of this thread's CPU time: on a machine shared with other jobs, closer
  // to what an idle core would do than the wall-clock figures.
  state.counters["cpu_seeds_per_hour"] = seeds * kSecondsPerHour / cpu_seconds;
  state.counters["cpu_x_real_time"] = simulated_seconds / cpu_seconds;
  state.counters["sim_ms_per_seed"] = static_cast<double>(simulated_ms) / seeds;
  state.counters["failed_seeds"] = static_cast<double>(failed_seeds);
}

// What RunWordCountScenario (scenarios/wordcount_scenario.cc) sets from the scenario's spec and
// the replay cannot read off a ScenarioResult. Mirrored by hand; the trace-hash comparison in
// BM_SimulatorEventRate catches a mirror that has gone stale.
struct SpecMirror {
  double fault_point_enable = 0;
  double fault_point_fire = 0;
  int64_t min_chaos_ms = 0;
  int64_t liveness_bound_ms = 60 * 1000;
};

SpecMirror MirrorOf(std::string_view scenario_name) {
  // scenarios/wordcount_fault_scenarios.cc, RunWordCountChaos.
  if (scenario_name == kChaos) {
    return SpecMirror{.fault_point_enable = 0.25, .fault_point_fire = 0.1};
  }
  return SpecMirror{};  // tm-crash: the spec's defaults
}

// The cluster options the scenario ran with, from ScenarioResult::config (the swarm draw).
scenarios::WordCountClusterOptions ClusterOptionsOf(const scenarios::ScenarioResult& result) {
  scenarios::WordCountClusterOptions options;
  options.seed = result.seed;
  auto get = [&result](const char* key, int64_t fallback) {
    auto it = result.config.find(key);
    return it == result.config.end() ? fallback : std::stoll(it->second);
  };
  options.taskmanagers = static_cast<int>(get("taskmanagers", options.taskmanagers));
  options.slots_per_taskmanager =
      static_cast<int>(get("slots_per_taskmanager", options.slots_per_taskmanager));
  options.input_splits =
      static_cast<int>(get("input_splits", options.input_splits));
  options.parallelism = static_cast<int>(get("parallelism", options.parallelism));
  options.checkpoint_interval_ms = get("checkpoint_interval_ms", options.checkpoint_interval_ms);
  options.source_records_per_second =
      get("source_records_per_second", options.source_records_per_second);
  Configuration restart;  // the run's restart strategy, under its Flink keys
  for (const auto& [key, value] : result.config) {
    if (key.rfind("restart-strategy.", 0) == 0) restart.Set(key, value);
  }
  if (!restart.empty()) {
    auto parsed = RestartStrategyConfigFrom(restart);
    if (parsed.ok()) options.restart = *parsed;
  }
  options.heartbeat_timeout_ms = get("heartbeat_timeout_ms", options.heartbeat_timeout_ms);
  if (auto it = result.config.find("link_latency_us"); it != result.config.end()) {  // "min..max"
    const size_t dots = it->second.find("..");
    options.link_latency_min_us = std::stoll(it->second.substr(0, dots));
    options.link_latency_max_us = std::stoll(it->second.substr(dots + 2));
  }
  if (auto it = result.config.find("short_read_probability"); it != result.config.end()) {
    // Printed with std::to_string (6 decimals). chaos draws 0.1 * k, k in 0..5, and
    // 0.1 * 3 is not the double nearest "0.300000": recompute the product the scenario used.
    const double printed = std::stod(it->second);
    const double tenths = std::round(printed * 10);
    options.short_read_probability =
        std::abs(printed - tenths / 10) < 1e-9 ? 0.1 * tenths : printed;
  }
  return options;
}

struct Replay {
  uint64_t events = 0;
  uint64_t fiber_switches = 0;
  uint64_t trace_hash = 0;
  double seconds = 0;  // wall time of the simulation (cluster construction and Run)
};

// Runs `result`'s seed again on a WordCountCluster, as RunWordCountScenario did.
Replay ReplaySeed(const scenarios::ScenarioResult& result, const SpecMirror& mirror,
                  const std::string& input) {
  const auto start = std::chrono::steady_clock::now();
  scenarios::WordCountCluster cluster(ClusterOptionsOf(result), input);
  sim::World& world = cluster.world();
  world.faults().SetProbabilities(mirror.fault_point_enable, mirror.fault_point_fire);
  scenarios::FaultApplier applier(cluster);
  applier.Schedule(result.faults);  // already sorted by time, as the runner scheduled them
  const int64_t heal_ms =
      std::max(scenarios::FaultApplier::ChaosEndMs(result.faults), mirror.min_chaos_ms) + 1;
  applier.ScheduleHeal(heal_ms);
  cluster.Run(heal_ms + mirror.liveness_bound_ms);
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  return Replay{world.events_processed(), world.fiber_switches(), world.trace_hash(),
                elapsed.count()};
}

void BM_SimulatorEventRate(benchmark::State& state, const char* scenario_name, Input which) {
  std::string error;
  const std::string* input = LoadInput(which, &error);
  if (input == nullptr) return state.SkipWithError(error.c_str());
  const scenarios::ScenarioInfo* scenario = FindScenario(scenario_name);
  if (scenario == nullptr) return state.SkipWithError("scenario missing from the catalog");
  const SpecMirror mirror = MirrorOf(scenario_name);
  const scenarios::WordCountReference expected(*input);
  uint64_t events = 0;
  uint64_t switches = 0;
  int64_t mismatches = 0;
  double seed_seconds = 0;
  uint64_t seed = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    const scenarios::ScenarioResult result = RunSeed(*scenario, ++seed, *input, expected);
    seed_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const Replay replay = ReplaySeed(result, mirror, *input);
    state.SetIterationTime(replay.seconds);
    events += replay.events;
    switches += replay.fiber_switches;
    mismatches += replay.trace_hash == result.trace_hash ? 0 : 1;
  }
  const auto seeds = static_cast<double>(state.iterations());
  state.SetLabel(std::to_string(input->size()) + " bytes, seeds 1.." + std::to_string(seed));
  state.counters["events"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  state.counters["fiber_switches"] =
      benchmark::Counter(static_cast<double>(switches), benchmark::Counter::kIsRate);
  state.counters["events_per_seed"] = static_cast<double>(events) / seeds;
  state.counters["seed_events_per_s"] = static_cast<double>(events) / seed_seconds;
  // Non-zero: the replay is not the scenario's run (SpecMirror is stale); the event figures
  // then describe a different run and must not be quoted.
  state.counters["hash_mismatches"] = static_cast<double>(mismatches);
}

// Seeds per run: enough for a stable mean over the seeds' spread, each run a few seconds.
constexpr int kSeeds300KB = 40;
constexpr int kSeedsFull = 8;
constexpr int kEventSeeds300KB = 10;
constexpr int kEventSeedsFull = 3;

BENCHMARK_CAPTURE(BM_SimulatorSeeds, tm_crash_300KB, kTmCrash, Input::k300KB)
    ->Iterations(kSeeds300KB)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_SimulatorSeeds, tm_crash_full, kTmCrash, Input::kFullCorpus)
    ->Iterations(kSeedsFull)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_SimulatorSeeds, chaos_300KB, kChaos, Input::k300KB)
    ->Iterations(kSeeds300KB)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_SimulatorSeeds, chaos_full, kChaos, Input::kFullCorpus)
    ->Iterations(kSeedsFull)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

BENCHMARK_CAPTURE(BM_SimulatorEventRate, tm_crash_300KB, kTmCrash, Input::k300KB)
    ->Iterations(kEventSeeds300KB)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime();
BENCHMARK_CAPTURE(BM_SimulatorEventRate, tm_crash_full, kTmCrash, Input::kFullCorpus)
    ->Iterations(kEventSeedsFull)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime();
BENCHMARK_CAPTURE(BM_SimulatorEventRate, chaos_300KB, kChaos, Input::k300KB)
    ->Iterations(kEventSeeds300KB)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime();
BENCHMARK_CAPTURE(BM_SimulatorEventRate, chaos_full, kChaos, Input::kFullCorpus)
    ->Iterations(kEventSeedsFull)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime();

}  // namespace
}  // namespace sluice::bench
