// BM_FiberSwitch: the cost of handing the CPU from one fiber to another through sluice::Scheduler,
// the switch every suspension point of the engine pays (real runtime and simulator alike).
//
// Two fibers loop on Yield(). Fibers always yield back to the driving loop (RunOne), which then
// resumes the other, so one switch here = one RunOne = the scheduler resuming a fiber and the fiber
// yielding back (two Boost.Context jumps plus the run-queue bookkeeping). Arg 0 runs the FIFO
// queue (real runtime); arg 1 draws the next fiber from a seeded PRNG, as the simulator does.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>

#include "engine/runtime/random.h"
#include "engine/runtime/scheduler.h"

namespace sluice::bench {
namespace {

constexpr uint32_t kGroup = 1;
constexpr uint64_t kPickerSeed = 42;

void BM_FiberSwitch(benchmark::State& state) {
  const bool random_picker = state.range(0) != 0;
  Scheduler scheduler;
  Random picker(kPickerSeed);
  if (random_picker) scheduler.SetPicker(&picker);
  bool stop = false;
  int64_t yields = 0;
  for (const char* name : {"ping", "pong"}) {
    const FiberId id = scheduler.Spawn(kGroup, name, [&scheduler, &stop, &yields] {
      while (!stop) {
        ++yields;
        scheduler.Yield();
      }
    });
    if (id == kNoFiber) return state.SkipWithError("Spawn refused a fiber");
  }
  // Start both fibers before timing, so that the loop measures steady-state switches only.
  if (!scheduler.RunOne() || !scheduler.RunOne()) return state.SkipWithError("fibers not ready");

  const uint64_t switches_before = scheduler.switch_count();
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    const bool ran = scheduler.RunOne();
    benchmark::DoNotOptimize(ran);
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  const auto switches = static_cast<double>(scheduler.switch_count() - switches_before);

  stop = true;
  while (scheduler.RunOne()) {
  }
  if (scheduler.LiveCount() != 0) return state.SkipWithError("a fiber did not finish");
  if (switches != static_cast<double>(state.iterations())) {
    return state.SkipWithError("RunOne did not switch exactly once per iteration");
  }
  state.counters["switches"] = benchmark::Counter(switches, benchmark::Counter::kIsRate);
  state.counters["ns_per_switch"] =
      std::chrono::duration<double, std::nano>(elapsed).count() / switches;
  benchmark::DoNotOptimize(yields);
}
BENCHMARK(BM_FiberSwitch)->ArgName("random_picker")->Arg(0)->Arg(1);

}  // namespace
}  // namespace sluice::bench
