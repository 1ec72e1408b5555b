#include "scenarios/fault_applier.h"

#include <algorithm>

#include "simnet/sim_disk.h"

namespace sluice::scenarios {
sim::World::HostId FaultApplier::Host(const std::string& name) const {
  return cluster_.world().FindHost(name);
}

std::vector<sim::World::HostId> FaultApplier::Hosts(const std::string& names) const {
  std::vector<sim::World::HostId> ids;
  size_t start = 0;
  while (!names.empty() && start <= names.size()) {
    size_t end = names.find(',', start);
    if (end == std::string::npos) end = names.size();
    ids.push_back(Host(names.substr(start, end - start)));
    start = end + 1;
  }
  return ids;
}

std::string FaultApplier::Validate(const std::vector<FaultRecord>& faults) const {
  for (size_t i = 0; i < faults.size(); ++i) {
    const FaultRecord& f = faults[i];
    const FaultKindInfo& kind = FaultKindOf(f.kind);
    const std::string where =
        "fault " + std::to_string(i + 1) + " (" + std::string(kind.name) + ")";
    if (f.at_ms < 0 || f.duration_ms < 0) return where + ": negative time";
    if (kind.needs_host && Host(f.host) == sim::kNoHost) {
      return where + ": unknown host '" + f.host + "'";
    }
    if (kind.needs_peer) {
      if (f.peer.empty()) return where + ": needs a peer";
      for (auto id : Hosts(f.peer)) {
        if (id == sim::kNoHost || id == Host(f.host)) return where + ": bad peer in '" + f.peer + "'";
      }
    }
    if (f.kind == FaultKind::kClog && f.factor < 1) return where + ": clog factor must be >= 1";
    if (f.kind == FaultKind::kDiskIoError && (f.factor <= 0 || f.factor > 1)) {
      return where + ": factor (error probability) must be in (0, 1]";
    }
    if (f.kind == FaultKind::kDiskSlow && f.factor <= 0) return where + ": slow factor must be > 0";
    if (f.kind == FaultKind::kRescale) {
      const std::vector<int>& targets = cluster_.RescaleTargets();
      const int parallelism = static_cast<int>(f.factor);
      if (f.factor != parallelism ||
          std::find(targets.begin(), targets.end(), parallelism) == targets.end()) {
        std::string allowed;
        for (int t : targets) allowed += (allowed.empty() ? "" : ", ") + std::to_string(t);
        return where + ": factor (the new parallelism) must be one of the job's rescale "
                       "targets: " + allowed;
      }
    }
  }
  return "";
}

std::string FaultApplier::BudgetExceeded(const std::vector<FaultRecord>& faults) const {
  sim::World& world = cluster_.world();
  std::vector<std::string> stores;
  for (auto id : cluster_.stores()) stores.push_back(world.host_name(id));
  const std::string checkpoint_store = world.host_name(cluster_.checkpoint_store());
  const std::vector<sim::SimDisk*> disks = world.disks(cluster_.checkpoint_store());
  size_t corrupted_disk = disks.size();  // index of the one disk corruption may hit
  std::string first_corruption;
  for (size_t i = 0; i < faults.size(); ++i) {
    const FaultRecord& f = faults[i];
    const std::string where = "fault " + std::to_string(i + 1) + " (" +
                              std::string(FaultKindName(f.kind)) + " on " + f.host + ")";
    const bool store = std::find(stores.begin(), stores.end(), f.host) != stores.end();
    if (f.kind == FaultKind::kRebootWipe && store) return where + ": a store's data exists once";
    if (f.kind == FaultKind::kRebootWipe && f.host == world.host_name(cluster_.etcd())) {
      return where + ": etcd's data exists once here (a real etcd cluster replicates it)";
    }
    if (f.kind != FaultKind::kDiskCorruption) continue;
    if (f.host != checkpoint_store) return where + ": data outside checkpoints exists once";
    // The root disk also holds what exists once; the second disk holds only checkpoint copies.
    const sim::SimDisk* disk = world.DiskAt(cluster_.checkpoint_store(), f.peer).first;
    if (disk == disks.front() && !f.peer.starts_with(WordCountCluster::kCheckpointCopyDirs[0])) {
      return where + ": prefix '" + f.peer + "' reaches files kept once (input, output)";
    }
    const size_t index = std::find(disks.begin(), disks.end(), disk) - disks.begin();
    if (corrupted_disk == disks.size()) {
      corrupted_disk = index;
      first_corruption = where;
    } else if (index != corrupted_disk) {
      return first_corruption + " and " + where +
             " hit both disks: every copy of a checkpoint file may be damaged";
    }
  }
  return "";
}

int64_t FaultApplier::ChaosEndMs(const std::vector<FaultRecord>& faults) {
  int64_t end = 0;
  // A pause ends by itself and the heal cannot cut it short, so it does not hold the heal back:
  // a host stalled past the heal is like a crashed host the cluster must do without.
  for (const FaultRecord& f : faults) {
    end = std::max(end, f.at_ms + (f.kind == FaultKind::kPause ? 0 : f.duration_ms));
  }
  return end;
}

void FaultApplier::Schedule(const std::vector<FaultRecord>& faults) {
  for (const FaultRecord& fault : faults) {
    cluster_.world().Schedule(fault.at_ms * kNanosPerMilli, [this, fault] { Apply(fault); });
  }
}

void FaultApplier::After(const FaultRecord& fault, std::function<void()> undo) {
  if (fault.duration_ms <= 0) return;  // lasts until the heal
  cluster_.world().Schedule((fault.at_ms + fault.duration_ms) * kNanosPerMilli, std::move(undo));
}

void FaultApplier::Apply(const FaultRecord& fault) {
  sim::World& world = cluster_.world();
  const auto host = Host(fault.host);
  const FaultKind k = fault.kind;
  if (k == FaultKind::kCrash) {
    if (world.IsUp(host)) world.Crash(host);
  } else if (k == FaultKind::kRestart) {
    if (!world.IsUp(host)) world.Restart(host);
  } else if (k == FaultKind::kRebootWipe) {
    world.RebootWipe(host);
  } else if (k == FaultKind::kPause) {
    world.Pause(host, fault.duration_ms * kNanosPerMilli);
  } else if (k == FaultKind::kPartition || k == FaultKind::kPartitionOneWay) {
    for (auto peer : Hosts(fault.peer)) {
      if (k == FaultKind::kPartition) {
        world.Partition(host, peer);
      } else {
        world.PartitionOneWay(host, peer);
      }
    }
    After(fault, [this, fault] {
      for (auto peer : Hosts(fault.peer)) cluster_.world().Heal(Host(fault.host), peer);
    });
  } else if (k == FaultKind::kHeal) {
    world.HealAll();
  } else if (k == FaultKind::kRescale) {
    cluster_.Rescale(static_cast<int>(fault.factor));
  } else if (k == FaultKind::kClog) {
    world.Clog(host, fault.factor);
    After(fault, [this, fault] { cluster_.world().Unclog(Host(fault.host)); });
  } else if (k == FaultKind::kUnclog) {
    world.Unclog(host);
  } else if (k == FaultKind::kConnectionReset) {
    world.ResetConnections(host);
  } else if (k == FaultKind::kLatencySpike) {  // factor = extra latency in ms
    for (auto peer : Hosts(fault.peer)) {
      world.LatencySpike(host, peer, static_cast<int64_t>(fault.factor * kNanosPerMilli),
                         fault.duration_ms * kNanosPerMilli);
    }
  } else {
    ApplyDiskOrClock(fault);
  }
}

void FaultApplier::ApplyDiskOrClock(const FaultRecord& fault) {
  sim::World& world = cluster_.world();
  const auto host = Host(fault.host);
  const FaultKind k = fault.kind;
  if (k == FaultKind::kDiskTornWrite) {
    // Tears the unsynced tail at the host's next crash, on each of its disks.
    for (sim::SimDisk* each : world.disks(host)) each->SetTornWrites(true);
  } else if (k == FaultKind::kDiskCorruption) {  // peer = prefix of the paths to pick from
    // The disk the prefix lies on (a host may have several) and the prefix on that disk, where
    // "." (the prefix is the disk's root) means any file. No durable file yet: nothing to flip.
    auto [prefix_disk, prefix] = world.DiskAt(host, fault.peer);
    if (prefix_disk != nullptr) {
      (void)prefix_disk->CorruptRandomDurableFile(prefix == "." ? "" : prefix);
    }
  } else if (k == FaultKind::kDiskIoError) {
    for (sim::SimDisk* each : world.disks(host)) each->SetIoErrorProbability(fault.factor);
    After(fault, [this, host] {
      for (sim::SimDisk* each : cluster_.world().disks(host)) each->SetIoErrorProbability(0);
    });
  } else if (k == FaultKind::kDiskFull) {
    for (sim::SimDisk* each : world.disks(host)) each->SetFull(true);
    After(fault, [this, host] {
      for (sim::SimDisk* each : cluster_.world().disks(host)) each->SetFull(false);
    });
  } else if (k == FaultKind::kDiskSlow) {
    for (sim::SimDisk* each : world.disks(host)) each->SetSlow(fault.factor);
    After(fault, [this, host] {
      for (sim::SimDisk* each : cluster_.world().disks(host)) each->SetSlow(1.0);
    });
  } else if (k == FaultKind::kClockSkew) {  // factor = offset in ms; drifts 100 ppm per ms of offset
    world.SetClockSkew(host, static_cast<int64_t>(fault.factor * kNanosPerMilli),
                       std::clamp(fault.factor * 100, -400000.0, 400000.0));
  }
}

void FaultApplier::HealAll() {
  sim::World& world = cluster_.world();
  world.HealAll();
  for (sim::World::HostId id = 1; id <= world.host_count(); ++id) {
    for (sim::SimDisk* disk : world.disks(id)) {
      disk->SetFull(false);
      disk->SetIoErrorProbability(0);
      disk->SetSlow(1.0);
      disk->SetTornWrites(false);
    }
  }
}

void FaultApplier::ScheduleHeal(int64_t heal_ms) {
  cluster_.world().Schedule(heal_ms * kNanosPerMilli, [this] {
    HealAll();
    sim::World& world = cluster_.world();
    // Fault points stop with the chaos: with them on, a job of many tasks fails some task at
    // almost every checkpoint (each fires per task) and could never finish.
    world.faults().SetProbabilities(0, 0);
    for (sim::World::HostId id = 1; id <= world.host_count(); ++id) {
      if (!world.IsUp(id)) world.Restart(id);
    }
    world.Trace("heal", "all faults cleared");
  });
}

}  // namespace sluice::scenarios
