#include "tools/cluster_commands.h"

#include "tools/database_output.h"

#include <fmt/core.h>
#include <stdlib.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "engine/config/core_options.h"
#include "engine/graph/job_graph.h"
#include "scenarios/reference_evaluator.h"
#include "tools/cli_common.h"
#include "tools/job_options.h"
#include "tools/corpus.h"
#include "tools/exactly_once.h"
#include "tools/file_util.h"
#include "tools/local_cluster.h"
#include "tools/process.h"

namespace sluice::tools {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kSourceParallelism = 2;
constexpr int kTaskManagersMax = 64;
constexpr int kJobManagersMax = 3;
constexpr int64_t kWaitPollMs = 50;
// How often (in polls) the leader's REST API is asked for its counts while the job runs.
constexpr int64_t kPollsPerLeaderReport = 5;
// A killed leader's replacement starts this long after the kill: longer than the etcd lease (2 s,
// high-availability.etcd.lease-ttl as LocalCluster sets it), so that a standby has taken over;
// the replacement then stands by.
constexpr double kJobManagerReplacementDelayS = 3.0;
// Once the job has ended, how long the other JobManagers get to find its result and exit on their
// own (a standby checks once per lease renew interval, 400 ms) before StopAll stops them.
constexpr int64_t kStandbyExitWaitMs = 2'000;
constexpr int kLogTailLines = 15;

// A CLI11 check that the text is a finite number, > 0 if `positive`, else >= 0. (CLI11's own
// NonNegativeNumber prints DBL_MAX in full in its error message.)
CLI::Validator NumberCheck(bool positive) {
  auto check = [positive](std::string& text) -> std::string {
    char* end = nullptr;
    errno = 0;
    const double value = std::strtod(text.c_str(), &end);
    const bool number = !text.empty() && *end == '\0' && errno == 0 && std::isfinite(value);
    if (number && (positive ? value > 0 : value >= 0)) return std::string();
    return fmt::format("expected a {} number, got '{}'", positive ? "positive" : "non-negative",
                       text);
  };
  return CLI::Validator(check, positive ? "POSITIVE" : "NONNEGATIVE");
}

int FailedRun(std::string_view message) {
  PrintError(message);
  return kExitFailed;
}

Result<std::string> MakeWorkDir() {
  std::error_code error;
  const std::filesystem::path temp = std::filesystem::temp_directory_path(error);
  std::string pattern = (error ? std::filesystem::path("/tmp") : temp) / "sluice-cluster-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    return IoError(
        fmt::format("cannot create a work directory like '{}': {}", pattern, std::strerror(errno)));
  }
  return pattern;
}

Status WritePartitions(const std::string& dir, const std::string& input) {
  RETURN_IF_ERROR(CreateDirectories(dir));
  const size_t split = HalfwayLineBoundary(input);
  static_assert(kSourceParallelism == 2, "the input is split in halves");
  RETURN_IF_ERROR(WriteWholeFile(dir + "/part-0", input.substr(0, split)));
  return WriteWholeFile(dir + "/part-1", input.substr(split));
}

void PrintLogTail(const std::string& path) {
  auto text = ReadWholeFile(path);
  if (!text.ok()) return PrintWarning(text.status().message());
  const std::string_view log = text.value();
  size_t start = log.size();
  if (start > 0 && log[start - 1] == '\n') --start;  // the last line's own newline
  for (int lines = 1; start > 0; --start) {
    if (log[start - 1] == '\n' && ++lines > kLogTailLines) break;
  }
  fmt::print(stderr, "--- last lines of {} ---\n{}", path, log.substr(start));
  if (!log.empty() && log.back() != '\n') fmt::print(stderr, "\n");
}

// What the leading JobManagers' REST APIs reported, by leadership epoch (the latest report of
// each): GET /jobs/:jobid/metrics?get=numberOfCompletedCheckpoints,numRestarts (Flink's job
// metrics, counted per leadership) and /jobs/:jobid/checkpoints' latest completed id.
struct LeaderReports {
  struct Report {
    int64_t completed = 0;
    int64_t restarts = 0;
  };
  std::map<int64_t, Report> by_epoch;
  int64_t latest_checkpoint = 0;
};

// The leader's job id (GET /jobs), or "" if it cannot be had.
std::string JobIdFrom(const LocalCluster& cluster, int index) {
  auto jobs = cluster.RestGet(index, "/jobs");
  if (!jobs.ok() || jobs->status != 200 || !jobs->body["jobs"].is_array() ||
      jobs->body["jobs"].empty()) {
    return "";
  }
  return jobs->body["jobs"][0].value("id", "");
}

// Asks the leader, if one answers, for its counts (see LeaderReports).
void PollLeader(const LocalCluster& cluster, LeaderReports* reports) {
  const std::optional<LocalCluster::Leader> leader = cluster.FindLeader();
  if (!leader) return;
  const std::string jid = JobIdFrom(cluster, leader->index);
  if (jid.empty()) return;
  auto metrics = cluster.RestGet(
      leader->index, "/jobs/" + jid + "/metrics?get=numberOfCompletedCheckpoints,numRestarts");
  if (!metrics.ok() || metrics->status != 200 || !metrics->body.is_array()) return;
  LeaderReports::Report report;
  for (const nlohmann::json& metric : metrics->body) {
    const std::string value = metric.value("value", "0");
    const int64_t number = std::strtoll(value.c_str(), nullptr, 10);
    if (metric.value("id", "") == "numberOfCompletedCheckpoints") report.completed = number;
    if (metric.value("id", "") == "numRestarts") report.restarts = number;
  }
  reports->by_epoch[leader->epoch] = report;
  auto checkpoints = cluster.RestGet(leader->index, "/jobs/" + jid + "/checkpoints");
  if (checkpoints.ok() && checkpoints->status == 200) {
    const nlohmann::json& completed = checkpoints->body["latest"]["completed"];
    if (completed.is_object()) {
      reports->latest_checkpoint =
          std::max(reports->latest_checkpoint, completed.value("id", int64_t{0}));
    }
  }
}

void KillTaskManager(LocalCluster& cluster, Clock::time_point start, LeaderReports* reports) {
  const double at_s = SecondsSince(start);
  PollLeader(cluster, reports);
  const std::string victim = cluster.BusyTaskManager();
  Status killed = cluster.KillAndReplaceTaskManager(victim);
  fmt::print("killed taskmanager {} at {:.1f} s after checkpoint {}\n", victim, at_s,
             reports->latest_checkpoint);
  std::fflush(stdout);
  if (!killed.ok()) PrintError(fmt::format("restarting {}: {}", victim, killed.message()));
}

// SIGKILLs the JobManager that leads (the one whose REST API answers /overview); its
// replacement starts kJobManagerReplacementDelayS later, after the lease has run out, so that a
// standby takes over. Returns the killed id, or nullopt, having killed nothing, if there is no
// leader to kill yet: none answers, or it has just exited on its own (the caller's next
// PollJobManagerExits reports that).
std::optional<std::string> KillLeaderJobManager(LocalCluster& cluster, Clock::time_point start,
                                                LeaderReports* reports) {
  PollLeader(cluster, reports);
  const std::optional<LocalCluster::Leader> leader = cluster.FindLeader();
  if (!leader) return std::nullopt;
  const double at_s = SecondsSince(start);
  Status killed = cluster.KillJobManager(leader->id);
  if (!killed.ok()) return std::nullopt;
  fmt::print("killed jobmanager {} (leader, epoch {}) at {:.1f} s; its replacement starts in {:g} s\n",
             leader->id, leader->epoch, at_s, kJobManagerReplacementDelayS);
  std::fflush(stdout);
  return leader->id;
}

// The kills asked for that have not happened yet.
struct PendingKills {
  bool taskmanager = false;
  bool jobmanager = false;
};

// What the "job finished" line begins with: "no kill: " if a kill asked for did not happen (naming
// which if both were asked for and one did happen), "" otherwise.
std::string_view NoKillPrefix(const ClusterCommands::Options& options,
                              const PendingKills& pending) {
  if (!pending.taskmanager && !pending.jobmanager) return "";
  const bool both_asked =
      options.kill_taskmanager_after_s >= 0 && options.kill_jobmanager_after_s >= 0;
  if (both_asked && pending.taskmanager != pending.jobmanager) {
    return pending.taskmanager ? "no taskmanager kill: " : "no jobmanager kill: ";
  }
  return "no kill: ";
}

// How the job ended: the JobManager exit that ended the wait and whether the job finished.
struct JobEnd {
  bool finished = false;  // that JobManager exited cleanly and etcd records FINISHED
  LocalCluster::JobManagerExit jobmanager;
};

// Whether a JobManager exit ends the job: it exited cleanly with the job FINISHED on etcd, the
// job is recorded FAILED, or no JobManager is left. Otherwise (a standby or a deposed leader
// exited while another may still lead) the job goes on.
std::optional<JobEnd> JobEndedBy(const LocalCluster& cluster,
                                 const LocalCluster::JobManagerExit& exit) {
  const std::optional<std::string> result = cluster.RecordedJobResult();
  const bool recorded_finished = result && FirstLine(*result) == "FINISHED";
  if (ExitedCleanly(exit.wait_status) && recorded_finished) return JobEnd{true, exit};
  if ((result && !recorded_finished) || cluster.RunningJobManagers() == 0) {
    return JobEnd{false, exit};
  }
  return std::nullopt;
}

// Waits until a JobManager exit ends the job (JobEndedBy), killing a TaskManager and/or the
// leading JobManager on the way if asked. kDeadlineExceeded when the timeout passed.
Result<JobEnd> WaitForJob(LocalCluster& cluster, const ClusterCommands::Options& options,
                          Clock::time_point start, LeaderReports* reports) {
  PendingKills pending{options.kill_taskmanager_after_s >= 0, options.kill_jobmanager_after_s >= 0};
  std::optional<std::string> killed_jobmanager;  // its replacement is still to start
  int64_t polls = 0;
  double replacement_due_s = 0;
  for (;;) {
    for (const LocalCluster::JobManagerExit& exit : cluster.PollJobManagerExits()) {
      std::optional<JobEnd> end = JobEndedBy(cluster, exit);
      if (end) {
        fmt::print("{}job {} at {:.1f} s\n", NoKillPrefix(options, pending),
                   end->finished ? "finished" : "ended", SecondsSince(start));
        return std::move(end).value();
      }
      PrintWarning(fmt::format("{} exited on its own ({}) before the job ended; see {}", exit.id,
                               DescribeWaitStatus(exit.wait_status), exit.log_path));
    }
    for (const std::string& message : cluster.PollUnexpectedExits()) PrintWarning(message);
    if (pending.taskmanager && SecondsSince(start) >= options.kill_taskmanager_after_s) {
      pending.taskmanager = false;
      KillTaskManager(cluster, start, reports);
    }
    if (pending.jobmanager && SecondsSince(start) >= options.kill_jobmanager_after_s) {
      killed_jobmanager = KillLeaderJobManager(cluster, start, reports);
      if (killed_jobmanager) {
        pending.jobmanager = false;
        replacement_due_s = SecondsSince(start) + kJobManagerReplacementDelayS;
      }
    }
    if (killed_jobmanager && SecondsSince(start) >= replacement_due_s) {
      Status started = cluster.StartJobManager(*killed_jobmanager);
      if (!started.ok()) PrintError(fmt::format("restarting {}: {}", *killed_jobmanager, started.message()));
      killed_jobmanager.reset();
    }
    if (SecondsSince(start) >= options.timeout_s) {
      return DeadlineExceededError(
          fmt::format("the job did not finish within {:g} s (--timeout)", options.timeout_s));
    }
    if (++polls % kPollsPerLeaderReport == 0) PollLeader(cluster, reports);
    SleepMs(kWaitPollMs);
  }
}

// Once the job has ended: gives the JobManagers still running (standbys) up to kStandbyExitWaitMs
// to find the recorded result and exit. If the job finished, warns about any that exits uncleanly
// (if it failed, they all exit with its failure).
void WaitForStandbys(LocalCluster& cluster, bool job_finished) {
  for (int64_t waited_ms = 0; cluster.RunningJobManagers() > 0 && waited_ms < kStandbyExitWaitMs;
       waited_ms += kWaitPollMs) {
    SleepMs(kWaitPollMs);
    for (const LocalCluster::JobManagerExit& exit : cluster.PollJobManagerExits()) {
      if (!job_finished || ExitedCleanly(exit.wait_status)) continue;
      PrintWarning(fmt::format("{} exited with {}; see {}", exit.id,
                               DescribeWaitStatus(exit.wait_status), exit.log_path));
    }
  }
}

// Checkpoints and restarts as the leaders' REST APIs last reported them, summed over the
// leaderships seen (a leader's job metrics count its own leadership only); with several
// JobManagers, also how many leaderships were seen.
void PrintJobManagerCounts(const LeaderReports& reports, int jobmanagers) {
  int64_t checkpoints = 0;
  int64_t restarts = 0;
  for (const auto& [epoch, report] : reports.by_epoch) {
    checkpoints += report.completed;
    restarts += report.restarts;
  }
  if (jobmanagers == 1) {
    fmt::print("jobmanager: checkpoints completed {}, restarts {}\n", checkpoints, restarts);
  } else {
    fmt::print("jobmanagers: checkpoints completed {}, restarts {}, leader elections {}\n",
               checkpoints, restarts, reports.by_epoch.size());
  }
}

// Copies the committed output into `output_dir` and checks it (JudgeCommittedOutput): word count
// with its own oracle, any other job (`graph` not null) against the reference evaluator over the
// two input splits. Returns whether it is exactly once.
bool CollectAndVerify(const std::string& committed_dir, const std::string& output_dir,
                      const std::string& input, const JobGraph* graph,
                      const Configuration& settings) {
  auto from_database = ReadDatabaseOutput(settings);
  if (!from_database.ok()) {
    PrintError(from_database.status().message());
    return false;
  }
  auto names = from_database->has_value() ? Result<std::vector<std::string>>(std::vector<std::string>{})
                                          : ListRegularFiles(committed_dir);
  if (!names.ok()) {
    PrintError(names.status().message());
    return false;
  }
  std::map<std::string, std::string> committed;
  if (from_database->has_value()) committed = std::move(**from_database);
  for (const std::string& name : names.value()) {
    auto text = ReadWholeFile(committed_dir + "/" + name);
    Status copied = text.ok() ? WriteWholeFile(output_dir + "/" + name, *text) : text.status();
    if (!copied.ok()) {
      PrintError(copied.message());
      return false;
    }
    committed[name] = std::move(text).value();
  }
  const size_t split = HalfwayLineBoundary(input);
  auto verdict =
      JudgeCommittedOutput(graph, {input.substr(0, split), input.substr(split)}, committed);
  if (!verdict.ok()) {
    PrintError(verdict.status().message());
    return false;
  }
  if (!committed.empty() && names->empty()) {
    fmt::print("output: {} records in table {} of the database\n", verdict->records,
               committed.begin()->first);
  } else if (graph != nullptr) {
    fmt::print("output: {} files in {}\n", names->size(), output_dir);
  } else {
    fmt::print("output: {} files, {} records in {}\n", names->size(), verdict->records,
               output_dir);
  }
  if (!verdict->exactly_once) {
    fmt::print("exactly once: FAILED: {}\n", verdict->problem);
  } else if (graph != nullptr) {
    fmt::print("exactly once: OK ({} records, as the reference evaluator)\n", verdict->records);
  } else {
    fmt::print("exactly once: OK ({} records)\n", verdict->records);
  }
  return verdict->exactly_once;
}

// The job as it will run: its effective settings and graph.
struct ValidatedJob {
  JobSpec spec;
  Configuration settings;
  JobGraph graph;
};

// Errors name the key, the job, an operator the output cannot be judged for, or the missing
// slots.
Result<ValidatedJob> ValidateOptions(const JobRegistry& jobs,
                                     const ClusterCommands::Options& options) {
  ASSIGN_OR_RETURN(JobSpec spec, ParseJobFlags(jobs, JobFlags{options.job, options.settings}));
  spec.input_splits = kSourceParallelism;
  ASSIGN_OR_RETURN(Configuration settings, jobs.EffectiveSettings(spec));
  ASSIGN_OR_RETURN(JobGraph graph, jobs.Build(spec));
  ASSIGN_OR_RETURN(std::vector<Chain> chains, BuildChains(graph));
  if (spec.job != "wordcount") {
    // Its committed output is judged against the reference evaluator.
    RETURN_IF_ERROR(scenarios::CheckReferenceSemantics(graph).WithContext("job '" + spec.job + "'"));
  }
  if (options.kill_jobmanager_after_s >= 0 && options.jobmanagers < 2) {
    return InvalidArgumentError(fmt::format(
        "--kill-jobmanager-after needs a standby JobManager to take over: use --jobmanagers 2 or "
        "more (got {})",
        options.jobmanagers));
  }
  // The JobManager shares slots between chains (per slot sharing group), so the job needs
  // SlotsRequired slots and waits (until --timeout) for them; better to say so up front.
  const int per_taskmanager = static_cast<int>(settings.GetInt(TaskManagerNumberOfTaskSlots()));
  const int slots = options.taskmanagers * per_taskmanager;
  const int needed = SlotsRequired(chains);
  if (slots < needed) {
    return InvalidArgumentError(fmt::format(
        "--taskmanagers {} offers {} slots; {} needs {} (slot sharing: its widest chain per slot "
        "sharing group; {} slots per TaskManager): use --taskmanagers {} or more",
        options.taskmanagers, slots, spec.job, needed, per_taskmanager,
        scenarios::TaskManagersFor(needed, per_taskmanager)));
  }
  RETURN_IF_ERROR(CreateDirectories(options.output_dir).WithContext("--output"));
  return ValidatedJob{std::move(spec), std::move(settings), std::move(graph)};
}

// Runs the cluster in `work_dir` and returns the exit code.
int RunInWorkDir(const ClusterCommands::Options& options, const ValidatedJob& job,
                 const std::string& input, const std::string& work_dir) {
  const Configuration& settings = job.settings;
  LocalClusterConfig config;
  config.work_dir = work_dir;
  config.jobmanagers = options.jobmanagers;
  config.taskmanagers = options.taskmanagers;
  config.slots_per_taskmanager = static_cast<int>(settings.GetInt(TaskManagerNumberOfTaskSlots()));
  config.input_splits = kSourceParallelism;
  config.job = options.job;
  config.settings = job.spec.settings;
  LocalCluster cluster(config);
  Status written = WritePartitions(cluster.InputDir(), input);
  if (!written.ok()) return FailedRun(written.message());
  const std::string jobmanagers =
      options.jobmanagers == 1 ? "jobmanager" : fmt::format("{} jobmanagers", options.jobmanagers);
  fmt::print("cluster: etcd, {} and {} taskmanagers on 127.0.0.1; work directory {}\n",
             jobmanagers, options.taskmanagers, work_dir);
  std::fflush(stdout);
  Status started = cluster.Start();
  if (!started.ok()) return FailedRun(started.message());

  LeaderReports reports;
  Result<JobEnd> end = WaitForJob(cluster, options, Clock::now(), &reports);
  if (end.ok()) WaitForStandbys(cluster, end->finished);
  cluster.StopAll();
  const bool finished = end.ok() && end->finished;
  if (!end.ok()) {
    PrintError(end.status().message());
  } else if (!finished) {
    const LocalCluster::JobManagerExit& exit = end->jobmanager;
    PrintError(
        ExitedCleanly(exit.wait_status)
            ? fmt::format("the job did not finish: {} exited cleanly, but no FINISHED job "
                          "result is recorded on etcd",
                          exit.id)
            : fmt::format("the job failed: {} {}", exit.id, DescribeWaitStatus(exit.wait_status)));
    PrintLogTail(exit.log_path);
  }
  PrintJobManagerCounts(reports, options.jobmanagers);
  const bool exactly_once =
      CollectAndVerify(cluster.OutputDir() + "/committed", options.output_dir, input,
                       options.job == "wordcount" ? nullptr : &job.graph, job.settings);
  return finished && exactly_once ? kExitOk : kExitFailed;
}

}  // namespace

size_t HalfwayLineBoundary(std::string_view text) {
  if (text.empty()) return 0;
  const size_t newline = text.find('\n', (text.size() - 1) / 2);
  return newline == std::string_view::npos ? text.size() : newline + 1;
}

ClusterCommands::ClusterCommands(CLI::App& root, const JobRegistry& jobs) : jobs_(jobs) {
  CLI::App* cluster = root.add_subcommand("cluster", "Run a job on real processes");
  cluster->require_subcommand(1);
  local_ = cluster->add_subcommand("local",
                                   "Run a job on etcd, JobManagers and N "
                                   "TaskManagers, all processes on 127.0.0.1");
  local_->add_option("job", options_.job, "The job to run (see `sluice jobs`)")
      ->required()
      ->type_name("JOB");
  local_
      ->add_option("-D", options_.settings,
                   "A job setting, Flink's key=value (repeatable), e.g. -D parallelism.default=3")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
  local_
      ->add_option("--taskmanagers", options_.taskmanagers, "TaskManager processes (2 slots each)")
      ->required()
      ->type_name("N")
      ->check(CLI::Range(1, kTaskManagersMax));
  local_
      ->add_option("--jobmanagers", options_.jobmanagers,
                   "JobManager processes (default 1); one leads, the others stand by")
      ->type_name("N")
      ->check(CLI::Range(1, kJobManagersMax));
  local_->add_option("--input", options_.input_path, "Input file (default: the fortunes corpus)")
      ->type_name("FILE");
  local_->add_option("--output", options_.output_dir, "Copy the committed output into DIR")
      ->required()
      ->type_name("DIR");
  local_
      ->add_option("--kill-taskmanager-after", options_.kill_taskmanager_after_s,
                   "SIGKILL a TaskManager running tasks (taskmanager-1 first) after SECONDS, "
                   "then start a replacement with the same id")
      ->type_name("SECONDS")
      ->check(NumberCheck(/*positive=*/false));
  local_
      ->add_option("--kill-jobmanager-after", options_.kill_jobmanager_after_s,
                   "SIGKILL the leading JobManager after SECONDS, then start a replacement with "
                   "the same id (needs --jobmanagers 2 or more)")
      ->type_name("SECONDS")
      ->check(NumberCheck(/*positive=*/false));
  local_
      ->add_option("--source-rate", options_.source_rate,
                   "Source records per second over all sources (default 0: unthrottled); the "
                   "same as -D source.rate-limit=RECORDS_PER_SECOND")
      ->type_name("RECORDS_PER_SECOND")
      ->check(NumberCheck(/*positive=*/false));
  local_
      ->add_option("--timeout", options_.timeout_s,
                   "Give up (exit 1) if the job runs longer than SECONDS (default 600)")
      ->type_name("SECONDS")
      ->check(NumberCheck(/*positive=*/true));
  local_->add_flag("--keep-work-dir", options_.keep_work_dir,
                   "Keep the work directory (input, output, checkpoints, logs) even when the run succeeds");
}

std::optional<int> ClusterCommands::RunParsed() const {
  if (local_->parsed()) return RunLocalCluster(jobs_, options_);
  return std::nullopt;
}

int RunLocalCluster(const JobRegistry& jobs, const ClusterCommands::Options& given) {
  ClusterCommands::Options options = given;
  if (options.source_rate > 0) {
    options.settings.push_back(fmt::format("{}={}", SourceRateLimit().key, options.source_rate));
  }
  auto job = ValidateOptions(jobs, options);
  if (!job.ok()) return UsageError(job.status().message());
  auto input = LoadJobInput(jobs, job->spec, options.input_path);
  if (!input.ok()) return UsageError(input.status().message());
  auto work_dir = MakeWorkDir();
  if (!work_dir.ok()) return FailedRun(work_dir.status().message());

  const int exit_code = RunInWorkDir(options, *job, input.value(), work_dir.value());
  if (exit_code == kExitOk && !options.keep_work_dir) {
    std::error_code error;
    std::filesystem::remove_all(work_dir.value(), error);
  } else {
    fmt::print("work directory kept: {}\n", work_dir.value());
  }
  return exit_code;
}

}  // namespace sluice::tools
