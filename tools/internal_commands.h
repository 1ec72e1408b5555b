// `sluice internal store|jobmanager|taskmanager ...`: hidden subcommands that `sluice cluster
// local` starts as child processes. Each builds its config from flags, constructs a RealRuntime
// (one host, one thread) and runs the host program until it returns or the process is killed.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}  // namespace CLI

namespace sluice::tools {

class InternalCommands {
 public:
  explicit InternalCommands(CLI::App& root);
  InternalCommands(const InternalCommands&) = delete;
  InternalCommands& operator=(const InternalCommands&) = delete;

  // After parsing: the exit code of the `internal` subcommand given, or nullopt if none was.
  std::optional<int> RunParsed() const;

 private:
  int RunStore() const;
  int RunJobManagerProcess() const;
  int RunTaskManagerProcess() const;

  CLI::App* store_ = nullptr;
  CLI::App* jobmanager_ = nullptr;
  CLI::App* taskmanager_ = nullptr;
  std::string root_dir_;  // the runtime's root directory
  int port_ = 0;          // store or jobmanager listening port
  int store_port_ = 0;
  std::vector<int> jobmanager_ports_;  // every JobManager that may lead
  int data_port_ = 0;
  std::string id_;  // TaskManager id, or JobManager candidate id
  int slots_ = 2;
  int source_parallelism_ = 2;
  int parallelism_ = 4;
  int min_taskmanagers_ = 1;
  int64_t source_rate_ = 0;
};

}  // namespace sluice::tools
