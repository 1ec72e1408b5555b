// ClusterSpec: the one description of a cluster and the job it runs, shared by the simulator
// (WordCountCluster, scenarios/wordcount_cluster.h, whose options extend it with the simulated
// world's knobs) and by real processes on one machine (`sluice cluster local`,
// tools/local_cluster.h, whose config extends it with a work directory). Both size it the same
// way: a job needs SlotsRequired(its chains) slots (engine/graph/job_graph.h, slot sharing).
#pragma once

#include <string>

#include "engine/config/configuration.h"

namespace sluice::scenarios {

struct ClusterSpec {
  int jobmanagers = 1;            // > 1: standbys, leader election, failover
  int taskmanagers = 3;
  int slots_per_taskmanager = 2;  // taskmanager.numberOfTaskSlots
  int input_splits = 2;           // the input is stored as this many files, part-0, part-1, ...
  // The job: a name registered with the program's JobRegistry, and its -D settings.
  std::string job = "wordcount";
  Configuration settings;
};

// The TaskManagers of `slots_per_taskmanager` slots that hold `slots_required` slots.
inline int TaskManagersFor(int slots_required, int slots_per_taskmanager) {
  return (slots_required + slots_per_taskmanager - 1) / slots_per_taskmanager;
}

}  // namespace sluice::scenarios
