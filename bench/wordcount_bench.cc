// The key figure: word count on the engine's real runtime against a plain single-threaded loop
// over the same input: the full fortunes corpus (~2.6 MB), repeated `copies` times (arg). Copies 1
// is the key figure; copies 8 (~20 MB) shows the rate once the fixed per-job costs (registration,
// the wait for the checkpoint that commits the last records) are spread over more records.
//
// BM_WordCountPlainLoop    ForEachWord into std::unordered_map<std::string, int64_t>, appending
//                          "word<TAB>n\n" per occurrence to one std::string: exactly the job's
//                          output, with no engine at all. Records/s.
// BM_WordCountRealRuntime  the job on a whole cluster (store, JobManager, 3 TaskManagers x 2 slots,
//                          sources at parallelism 2, counting at 4, checkpoints every 500 ms) in
//                          one process on the real runtime (bench/real_cluster.h). One iteration is
//                          one job from an empty directory to RunJobManager returning, timed by
//                          wall clock (manual time); the committed output is checked exactly once
//                          outside the timing. Records/s, and `ratio` = engine records/s divided by
//                          the plain loop's records/s measured in the same process just before.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>

#include "bench/bench_input.h"
#include "bench/real_cluster.h"
#include "engine/jobs/wordcount.h"
#include "scenarios/exactly_once.h"

namespace sluice::bench {
namespace {

// Plain-loop runs before the engine benchmark, to compute the ratio from the fastest.
constexpr int kPlainReferenceRuns = 3;
// Whole jobs per engine measurement (each takes seconds).
constexpr int kRealRuntimeJobs = 3;
constexpr size_t kDecimalDigitsMax = 24;
constexpr int64_t kCopiesKeyFigure = 1;
constexpr int64_t kCopiesAmortized = 8;

struct PlainCount {
  int64_t records = 0;
  size_t output_bytes = 0;
};

// The job's semantics as one loop: the running count of each word occurrence, as output lines.
PlainCount RunPlainWordCount(std::string_view text) {
  std::unordered_map<std::string, int64_t> counts;
  std::string output;
  int64_t records = 0;
  scenarios::ForEachWord(text, [&](const std::string& word) {
    const int64_t count = ++counts[word];
    char digits[kDecimalDigitsMax];
    const auto [end, error] = std::to_chars(digits, digits + sizeof(digits), count);
    output.append(word);
    output.push_back('\t');
    output.append(digits, end);
    output.push_back('\n');
    ++records;
  });
  benchmark::DoNotOptimize(output.data());
  benchmark::ClobberMemory();
  return PlainCount{records, output.size()};
}

// Records per second of the fastest of a few plain-loop runs over `text`.
double PlainRecordsPerSecond(std::string_view text) {
  double best_seconds = 0;
  int64_t records = 0;
  for (int run = 0; run < kPlainReferenceRuns; ++run) {
    const auto start = std::chrono::steady_clock::now();
    records = RunPlainWordCount(text).records;
    const std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - start;
    if (run == 0 || seconds.count() < best_seconds) best_seconds = seconds.count();
  }
  return static_cast<double>(records) / best_seconds;
}

// The corpus repeated `copies` times.
Result<std::string> ReadInput(int64_t copies) {
  ASSIGN_OR_RETURN(std::string corpus, ReadFortunesCorpus());
  std::string input;
  input.reserve(corpus.size() * static_cast<size_t>(copies));
  for (int64_t copy = 0; copy < copies; ++copy) input += corpus;
  return input;
}

void BM_WordCountPlainLoop(benchmark::State& state) {
  auto input = ReadInput(state.range(0));
  if (!input.ok()) return state.SkipWithError(input.status().ToString().c_str());
  int64_t records = 0;
  for (auto _ : state) records += RunPlainWordCount(input.value()).records;
  state.SetLabel(std::to_string(input.value().size()) + " bytes");
  state.counters["records"] =
      benchmark::Counter(static_cast<double>(records), benchmark::Counter::kIsRate);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(input.value().size()));
}
BENCHMARK(BM_WordCountPlainLoop)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->ArgName("copies")
    ->Arg(kCopiesKeyFigure)
    ->Arg(kCopiesAmortized);

// A fresh directory under $TMPDIR (or /tmp); empty on failure.
std::string MakeTempDir() {
  std::string path = (std::filesystem::temp_directory_path() / "sluice_bench.XXXXXX").string();
  return ::mkdtemp(path.data()) == nullptr ? std::string() : path;
}

// Runs one job into a fresh directory, checks its committed output exactly once against
// `expected_counts`, removes the directory. Returns the run; a failed check becomes its status.
// `settings`: the job's -D settings (none: the defaults).
RealWordCountRun RunCheckedJob(const std::string& input,
                               const std::map<std::string, int64_t>& expected_counts,
                               const Configuration& settings = {}) {
  RealWordCountOptions options;
  options.settings = settings;
  options.root_dir = MakeTempDir();
  options.input = input;
  if (options.root_dir.empty()) return RealWordCountRun{IoError("mkdtemp failed")};
  RealWordCountRun run = RunRealWordCount(options);
  if (run.status.ok()) {
    auto output = ReadCommittedOutput(options.root_dir);
    if (!output.ok()) {
      run.status = output.status();
    } else if (auto report = scenarios::CheckExactlyOnce(expected_counts, output.value());
               !report.ok) {
      run.status = DataLossError("output not exactly once: " + report.first_violation);
    }
  }
  std::error_code error;
  std::filesystem::remove_all(options.root_dir, error);
  return run;
}

void BM_WordCountRealRuntime(benchmark::State& state) {
  auto input_or = ReadInput(state.range(0));
  if (!input_or.ok()) return state.SkipWithError(input_or.status().ToString().c_str());
  const std::string& input = input_or.value();
  const std::map<std::string, int64_t> expected_counts = scenarios::CountWords(input);
  const int64_t records_per_job = CountWordOccurrences(input);
  if (records_per_job <= 0) return state.SkipWithError("the input holds no words");
  const double plain_records_per_second = PlainRecordsPerSecond(input);

  double wall_seconds = 0;
  double startup_seconds = 0;
  double job_seconds = 0;
  int64_t checkpoints = 0;
  int64_t restarts = 0;
  for (auto _ : state) {
    const RealWordCountRun run = RunCheckedJob(input, expected_counts);
    if (!run.status.ok()) return state.SkipWithError(run.status.ToString().c_str());
    const double seconds = static_cast<double>(run.wall_ns) / 1e9;
    state.SetIterationTime(seconds);
    wall_seconds += seconds;
    startup_seconds += static_cast<double>(run.startup_ns) / 1e9;
    job_seconds += static_cast<double>(run.deployed_to_finished_ns) / 1e9;
    checkpoints += run.checkpoints_completed;
    restarts += run.restarts;
  }
  const auto jobs = static_cast<double>(state.iterations());
  const double records = static_cast<double>(records_per_job) * jobs;
  state.SetLabel(std::to_string(input.size()) + " bytes, " + std::to_string(records_per_job) +
                 " records/job");
  state.counters["records"] = benchmark::Counter(records, benchmark::Counter::kIsRate);
  state.counters["startup_ms"] = startup_seconds * 1e3 / jobs;
  state.counters["deployed_to_finished_ms"] = job_seconds * 1e3 / jobs;
  state.counters["plain_records_per_s"] = plain_records_per_second;
  state.counters["ratio"] = records / wall_seconds / plain_records_per_second;
  state.counters["checkpoints_per_job"] = static_cast<double>(checkpoints) / jobs;
  state.counters["restarts"] = static_cast<double>(restarts);
}
BENCHMARK(BM_WordCountRealRuntime)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime()
    ->Iterations(kRealRuntimeJobs)
    ->ArgName("copies")
    ->Arg(kCopiesKeyFigure)
    ->Arg(kCopiesAmortized);

// BM_CheckpointOverhead/interval_ms:N — word count on the real runtime (32 copies of the corpus)
// with execution.checkpointing.interval N: 100 ms, 1 s, and 10 s, longer than the job's
// processing (a few seconds), which therefore runs with no checkpoint until the final one
// (FLIP-147) — Sluice's "checkpointing off", since its sinks commit on checkpoints. Timed from deployment to the last source's end of input (credits bound
// what is still in flight then; the wait for the final checkpoint's trigger, up to one interval,
// is not processing): `records` is the throughput, and its ratio to interval_ms:10000's the
// checkpoints' cost.
void BM_CheckpointOverhead(benchmark::State& state) {
  // 32 copies: a few seconds of processing, so that a 1 s interval checkpoints mid-run.
  constexpr int64_t kCopies = 32;
  auto input_or = ReadInput(kCopies);
  if (!input_or.ok()) return state.SkipWithError(input_or.status().ToString().c_str());
  const std::string& input = input_or.value();
  const std::map<std::string, int64_t> expected_counts = scenarios::CountWords(input);
  const int64_t records_per_job = CountWordOccurrences(input);
  Configuration settings;
  settings.Set("execution.checkpointing.interval", std::to_string(state.range(0)) + "ms");
  int64_t checkpoints = 0;
  for (auto _ : state) {
    const RealWordCountRun run = RunCheckedJob(input, expected_counts, settings);
    if (!run.status.ok()) return state.SkipWithError(run.status.ToString().c_str());
    if (run.deployed_to_input_end_ns <= 0) return state.SkipWithError("no end of input seen");
    state.SetIterationTime(static_cast<double>(run.deployed_to_input_end_ns) / 1e9);
    checkpoints += run.checkpoints_completed;
  }
  const auto jobs = static_cast<double>(state.iterations());
  state.counters["records"] = benchmark::Counter(static_cast<double>(records_per_job) * jobs,
                                                 benchmark::Counter::kIsRate);
  state.counters["checkpoints_per_job"] = static_cast<double>(checkpoints) / jobs;
}
BENCHMARK(BM_CheckpointOverhead)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime()
    ->Iterations(kRealRuntimeJobs)
    ->ArgName("interval_ms")
    ->Arg(100)
    ->Arg(1000)
    ->Arg(10000);

}  // namespace
}  // namespace sluice::bench
