// The client commands of a running cluster, as Flink's CLI has them (`flink list`, `flink cancel`,
// `flink savepoint`, `flink stop`), against the leading JobManager's REST API
// (engine/jobmanager/rest_api.h) at `--jobmanager HOST:PORT` (rest.address:rest.port):
//   sluice run JOB   --jobmanager HOST:PORT [-D K=V]... [--input DIR] [--output DIR]
//                    [--input-splits N] [--from-savepoint PATH] [--parallelism N] [--detached]
//                                                           POST /jobs to a session cluster
//                                                           (engine/jobmanager/dispatcher.h),
//                                                           prints the job id, then (unless
//                                                           --detached) waits for the job's end:
//                                                           exit 0 FINISHED, 1 FAILED/CANCELED
//   sluice list      --jobmanager HOST:PORT                 JOBID  STATE  NAME, one line per job
//   sluice cancel    JOBID --jobmanager HOST:PORT           PATCH /jobs/JOBID?mode=cancel
//   sluice savepoint JOBID --jobmanager HOST:PORT           POST /jobs/JOBID/savepoints, then
//                                                           polls until it completes or fails
//   sluice stop      JOBID --jobmanager HOST:PORT           stop-with-savepoint, the same way
// With `--secret-file FILE` each request carries the cluster's secret as a bearer token (a REST
// port not bound to loopback wants it). `--jobmanager` may list every JobManager
// (HOST:PORT,HOST:PORT): each request goes to the leader, found by asking them in turn (a standby
// answers 503; when all do, the error names one). Exit 0 on success, 1 when the JobManager refuses or the savepoint fails or does not
// complete within `--timeout` seconds, 2 for bad usage or an unreachable JobManager.
// A savepoint goes to DIR/savepoint-<checkpoint id> (DIR or `--savepoint DIR` as the JobManager's
// file system names it: absolute, or relative to execution.checkpointing.dir; default savepoints).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}  // namespace CLI

namespace sluice::tools {

class ClientCommands {
 public:
  explicit ClientCommands(CLI::App& root);
  ClientCommands(const ClientCommands&) = delete;
  ClientCommands& operator=(const ClientCommands&) = delete;

  // After parsing: the exit code of the command given, or nullopt if none was.
  std::optional<int> RunParsed() const;

 private:
  int Run() const;
  int List() const;
  int Cancel() const;
  // POST `action` ("savepoints" or "stop") for job_id_, then polls the request's status.
  int Savepoint(const std::string& action) const;

  CLI::App* run_ = nullptr;
  CLI::App* list_ = nullptr;
  CLI::App* cancel_ = nullptr;
  CLI::App* savepoint_ = nullptr;
  CLI::App* stop_ = nullptr;
  std::string jobmanager_;   // HOST:PORT of the REST API
  std::string secret_file_;  // "" = no bearer token
  std::string job_id_;
  std::string directory_;    // savepoint DIR / stop --savepoint DIR (refused for now)
  double timeout_s_ = 60;
  // sluice run's job and its arguments.
  std::string job_;
  std::vector<std::string> settings_;  // -D KEY=VALUE
  std::string input_dir_;
  std::string output_dir_;
  int input_splits_ = 0;      // 0: the JobManager's default
  std::string savepoint_path_;
  int parallelism_ = 0;       // 0: the job's parallelism.default
  bool detached_ = false;
};

}  // namespace sluice::tools
