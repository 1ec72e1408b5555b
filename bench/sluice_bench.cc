// sluice_bench: the project's one benchmark executable (see bench/README.md).
//   fiber_bench.cc      BM_FiberSwitch
//   simulator_bench.cc  BM_SimulatorSeeds, BM_SimulatorEventRate (tm-crash, chaos)
//   wordcount_bench.cc  BM_WordCountPlainLoop, BM_WordCountRealRuntime (the engine/plain ratio)
#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
