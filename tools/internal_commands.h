// `sluice internal store ...`: the hidden subcommand that `sluice cluster local` starts as the
// store server process (input, output, checkpoints and the JobManagers' election records on one
// machine; execution.checkpointing.dir and etcd replace it on real clusters: issue 10). It
// builds one RealRuntime (one host, one thread) and serves until killed. The JobManager and
// TaskManager processes are public commands (tools/process_commands.h).
#pragma once

#include <optional>
#include <string>

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

  CLI::App* store_ = nullptr;
  std::string root_dir_;  // the runtime's root directory
  int port_ = 0;          // listening port
  std::string bind_host_ = "localhost";
  std::string auth_secret_file_;  // "": no authentication
};

}  // namespace sluice::tools
