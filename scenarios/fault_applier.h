// Applies FaultRecords to a simulated word-count cluster at their times, and heals everything
// at the end of the chaos phase. Unknown kinds or hosts are reported, not ignored.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "scenarios/scenario.h"
#include "scenarios/wordcount_cluster.h"

namespace sluice::scenarios {

class FaultApplier {
 public:
  explicit FaultApplier(WordCountCluster& cluster) : cluster_(cluster) {}

  // Checks every record (kind known, hosts exist). Returns a message naming the first bad entry.
  std::string Validate(const std::vector<FaultRecord>& faults) const;
  // Whether `faults` stay within the fault budget: what the design claims to survive, and what
  // the nemeses draw. Data that exists once (the input, the committed output, the checkpoint
  // store's lease and job result) is never corrupted or wiped; stores are crashed but never
  // wiped; checkpoint files exist twice, on two disks of the checkpoint store
  // (WordCountCluster::kCheckpointCopyDirs), and corruption hits at most one of those disks in a
  // run. Returns "" within the budget, else which faults exceed it and why.
  std::string BudgetExceeded(const std::vector<FaultRecord>& faults) const;
  // Schedules each fault on the world at its at_ms.
  void Schedule(const std::vector<FaultRecord>& faults);
  // Schedules the heal at heal_ms: clears network and disk faults, restarts crashed hosts and
  // switches the BUGGIFY fault points off.
  void ScheduleHeal(int64_t heal_ms);
  // When the chaos phase ends: after the last fault's at_ms + duration_ms (pauses: at_ms).
  static int64_t ChaosEndMs(const std::vector<FaultRecord>& faults);

 private:
  void Apply(const FaultRecord& fault);
  void ApplyDiskOrClock(const FaultRecord& fault);
  // Schedules `undo` at the fault's end (nothing if it lasts until the heal).
  void After(const FaultRecord& fault, std::function<void()> undo);
  void HealAll();
  sim::World::HostId Host(const std::string& name) const;
  std::vector<sim::World::HostId> Hosts(const std::string& names) const;

  WordCountCluster& cluster_;
};

}  // namespace sluice::scenarios
