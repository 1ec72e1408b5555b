// `sluice internal store|jobmanager|taskmanager ...`: hidden subcommands that `sluice cluster
// local` starts as child processes (copies of the same program, so they have its jobs). Each
// builds its config from flags, constructs a RealRuntime
// (one host, one thread) and runs the host program until it returns or the process is killed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/api/job_registry.h"
#include "tools/job_options.h"

namespace CLI {
class App;
}  // namespace CLI

namespace sluice::tools {

class InternalCommands {
 public:
  // `jobs` (the program's job registry) must outlive this object.
  InternalCommands(CLI::App& root, const JobRegistry& jobs);
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
  int rest_port_ = 8081;  // jobmanager: its REST API port (rest.port), -1 for none
  int store_port_ = 0;
  std::vector<int> jobmanager_ports_;  // every JobManager that may lead
  int data_port_ = 0;
  std::string id_;  // TaskManager id, or JobManager candidate id
  int slots_ = 2;
  std::vector<std::string> taskmanager_settings_;  // taskmanager's -D key=value
  const JobRegistry& jobs_;
  JobFlags job_;
  int input_splits_ = 2;
  int min_taskmanagers_ = 1;
};

}  // namespace sluice::tools
