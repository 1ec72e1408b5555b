// `sluice jobmanager --config FILE` and `sluice taskmanager --config FILE`: the long-running
// processes of a cluster on real hosts, configured as Flink's are: a TOML file of Flink keys
// (engine/config/config_file.h; the process keys in engine/config/process_options.h, and the
// job settings of engine/config/core_options.h and the jobs' own, which a JobManager passes on
// to its job), then `-D key=value` overrides. One file may serve every process of the cluster.
//
// The JobManager runs one job in application mode (Flink's standalone application cluster:
// `--job JOB`, the program's jobs being compiled in); several JobManagers with the same etcd
// (high-availability.etcd.endpoints) elect a leader and stand by. A bad config (unreadable file, TOML syntax, unknown key, bad
// value, a missing process.working-dir) exits 2 naming the file, the line and the key. With
// `--check` the process validates its configuration as it would start with it and exits (0 if
// valid) without creating its directory or reading the secret file (deploy/ uses it).
// Otherwise each builds one RealRuntime (one host, one thread) rooted at process.working-dir
// and runs until the host program returns (exit 0 when the job finished or was cancelled, 1 when
// it failed) or the process is killed.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/api/job_registry.h"
#include "engine/base/status.h"
#include "engine/config/configuration.h"
#include "engine/jobmanager/job_manager.h"
#include "engine/runtime/host.h"
#include "engine/runtime/network.h"

namespace CLI {
class App;
}  // namespace CLI

namespace sluice::tools {

// Runs `program` on a fresh real host named `name` rooted at `root_dir`: exit 0 if it returned
// OK, 1 (with the status on stderr) otherwise. Blocks.
// `auth_secret` non-empty: every Sluice connection of the host is authenticated with it
// (engine/rpc/authenticated_network.h).
int RunRealHost(const std::string& name, const std::string& root_dir,
                std::function<Status(Host&)> program, const std::string& auth_secret = "");

// The shared secret in `path` (security.auth.secret-file), without a trailing newline:
// kNotFound / kIoError naming the file; kInvalidArgument if it holds under 16 bytes.
Result<std::string> ReadAuthSecret(const std::string& path);

// The settings of config file `path` overlaid with `overrides` ("key=value"), each key checked
// against the process options and the job settings `jobs` know: kInvalidArgument naming the
// file and line (or "-D") and the key; kNotFound for an unreadable file.
Result<Configuration> LoadProcessConfig(const std::string& path,
                                        const std::vector<std::string>& overrides,
                                        const JobRegistry& jobs);

class ProcessCommands {
 public:
  // `jobs` (the program's job registry) must outlive this object.
  ProcessCommands(CLI::App& root, const JobRegistry& jobs);
  ProcessCommands(const ProcessCommands&) = delete;
  ProcessCommands& operator=(const ProcessCommands&) = delete;

  // After parsing: the exit code of the command given, or nullopt if neither was.
  std::optional<int> RunParsed() const;

 private:
  // What both processes read first: the settings, process.working-dir (created) and
  // execution.checkpointing.dir. kInvalidArgument naming the file, line and key; kNotFound for an unreadable file.
  struct Loaded {
    Configuration settings;
    std::string root;
    std::string checkpoint_dir;  // execution.checkpointing.dir, as a path
    std::string auth_secret;  // "" without security.auth.secret-file
  };
  Result<Loaded> Load() const;
  int RunJobManagerProcess() const;
  // Without --job: a session cluster's JobManager (engine/jobmanager/dispatcher.h).
  int RunSessionJobManagerProcess(const Loaded& loaded) const;
  // The JobManagerConfig of the configuration's cluster keys (no job); kInvalidArgument naming
  // the file and key.
  Result<JobManagerConfig> ClusterJobManagerConfig(const Loaded& loaded) const;
  int RunTaskManagerProcess() const;
  // --check: the configuration was valid; prints so and returns kExitOk.
  int ConfigurationChecked() const;

  const JobRegistry& jobs_;
  CLI::App* jobmanager_ = nullptr;
  CLI::App* taskmanager_ = nullptr;
  std::string config_path_;
  std::vector<std::string> overrides_;  // -D key=value, in order
  std::string job_;                     // jobmanager: the job (application mode; "": session)
  std::string id_;                      // jobmanager: its id among the candidates
  bool check_ = false;                  // --check: validate the configuration only
  int input_splits_ = 2;                // jobmanager: the input's part files
  std::string input_dir_ = "input";     // jobmanager: the input's directory
  std::string output_dir_ = "output";   // jobmanager: the output's directory
  int min_taskmanagers_ = 1;            // jobmanager: TaskManagers to wait for (at most 5 s)
};

}  // namespace sluice::tools
