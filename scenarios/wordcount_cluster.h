// A simulated word-count deployment: three stores (input, output, checkpoints), one JobManager and
// N TaskManagers, each a simulated host running the same host program a real process runs.
// Scenarios build one, schedule their faults on world(), run it and check the outcome.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/jobmanager/job_manager.h"
#include "engine/taskmanager/task_manager.h"
#include "scenarios/scenario.h"
#include "simnet/world.h"

namespace sluice::scenarios {

struct WordCountClusterOptions {
  uint64_t seed = 1;
  int taskmanagers = 3;
  int slots_per_taskmanager = 2;
  int source_parallelism = 2;
  int parallelism = 4;
  int64_t checkpoint_interval_ms = 200;
  int64_t source_records_per_second = 0;  // total; 0 = unthrottled
  bool log_events = false;                // print every host event to stderr
};

class WordCountCluster {
 public:
  // Splits `input` into source_parallelism contiguous partitions at line boundaries and stores
  // them durably on the input store.
  WordCountCluster(const WordCountClusterOptions& options, const std::string& input);

  sim::World& world() { return world_; }
  const std::vector<sim::World::HostId>& taskmanagers() const { return taskmanagers_; }
  // Runs until the job finishes or fails, or until time_limit_ms of simulated time.
  void Run(int64_t time_limit_ms);

  bool finished() const { return finished_; }
  bool failed() const { return failed_; }
  int64_t checkpoints_completed() const { return checkpoints_completed_; }
  int64_t restarts() const { return restarts_; }
  const std::string& failure() const { return failure_; }
  // Committed output on the output store's disk: file name → contents.
  std::map<std::string, std::string> CommittedOutput();

  static std::vector<std::string> SplitIntoPartitions(const std::string& input, int partitions);

 private:
  sim::World world_;
  bool log_events_ = false;
  JobManagerConfig jm_config_;
  std::vector<TaskManagerConfig> tm_configs_;
  std::vector<sim::World::HostId> taskmanagers_;
  sim::World::HostId output_store_ = 0;
  bool finished_ = false;
  bool failed_ = false;
  int64_t checkpoints_completed_ = 0;
  int64_t restarts_ = 0;
  std::string failure_;
};

}  // namespace sluice::scenarios
