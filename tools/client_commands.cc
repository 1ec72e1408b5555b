#include "tools/client_commands.h"

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

#include "engine/config/process_options.h"
#include "tools/cli_common.h"
#include "tools/process_commands.h"

namespace sluice::tools {
namespace {

using nlohmann::json;

constexpr int kRequestTimeoutS = 5;
constexpr int64_t kPollIntervalMs = 100;

// The answer of one request: its status and JSON body (null if the body is not JSON).
struct Reply {
  int status = 0;
  json body;
};

// The REST API of one JobManager.
class RestClient {
 public:
  RestClient(const HostPort& address, std::string token)
      : client_(Unbracketed(address.host), address.port), token_(std::move(token)),
        name_(fmt::format("{}:{}", address.host, address.port)) {
    client_.set_connection_timeout(kRequestTimeoutS, 0);
    client_.set_read_timeout(kRequestTimeoutS, 0);
    client_.set_write_timeout(kRequestTimeoutS, 0);
  }

  // kUnavailable naming the JobManager when it does not answer.
  Result<Reply> Send(const std::string& method, const std::string& target,
                     const std::string& body = "") {
    httplib::Headers headers;
    if (!token_.empty()) headers.emplace("Authorization", "Bearer " + token_);
    httplib::Result result = method == "GET"     ? client_.Get(target, headers)
                             : method == "PATCH" ? client_.Patch(target, headers, body,
                                                                 "application/json")
                                                 : client_.Post(target, headers, body,
                                                                "application/json");
    if (!result) {
      return UnavailableError(fmt::format("the JobManager at {} did not answer {} {}: {}", name_,
                                          method, target, httplib::to_string(result.error())));
    }
    Reply reply;
    reply.status = result->status;
    reply.body = json::parse(result->body, nullptr, /*allow_exceptions=*/false);
    if (reply.body.is_discarded()) reply.body = json();
    return reply;
  }

  const std::string& name() const { return name_; }

 private:
  static std::string Unbracketed(const std::string& host) {
    return host.size() > 2 && host.front() == '[' && host.back() == ']'
               ? host.substr(1, host.size() - 2)
               : host;
  }

  httplib::Client client_;
  std::string token_;
  std::string name_;
};

// Flink's error body {"errors": [...]}, joined; the status code when there is none.
std::string ErrorText(const Reply& reply) {
  if (reply.body.is_object() && reply.body.contains("errors") && reply.body["errors"].is_array()) {
    std::string text;
    for (const json& error : reply.body["errors"]) {
      if (!error.is_string()) continue;
      text += (text.empty() ? "" : "; ") + error.get<std::string>();
    }
    if (!text.empty()) return text;
  }
  return fmt::format("HTTP {}", reply.status);
}

// A string member of `object`, or "" when absent or not a string.
std::string StringOf(const json& object, const char* name) {
  if (!object.is_object()) return "";
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

ClientCommands::ClientCommands(CLI::App& root) {
  const auto add_common = [this](CLI::App* command) {
    command
        ->add_option("--jobmanager", jobmanager_,
                     "The JobManagers' REST addresses (rest.address:rest.port), comma-separated: "
                     "the leader answers")
        ->required()
        ->type_name("HOST:PORT");
    command
        ->add_option("--secret-file", secret_file_,
                     "The cluster's shared secret (security.auth.secret-file), sent as a bearer "
                     "token")
        ->type_name("FILE");
  };
  run_ = root.add_subcommand("run", "Submit a job to a session cluster and wait for its end");
  add_common(run_);
  run_->add_option("job", job_, "The job (see `sluice jobs`)")->required();
  run_->add_option("-D", settings_, "A job setting, Flink's key=value (repeatable)")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
  run_->add_option("--input", input_dir_,
                   "The directory of the job's input files as every TaskManager sees it "
                   "(default input; relative to the current directory)")
      ->type_name("DIR");
  run_->add_option("--output", output_dir_,
                   "The directory the job's sink commits under, as every TaskManager sees it "
                   "(default output; relative to the current directory)")
      ->type_name("DIR");
  run_->add_option("--input-splits", input_splits_, "The number of input files")
      ->check(CLI::Range(1, 1024));
  run_->add_option("--from-savepoint,-s", savepoint_path_,
                   "Start from this savepoint: absolute, or relative to "
                   "execution.checkpointing.dir (as `sluice savepoint` prints it)")
      ->type_name("PATH");
  run_->add_option("--parallelism,-p", parallelism_, "The job's parallelism.default")
      ->check(CLI::Range(1, 32768));
  run_->add_flag("--detached,-d", detached_, "Return once the job is submitted");
  run_->add_option("--timeout", timeout_s_,
                   "Seconds to wait for the job's end (default 60; not with --detached)")
      ->check(CLI::PositiveNumber);
  list_ = root.add_subcommand("list", "List the jobs of a running cluster: JOBID STATE NAME");
  add_common(list_);
  // A command about one job: its id is the first argument.
  const auto add_job_command = [&](const char* name, const char* description) {
    CLI::App* command = root.add_subcommand(name, description);
    add_common(command);
    command->add_option("job", job_id_, "The job's id (see `sluice list`)")->required();
    return command;
  };
  cancel_ = add_job_command("cancel", "Cancel a running job (it ends CANCELED)");
  savepoint_ = add_job_command("savepoint", "Take a savepoint of a running job");
  savepoint_->add_option("directory", directory_,
                         "Where to write it, as the JobManager sees it: an absolute directory, or "
                         "one relative to execution.checkpointing.dir (default savepoints)");
  stop_ = add_job_command("stop", "Stop a running job with a savepoint (it ends FINISHED)");
  stop_->add_option("--savepoint", directory_,
                    "Where to write the savepoint, as the JobManager sees it: an absolute "
                    "directory, or one relative to execution.checkpointing.dir (default "
                    "savepoints)");
  for (CLI::App* command : {savepoint_, stop_}) {
    command->add_option("--timeout", timeout_s_, "Seconds to wait for the savepoint (default 60)")
        ->check(CLI::PositiveNumber);
  }
}

std::optional<int> ClientCommands::RunParsed() const {
  if (run_->parsed()) return Run();
  if (list_->parsed()) return List();
  if (cancel_->parsed()) return Cancel();
  if (savepoint_->parsed()) return Savepoint("savepoints");
  if (stop_->parsed()) return Savepoint("stop");
  return std::nullopt;
}

namespace {

// The REST APIs of every JobManager `--jobmanager` lists: a request goes to the one that
// answered last (the leader, once found), then to the next while one is a standby (503) or does
// not answer. Only the leader accepts a request, so none is carried out twice.
class JobManagersClient {
 public:
  explicit JobManagersClient(std::vector<std::unique_ptr<RestClient>> clients)
      : clients_(std::move(clients)) {}

  // The first answer that is not a standby's; else a standby's 503 (it names itself), else the
  // last JobManager's kUnavailable.
  Result<Reply> Send(const std::string& method, const std::string& target,
                     const std::string& body = "") {
    Result<Reply> answer = UnavailableError("no JobManager to ask");
    for (size_t i = 0; i < clients_.size(); ++i) {
      const size_t index = (leader_ + i) % clients_.size();
      Result<Reply> reply = clients_[index]->Send(method, target, body);
      if (reply.ok() && reply->status != 503) {
        leader_ = index;
        return reply;
      }
      if (reply.ok() || !answer.ok()) answer = std::move(reply);
    }
    return answer;
  }
  // The JobManager that answered last.
  const std::string& name() const { return clients_[leader_]->name(); }

 private:
  std::vector<std::unique_ptr<RestClient>> clients_;
  size_t leader_ = 0;
};

// The REST clients of `jobmanagers` (HOST:PORT, comma-separated) with the secret of
// `secret_file`; kInvalidArgument naming the option for a bad address, the secret file's errors
// as ReadAuthSecret.
Result<std::unique_ptr<JobManagersClient>> Connect(const std::string& jobmanagers,
                                                   const std::string& secret_file) {
  std::string token;
  if (!secret_file.empty()) {
    ASSIGN_OR_RETURN(token, ReadAuthSecret(secret_file));
  }
  std::vector<std::unique_ptr<RestClient>> clients;
  for (size_t start = 0; start <= jobmanagers.size();) {
    const size_t end = std::min(jobmanagers.find(',', start), jobmanagers.size());
    ASSIGN_OR_RETURN(HostPort address,
                     ParseHostPort(jobmanagers.substr(start, end - start), "--jobmanager"));
    clients.push_back(std::make_unique<RestClient>(address, token));
    start = end + 1;
  }
  return std::make_unique<JobManagersClient>(std::move(clients));
}

}  // namespace

int ClientCommands::Run() const {
  auto rest = Connect(jobmanager_, secret_file_);
  if (!rest.ok()) return UsageError(rest.status().message());
  json settings = json::object();
  for (const std::string& setting : settings_) {
    const size_t equals = setting.find('=');
    if (equals == std::string::npos || equals == 0) {
      return UsageError(fmt::format("-D '{}': expected KEY=VALUE", setting));
    }
    settings[setting.substr(0, equals)] = setting.substr(equals + 1);
  }
  // Directories as every host sees them: absolute (relative ones against this directory).
  const auto absolute = [](const std::string& dir) {
    std::error_code error;
    const std::filesystem::path path = std::filesystem::absolute(dir, error);
    return error ? dir : path.lexically_normal().string();
  };
  json body{{"job", job_},
            {"flinkConfiguration", settings},
            {"input", absolute(input_dir_.empty() ? "input" : input_dir_)},
            {"output", absolute(output_dir_.empty() ? "output" : output_dir_)}};
  if (input_splits_ > 0) body["inputSplits"] = input_splits_;
  if (parallelism_ > 0) body["parallelism"] = parallelism_;
  if (!savepoint_path_.empty()) body["savepointPath"] = savepoint_path_;
  // A leader between two jobs' leaderships answers 503 for a moment: try again a while.
  Result<Reply> submitted = UnavailableError("not sent");
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(kRequestTimeoutS);
  for (;;) {
    submitted = (*rest)->Send("POST", "/jobs", body.dump());
    if (!submitted.ok()) return UsageError(submitted.status().message());
    if (submitted->status != 503 || std::chrono::steady_clock::now() > give_up) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(kPollIntervalMs));
  }
  const std::string id = StringOf(submitted->body, "jobid");
  if (submitted->status != 202 || id.empty()) {
    PrintError(fmt::format("{}: submitting {}: {}", (*rest)->name(), job_, ErrorText(*submitted)));
    return submitted->status == 400 ? kExitUsage : kExitFailed;
  }
  fmt::print("Job has been submitted with JobID {}\n", id);
  std::fflush(stdout);
  if (detached_) return kExitOk;
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<int64_t>(timeout_s_ * 1000));
  std::string last_state;
  while (std::chrono::steady_clock::now() < deadline) {
    auto job = (*rest)->Send("GET", "/jobs/" + id);
    if (job.ok() && job->status == 200) {
      last_state = StringOf(job->body, "state");
      if (last_state == "FINISHED") {
        fmt::print("Job {} FINISHED\n", id);
        return kExitOk;
      }
      if (last_state == "FAILED" || last_state == "CANCELED") {
        auto exceptions = (*rest)->Send("GET", "/jobs/" + id + "/exceptions");
        const std::string cause = exceptions.ok() && exceptions->status == 200
                                      ? StringOf(exceptions->body, "root-exception")
                                      : "";
        PrintError(fmt::format("job {} ended {}{}", id, last_state,
                               cause.empty() ? "" : ": " + cause));
        return kExitFailed;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(kPollIntervalMs));
  }
  PrintError(fmt::format("job {} did not end within {:g} s (last seen {}); it goes on running",
                         id, timeout_s_, last_state.empty() ? "unknown" : last_state));
  return kExitFailed;
}

int ClientCommands::List() const {
  auto rest = Connect(jobmanager_, secret_file_);
  if (!rest.ok()) return UsageError(rest.status().message());
  auto jobs = (*rest)->Send("GET", "/jobs");
  if (!jobs.ok()) return UsageError(jobs.status().message());
  if (jobs->status != 200) {
    PrintError(fmt::format("{}: {}", (*rest)->name(), ErrorText(*jobs)));
    return kExitFailed;
  }
  const json& list = jobs->body.is_object() ? jobs->body["jobs"] : json();
  if (!list.is_array()) {
    PrintError(fmt::format("{}: GET /jobs answered no job list", (*rest)->name()));
    return kExitFailed;
  }
  for (const json& job : list) {
    const std::string id = StringOf(job, "id");
    auto detail = (*rest)->Send("GET", "/jobs/" + id);
    const std::string name =
        detail.ok() && detail->status == 200 ? StringOf(detail->body, "name") : "";
    fmt::print("{}  {}  {}\n", id, StringOf(job, "status"), name);
  }
  return kExitOk;
}

int ClientCommands::Cancel() const {
  auto rest = Connect(jobmanager_, secret_file_);
  if (!rest.ok()) return UsageError(rest.status().message());
  auto reply = (*rest)->Send("PATCH", "/jobs/" + job_id_ + "?mode=cancel");
  if (!reply.ok()) return UsageError(reply.status().message());
  if (reply->status != 202) {
    PrintError(fmt::format("{}: cancelling {}: {}", (*rest)->name(), job_id_, ErrorText(*reply)));
    return kExitFailed;
  }
  fmt::print("cancelling job {}: requested\n", job_id_);
  return kExitOk;
}

int ClientCommands::Savepoint(const std::string& action) const {
  auto rest = Connect(jobmanager_, secret_file_);
  if (!rest.ok()) return UsageError(rest.status().message());
  const std::string job = "/jobs/" + job_id_;
  json body = action == "stop" ? json{{"drain", false}} : json{{"cancel-job", false}};
  // Flink's names for the target directory of each request.
  if (!directory_.empty()) {
    body[action == "stop" ? "targetDirectory" : "target-directory"] = directory_;
  }
  auto triggered = (*rest)->Send("POST", job + "/" + action, body.dump());
  if (!triggered.ok()) return UsageError(triggered.status().message());
  const std::string request = StringOf(triggered->body, "request-id");
  if (triggered->status != 202 || request.empty()) {
    PrintError(fmt::format("{}: {} {}: {}", (*rest)->name(), action == "stop" ? "stopping" :
                           "a savepoint of", job_id_, ErrorText(*triggered)));
    return kExitFailed;
  }
  fmt::print("{} of job {}: request {}\n", action == "stop" ? "stop-with-savepoint" : "savepoint",
             job_id_, request);
  std::fflush(stdout);
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<int64_t>(timeout_s_ * 1000));
  while (std::chrono::steady_clock::now() < deadline) {
    auto status = (*rest)->Send("GET", job + "/savepoints/" + request);
    if (status.ok() && status->status == 200) {
      const json& body = status->body;
      const std::string id = body.is_object() && body.contains("status")
                                 ? StringOf(body["status"], "id")
                                 : "";
      const json operation = body.is_object() && body.contains("operation") ? body["operation"]
                                                                            : json();
      if (id == "COMPLETED" && operation.is_object() && operation.contains("location")) {
        fmt::print("savepoint completed: {}\n", StringOf(operation, "location"));
        return kExitOk;
      }
      if (id == "COMPLETED") {
        const json& cause = operation.is_object() ? operation["failure-cause"] : json();
        PrintError(fmt::format("the savepoint failed: {}", StringOf(cause, "stack-trace")));
        return kExitFailed;
      }
    }
    // A stop ends the job: in application mode the JobManager then exits, and a request it can
    // no longer answer is one whose outcome this command cannot learn.
    if (!status.ok()) {
      PrintError(fmt::format("{}; the savepoint's outcome is unknown", status.status().message()));
      return kExitFailed;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(kPollIntervalMs));
  }
  PrintError(fmt::format("the savepoint did not complete within {:g} s", timeout_s_));
  return kExitFailed;
}

}  // namespace sluice::tools
