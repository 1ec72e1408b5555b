// `sluice cluster local wordcount ...`: runs word count on real OS processes on 127.0.0.1 (see
// local_cluster.h), with one or more JobManagers (leader election), optionally kills a TaskManager
// and/or the leading JobManager mid-run, then checks the committed output for exactly-once results
// itself (exactly_once.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/api/job_registry.h"

namespace CLI {
class App;
}  // namespace CLI

namespace sluice::tools {

class ClusterCommands {
 public:
  // `jobs` (the program's job registry) must outlive this object.
  ClusterCommands(CLI::App& root, const JobRegistry& jobs);
  ClusterCommands(const ClusterCommands&) = delete;
  ClusterCommands& operator=(const ClusterCommands&) = delete;

  // After parsing: the exit code of `cluster local` if it was given, nullopt otherwise.
  std::optional<int> RunParsed() const;

  struct Options {
    std::string job;
    std::vector<std::string> settings;  // -D key=value
    int jobmanagers = 1;
    int taskmanagers = 0;
    std::string input_path;
    std::string output_dir;
    double kill_taskmanager_after_s = -1;  // < 0: no kill
    double kill_jobmanager_after_s = -1;   // < 0: no kill; needs jobmanagers >= 2
    int64_t source_rate = 0;               // records per second over all sources; 0 = unthrottled
    double timeout_s = 600;
    bool keep_work_dir = false;
  };

 private:
  CLI::App* local_ = nullptr;
  const JobRegistry& jobs_;
  Options options_;
};

// Where to cut `text` into two contiguous partitions: just after the first '\n' at or after the
// middle byte, so that no line is split; text.size() if there is none.
size_t HalfwayLineBoundary(std::string_view text);

// The whole `sluice cluster local` run; returns the exit code.
int RunLocalCluster(const JobRegistry& jobs, const ClusterCommands::Options& options);

}  // namespace sluice::tools
