// Nexmark on the real runtime, reported as the nexmark project reports Flink: events per second
// per core, events ÷ (CPU cores used × seconds) = events ÷ CPU seconds of the process.
//
// BM_Nexmark/query:N  job nexmark-bench-qN: the Nexmark generator inside the job (sources at
//                     parallelism 2, engine/jobs/nexmark/generator.h), query N
//                     (engine/jobs/nexmark/queries.h) at parallelism 2 and a DiscardingSink, on a
//                     whole cluster in one process (bench/real_cluster.h: JobManager, 2
//                     TaskManagers x 2 slots, loopback TCP, exactly-once aligned checkpoints every
//                     500 ms to the store). One iteration is one job of kEvents events from an
//                     empty directory until the JobManager reports it finished. The events span
//                     10 s of event time, as nexmark's 100 M events at 10 M/s do, so each query
//                     fires as many windows as in Flink's published runs.
// Counters: events_per_core_s (the nexmark metric), events_per_s (wall clock), cores (CPU seconds
// / wall seconds; the runtime is one thread, so at most about 1), and flink_v1_per_core and
// flink_v2_per_core: Flink's published figures for the query (nexmark GUIDE_V1.md "Benchmark
// Results", Throughput/Cores; GUIDE_V2.md "Benchmark Results", Throughput ÷ Cores), and `ratio`
// = ours / Flink V1's.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "bench/real_cluster.h"
#include "engine/api/data_stream.h"
#include "engine/config/core_options.h"
#include "engine/jobs/nexmark/generator.h"
#include "engine/jobs/nexmark/queries.h"

namespace sluice::bench {
namespace {

constexpr int64_t kEvents = 2'000'000;
constexpr int64_t kEventTimeSeconds = 10;

// events/s/core: GUIDE_V1 (Throughput/Cores column) and GUIDE_V2 (Throughput / Cores).
struct FlinkFigure {
  int query;
  double v1;
  double v2;
};
constexpr FlinkFigure kFlink[] = {{0, 155.02e3, 378.6e3}, {1, 157.94e3, 395.0e3},
                                  {2, 175.21e3, 413.7e3}, {3, 152.12e3, 218.6e3},
                                  {5, 22.14e3, 74.5e3},   {7, 12.33e3, 22.9e3},
                                  {8, 146.14e3, 162.1e3}};

Status RegisterBenchJobs(JobRegistry& jobs) {
  for (int query : nexmark::kQueries) {
    RETURN_IF_ERROR(jobs.Register(JobDefinition{
        .name = "nexmark-bench-q" + std::to_string(query),
        .description = "Nexmark query with the generator inside and a discarding sink",
        .options = nexmark::GeneratorOptions(),
        .default_settings = {},
        .build = [query](const JobContext& context) -> Result<JobGraph> {
          StreamEnvironment env("nexmark-bench-q" + std::to_string(query),
                                MaxParallelismFor(context.settings, context.DefaultParallelism()));
          env.SetParallelism(context.DefaultParallelism());
          auto events = env.AddSource(
              "Generator", nexmark::NexmarkSource(nexmark::GeneratorConfigFrom(context.settings)),
              context.input_splits);
          RETURN_IF_ERROR(nexmark::AddQueryWithSink(
              query, nexmark::WithNexmarkWatermarks(events), /*output_dir=*/""));
          return env.Build();
        }}));
  }
  return Status::Ok();
}

std::string MakeTempDir() {
  std::string path = (std::filesystem::temp_directory_path() / "sluice_bench.XXXXXX").string();
  return ::mkdtemp(path.data()) == nullptr ? std::string() : path;
}

void BM_Nexmark(benchmark::State& state) {
  const int query = static_cast<int>(state.range(0));
  double wall_seconds = 0, cpu_seconds = 0;
  int64_t checkpoints = 0;
  for (auto _ : state) {
    RealWordCountOptions options;
    options.root_dir = MakeTempDir();
    if (options.root_dir.empty()) return state.SkipWithError("mkdtemp failed");
    options.job = "nexmark-bench-q" + std::to_string(query);
    options.register_jobs = RegisterBenchJobs;
    options.taskmanagers = 2;
    options.slots_per_taskmanager = 2;
    options.input_splits = 2;
    options.parallelism = 2;
    options.input = "";
    options.settings.Set("nexmark.events.num", std::to_string(kEvents));
    options.settings.Set("nexmark.first-event.rate", std::to_string(kEvents / kEventTimeSeconds));
    const RealWordCountRun run = RunRealWordCount(options);
    std::error_code error;
    std::filesystem::remove_all(options.root_dir, error);
    if (!run.status.ok()) return state.SkipWithError(run.status.ToString().c_str());
    const double seconds = static_cast<double>(run.wall_ns) / 1e9;
    state.SetIterationTime(seconds);
    wall_seconds += seconds;
    cpu_seconds += static_cast<double>(run.cpu_ns) / 1e9;
    checkpoints += run.checkpoints_completed;
  }
  const double events = static_cast<double>(kEvents) * static_cast<double>(state.iterations());
  const double per_core = events / cpu_seconds;
  state.SetLabel("q" + std::to_string(query) + ", " + std::to_string(kEvents) + " events/job");
  state.counters["events_per_core_s"] = per_core;
  state.counters["events_per_s"] = events / wall_seconds;
  state.counters["cores"] = cpu_seconds / wall_seconds;
  state.counters["checkpoints_per_job"] =
      static_cast<double>(checkpoints) / static_cast<double>(state.iterations());
  for (const FlinkFigure& flink : kFlink) {
    if (flink.query != query) continue;
    state.counters["flink_v1_per_core"] = flink.v1;
    state.counters["flink_v2_per_core"] = flink.v2;
    state.counters["ratio"] = per_core / flink.v1;
  }
}
BENCHMARK(BM_Nexmark)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime()
    ->Iterations(2)
    ->ArgName("query")
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->Arg(3)
    ->Arg(5)
    ->Arg(7)
    ->Arg(8);

}  // namespace
}  // namespace sluice::bench
