#include "tools/sim_report.h"

#include <fmt/core.h>

#include <map>
#include <nlohmann/json.hpp>
#include <utility>

#include "engine/base/checksum.h"

#include "tools/build_info.h"
#include "tools/cli_common.h"
#include "tools/fault_schedule.h"
#include "tools/job_options.h"

namespace sluice::tools {
namespace {

using scenarios::FaultRecord;
using scenarios::ScenarioResult;
using Json = nlohmann::json;

constexpr char kIndent[] = "             ";  // continuation lines of a summary value (13 columns)

// `text` with every line after the first indented by `indent`.
std::string IndentLines(std::string_view text, std::string_view indent) {
  std::string indented;
  for (char c : text) {
    indented.push_back(c);
    if (c == '\n') indented += indent;
  }
  while (!indented.empty() && (indented.back() == ' ' || indented.back() == '\n')) {
    indented.pop_back();
  }
  return indented;
}

std::string ScheduleSource(const RunSpec& spec) {
  return spec.faults_path.empty() ? "drawn from the seed" : "replayed from " + spec.faults_path;
}

std::string FaultLines(const std::vector<FaultRecord>& faults, std::string_view indent) {
  std::string lines;
  for (const FaultRecord& fault : faults)
    lines += fmt::format("{}{}\n", indent, DescribeFault(fault));
  return lines;
}

std::string FaultPointsText(const std::map<std::string, uint64_t>& fired) {
  if (fired.empty()) return "(none fired)";
  std::string text;
  for (const auto& [name, count] : fired) {
    text += fmt::format("{}{}={}", text.empty() ? "" : " ", name, count);
  }
  return text;
}

Result<uint64_t> ParseHex64(const std::string& text) {
  if (text.empty() || text.size() > 16)
    return InvalidArgumentError("trace_hash: not 16 hex digits");
  uint64_t value = 0;
  for (char c : text) {
    int digit = -1;
    if (c >= '0' && c <= '9') digit = c - '0';
    if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    if (digit < 0) return InvalidArgumentError("trace_hash: not lowercase hex: " + text);
    value = value << 4 | static_cast<uint64_t>(digit);
  }
  return value;
}

// Fills `result` from a RunJson object; throws nlohmann::json exceptions on a missing or mistyped
// field (the caller catches them).
void FillResult(const Json& json, ScenarioResult& result) {
  result.scenario = json.at("scenario").get<std::string>();
  result.seed = json.at("seed").get<uint64_t>();
  const std::string verdict = json.at("verdict").get<std::string>();
  result.pass = verdict == "pass" || verdict == "failed_cleanly";
  result.failed_cleanly = verdict == "failed_cleanly";
  result.beyond_budget = json.at("beyond_budget").get<std::string>();
  result.failure = json.at("failure").get<std::string>();
  result.simulated_ms = json.at("simulated_ms").get<int64_t>();
  result.checkpoints_completed = json.at("checkpoints_completed").get<int64_t>();
  result.restarts = json.at("restarts").get<int64_t>();
  for (const Json& failover : json.at("failovers")) {
    result.failovers.push_back(scenarios::FailoverRecord{
        .at_ms = failover.at("at_ms").get<int64_t>(),
        .epoch = failover.at("epoch").get<int64_t>(),
        .cause = failover.at("cause").get<std::string>(),
        .restart = failover.at("restart").get<bool>(),
        .delay_ms = failover.at("delay_ms").get<int64_t>(),
        .tasks = failover.at("tasks").get<int64_t>(),
        .moved = failover.at("moved").get<int64_t>(),
        .local_bytes = failover.at("local_bytes").get<int64_t>(),
        .remote_bytes = failover.at("remote_bytes").get<int64_t>()});
  }
  for (const Json& checkpoint : json.at("checkpoints")) {
    result.checkpoints.push_back(scenarios::CheckpointRecord{
        .id = checkpoint.at("id").get<int64_t>(),
        .at_ms = checkpoint.at("at_ms").get<int64_t>(),
        .full_bytes = checkpoint.at("full_bytes").get<int64_t>(),
        .incremental_bytes = checkpoint.at("incremental_bytes").get<int64_t>()});
  }
  if (json.contains("tasks")) {  // reports written before the field have none
    for (const Json& task : json.at("tasks")) {
      result.task_times.push_back(scenarios::TaskTimesRecord{
          .chain = task.at("chain").get<int>(),
          .subtask = task.at("subtask").get<int>(),
          .busy_ms = task.at("busy_ms").get<int64_t>(),
          .idle_ms = task.at("idle_ms").get<int64_t>(),
          .backpressured_ms = task.at("backpressured_ms").get<int64_t>()});
    }
  }
  result.records_in = json.at("records_in").get<int64_t>();
  result.records_out = json.at("records_out").get<int64_t>();
  const Json& job = json.at("job");
  result.job_settings = job.at("settings").get<std::map<std::string, std::string>>();
  for (const Json& op : job.at("operators")) {
    result.operators.push_back(
        {op.at("name").get<std::string>(), op.at("parallelism").get<int>()});
  }
  result.config = json.at("config").get<std::map<std::string, std::string>>();
  result.fault_points_fired = json.at("fault_points_fired").get<std::map<std::string, uint64_t>>();
  for (const auto& [category, count] : json.at("events").items()) {
    result.events.emplace(category, count.get<uint64_t>());
  }
}

}  // namespace

std::string ReproCommand(const RunSpec& spec, uint64_t seed) {
  std::string command = fmt::format("{} sim run {} --seed {}", ShellQuote(spec.program),
                                    ShellQuote(spec.scenario), seed);
  command += JobFlagsText(spec.job, spec.settings);
  if (!spec.plant_bug.empty()) command += " --plant-bug " + ShellQuote(spec.plant_bug);
  if (!spec.input_path.empty()) command += " --input " + ShellQuote(spec.input_path);
  if (!spec.faults_path.empty()) command += " --faults " + ShellQuote(spec.faults_path);
  return command;
}

std::string TraceHashHex(uint64_t hash) { return fmt::format("{:016x}", hash); }

std::string InputFingerprint(std::string_view input) { return TraceHashHex(Checksum64(input)); }

namespace {

// Every failure the restart strategy judged: when, by which leadership, why, whether and after
// how long the job restarted, and how many tasks restarted.
Json FailoversJson(const std::vector<scenarios::FailoverRecord>& failovers) {
  Json list = Json::array();
  for (const scenarios::FailoverRecord& failover : failovers) {
    list.push_back({{"at_ms", failover.at_ms},
                    {"epoch", failover.epoch},
                    {"cause", failover.cause},
                    {"restart", failover.restart},
                    {"delay_ms", failover.delay_ms},
                    {"tasks", failover.tasks},
                    {"moved", failover.moved},
                    {"local_bytes", failover.local_bytes},
                    {"remote_bytes", failover.remote_bytes}});
  }
  return list;
}

// Every checkpoint completed: its id, when, and its full and incremental size in bytes.
Json CheckpointsJson(const std::vector<scenarios::CheckpointRecord>& checkpoints) {
  Json list = Json::array();
  for (const scenarios::CheckpointRecord& checkpoint : checkpoints) {
    list.push_back({{"id", checkpoint.id},
                    {"at_ms", checkpoint.at_ms},
                    {"full_bytes", checkpoint.full_bytes},
                    {"incremental_bytes", checkpoint.incremental_bytes}});
  }
  return list;
}

// Every task that reached its end of input: its busy, idle and backpressured time (ms).
Json TaskTimesJson(const std::vector<scenarios::TaskTimesRecord>& tasks) {
  Json list = Json::array();
  for (const scenarios::TaskTimesRecord& task : tasks) {
    list.push_back({{"chain", task.chain},
                    {"subtask", task.subtask},
                    {"busy_ms", task.busy_ms},
                    {"idle_ms", task.idle_ms},
                    {"backpressured_ms", task.backpressured_ms}});
  }
  return list;
}

// Per chain, summed over its tasks: "chain 0 busy/idle/backpressured 10/3000/250 ms, chain 1 …".
std::string TaskTimesText(const std::vector<scenarios::TaskTimesRecord>& tasks) {
  std::map<int, scenarios::TaskTimesRecord> per_chain;
  for (const scenarios::TaskTimesRecord& task : tasks) {
    scenarios::TaskTimesRecord& sum = per_chain[task.chain];
    sum.busy_ms += task.busy_ms;
    sum.idle_ms += task.idle_ms;
    sum.backpressured_ms += task.backpressured_ms;
  }
  std::string text;
  for (const auto& [chain, sum] : per_chain) {
    text += fmt::format("{}chain {} {}/{}/{}", text.empty() ? "" : ", ", chain, sum.busy_ms,
                        sum.idle_ms, sum.backpressured_ms);
  }
  return text.empty() ? "none reached their end of input" : text + " ms busy/idle/backpressured";
}

Json JobJson(const RunSpec& spec, const ScenarioResult& result) {
  Json operators = Json::array();
  for (const scenarios::OperatorInfo& op : result.operators) {
    operators.push_back({{"name", op.name}, {"parallelism", op.parallelism}});
  }
  return {{"name", spec.job}, {"settings", result.job_settings}, {"operators", operators}};
}

// "wordcount  parallelism.default=3 ..  operators Source(2) -> ..." for the text reports.
std::string JobText(const RunSpec& spec, const ScenarioResult& result) {
  std::string text = spec.job;
  if (!result.job_settings.empty()) text += "  " + ConfigText(result.job_settings);
  std::string operators;
  for (const scenarios::OperatorInfo& op : result.operators) {
    operators += fmt::format("{}{}({})", operators.empty() ? "" : ", ", op.name, op.parallelism);
  }
  if (!operators.empty()) text += "  operators " + operators;
  return text;
}

}  // namespace

std::string ConfigText(const std::map<std::string, std::string>& config) {
  if (config.empty()) return "(none reported)";
  std::string text;
  for (const auto& [key, value] : config) {
    text += fmt::format("{}{}={}", text.empty() ? "" : " ", key, value);
  }
  return text;
}

std::string_view Verdict(const ScenarioResult& result) {
  if (!result.pass) return "fail";
  return result.failed_cleanly ? "failed_cleanly" : "pass";
}

std::string RunJson(const RunSpec& spec, const RunOutcome& outcome,
                    std::optional<bool> deterministic) {
  const ScenarioResult& result = outcome.result;
  const BuildInfo& build = ThisBuild();
  Json json = {
      {"scenario", spec.scenario},
      {"seed", result.seed},
      {"job", JobJson(spec, result)},
      {"input_xxh64", spec.input_xxh64},
      {"verdict", Verdict(result)},
      {"trace_hash", TraceHashHex(result.trace_hash)},
      {"simulated_ms", result.simulated_ms},
      {"wall_ms", outcome.wall_ms},
      {"faults", FaultsToJson(result.faults)},
      {"config", result.config},
      {"fault_points_fired", result.fault_points_fired},
      {"events", Json(result.events)},
      {"checkpoints_completed", result.checkpoints_completed},
      {"restarts", result.restarts},
      {"failovers", FailoversJson(result.failovers)},
      {"checkpoints", CheckpointsJson(result.checkpoints)},
      {"tasks", TaskTimesJson(result.task_times)},
      {"records_in", result.records_in},
      {"records_out", result.records_out},
      {"failure", result.pass ? std::string() : result.failure},
      {"beyond_budget", result.beyond_budget},
      {"plant_bug", spec.plant_bug},
      {"build",
       {{"commit", build.git_commit}, {"compiler", build.compiler}, {"type", build.build_type}}},
  };
  if (deterministic.has_value()) json["deterministic"] = *deterministic;
  // Failure texts may quote input bytes that are not UTF-8; replace them rather than throw.
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Result<RunOutcome> ParseRunJson(std::string_view line) {
  const Json json = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return InvalidArgumentError("not a JSON object: " + std::string(line.substr(0, 200)));
  }
  RunOutcome outcome;
  std::string trace_hash;
  try {
    FillResult(json, outcome.result);
    outcome.wall_ms = json.at("wall_ms").get<int64_t>();
    trace_hash = json.at("trace_hash").get<std::string>();
    ASSIGN_OR_RETURN(outcome.result.faults, FaultsFromJson(json.at("faults")));
  } catch (const Json::exception& error) {
    return InvalidArgumentError(fmt::format("bad run result: {}", error.what()));
  }
  ASSIGN_OR_RETURN(outcome.result.trace_hash, ParseHex64(trace_hash));
  return outcome;
}

std::string FailureReport(const RunSpec& spec, const RunOutcome& outcome) {
  const ScenarioResult& result = outcome.result;
  constexpr char kReportIndent[] = "              ";  // "  " + 12 columns of label
  std::string report = fmt::format("FAIL {} seed {} (trace {}): {}\n", spec.scenario, result.seed,
                                   TraceHashHex(result.trace_hash), FirstLine(result.failure));
  report += fmt::format("  scenario    {}\n", spec.scenario);
  report += fmt::format("  seed        {}\n", result.seed);
  report += fmt::format("  build       {}\n", DescribeBuild(ThisBuild()));
  if (!spec.plant_bug.empty()) report += fmt::format("  planted bug {}\n", spec.plant_bug);
  report += fmt::format("  job         {}\n", JobText(spec, result));
  report += fmt::format("  input       xxh64 {}\n", spec.input_xxh64);
  report += fmt::format("  config      {}\n", ConfigText(result.config));
  report += fmt::format("  faults      {} ({})\n", result.faults.size(), ScheduleSource(spec));
  report += FaultLines(result.faults, kReportIndent);
  report += fmt::format("  failure     {}\n", IndentLines(result.failure, kReportIndent));
  report += fmt::format("  repro       {}\n", ReproCommand(spec, result.seed));
  return report;
}

std::string RunSummary(const RunSpec& spec, const RunOutcome& outcome) {
  const ScenarioResult& result = outcome.result;
  std::string text;
  text += fmt::format("scenario     {}\n", spec.scenario);
  text += fmt::format("verdict      {}\n", !result.pass           ? "FAIL"
                                           : result.failed_cleanly ? "FAILED CLEANLY (a pass)"
                                                                   : "PASS");
  text += fmt::format("seed         {}\n", result.seed);
  text += fmt::format("build        {}\n", DescribeBuild(ThisBuild()));
  if (!spec.plant_bug.empty()) text += fmt::format("planted bug  {}\n", spec.plant_bug);
  text += fmt::format("job          {}\n", JobText(spec, result));
  text += fmt::format("input        xxh64 {}\n", spec.input_xxh64);
  text += fmt::format("config       {}\n", ConfigText(result.config));
  text += fmt::format("trace hash   {}\n", TraceHashHex(result.trace_hash));
  text += fmt::format("time         {} ms simulated, {} ms wall\n", result.simulated_ms,
                      outcome.wall_ms);
  text += fmt::format("faults       {} ({})\n", result.faults.size(), ScheduleSource(spec));
  text += FaultLines(result.faults, "  ");
  text += fmt::format("fault points {}\n", FaultPointsText(result.fault_points_fired));
  text += fmt::format("checkpoints  {} completed\n", result.checkpoints_completed);
  text += fmt::format("restarts     {}\n", result.restarts);
  text += fmt::format("records      {} in, {} out\n", result.records_in, result.records_out);
  text += fmt::format("task times   {}\n", TaskTimesText(result.task_times));
  if (!result.beyond_budget.empty()) {
    text += fmt::format("beyond budget {}\n", IndentLines(result.beyond_budget, kIndent));
  }
  if (!result.pass) {
    text += fmt::format("failure      {}\n", IndentLines(result.failure, kIndent));
    text += fmt::format("repro        {}\n", ReproCommand(spec, result.seed));
  }
  return text;
}

}  // namespace sluice::tools
