// TimelineRecorder: turns a simulated cluster's events into TimelineEvents for `--trace` (Chrome
// trace-event JSON, readable in Perfetto): checkpoints as trigger→complete slices on the
// JobManager, task lifetimes as slices on their TaskManager, faults, restarts, failovers and sink
// commits as instants. Records nothing when `out` is null.
#pragma once

#include <vector>

#include "scenarios/scenario.h"
#include "scenarios/wordcount_cluster.h"

namespace sluice::scenarios {

class TimelineRecorder {
 public:
  TimelineRecorder(WordCountCluster& cluster, std::vector<TimelineEvent>* out);
  void AddFaults(const std::vector<FaultRecord>& faults);

 private:
  void OnEvent(sim::World::HostId host, std::string_view category, std::string_view message);
  void Add(const std::string& host, std::string thread, std::string name, char phase,
           std::string detail);

  WordCountCluster& cluster_;
  std::vector<TimelineEvent>* out_;
};

}  // namespace sluice::scenarios
