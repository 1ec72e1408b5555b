#include "scenarios/fault_applier.h"

#include <algorithm>

namespace sluice::scenarios {
namespace {
// WorldOptions' default link latency, restored after a spike.
constexpr int64_t kDefaultLatencyMinNs = 100 * 1000;
constexpr int64_t kDefaultLatencyMaxNs = 2 * 1000 * 1000;

const std::vector<std::string>& KnownKinds() {
  static const std::vector<std::string> kinds = {"crash", "restart", "partition", "heal",
                                                  "latency_spike"};
  return kinds;
}
}  // namespace

sim::World::HostId FaultApplier::Host(const std::string& name) const {
  return cluster_.world().FindHost(name);
}

std::vector<sim::World::HostId> FaultApplier::Hosts(const std::string& names) const {
  std::vector<sim::World::HostId> ids;
  size_t start = 0;
  while (start <= names.size() && !names.empty()) {
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
    const std::string where = "fault " + std::to_string(i) + " (" + f.kind + ")";
    if (std::find(KnownKinds().begin(), KnownKinds().end(), f.kind) == KnownKinds().end()) {
      return where + ": kind not supported by this scenario";
    }
    if (f.at_ms < 0 || f.duration_ms < 0) return where + ": negative time";
    if (f.kind != "heal" && Host(f.host) == sim::kNoHost) {
      return where + ": unknown host '" + f.host + "'";
    }
    for (auto id : Hosts(f.peer)) {
      if (id == sim::kNoHost) return where + ": unknown peer in '" + f.peer + "'";
    }
  }
  return "";
}

int64_t FaultApplier::ChaosEndMs(const std::vector<FaultRecord>& faults) {
  int64_t end = 0;
  for (const FaultRecord& f : faults) end = std::max(end, f.at_ms + f.duration_ms);
  return end;
}

void FaultApplier::Schedule(const std::vector<FaultRecord>& faults) {
  for (const FaultRecord& fault : faults) {
    cluster_.world().Schedule(fault.at_ms * kNanosPerMilli, [this, fault] { Apply(fault); });
  }
}

void FaultApplier::Apply(const FaultRecord& fault) {
  sim::World& world = cluster_.world();
  const auto host = Host(fault.host);
  if (fault.kind == "crash") {
    if (world.IsUp(host)) world.Crash(host);
  } else if (fault.kind == "restart") {
    if (!world.IsUp(host)) world.Restart(host);
  } else if (fault.kind == "partition") {
    for (auto peer : Hosts(fault.peer)) world.Partition(host, peer);
    if (fault.duration_ms > 0) {
      world.Schedule((fault.at_ms + fault.duration_ms) * kNanosPerMilli, [this, fault] {
        for (auto peer : Hosts(fault.peer)) cluster_.world().Heal(Host(fault.host), peer);
      });
    }
  } else if (fault.kind == "heal") {
    HealAll();
  } else if (fault.kind == "latency_spike") {
    // factor = the links' latency in ms while the spike lasts.
    const int64_t latency_ns = static_cast<int64_t>(fault.factor * kNanosPerMilli);
    for (auto peer : Hosts(fault.peer)) world.SetLinkLatency(host, peer, latency_ns, latency_ns);
    world.Schedule((fault.at_ms + fault.duration_ms) * kNanosPerMilli, [this, fault] {
      for (auto peer : Hosts(fault.peer)) {
        cluster_.world().SetLinkLatency(Host(fault.host), peer, kDefaultLatencyMinNs,
                                        kDefaultLatencyMaxNs);
      }
    });
  }
}

void FaultApplier::HealAll() {
  sim::World& world = cluster_.world();
  const size_t hosts = world.host_count();
  for (sim::World::HostId a = 1; a <= hosts; ++a) {
    for (sim::World::HostId b = a + 1; b <= hosts; ++b) world.Heal(a, b);
  }
}

void FaultApplier::ScheduleHeal(int64_t heal_ms) {
  cluster_.world().Schedule(heal_ms * kNanosPerMilli, [this] {
    HealAll();
    sim::World& world = cluster_.world();
    for (sim::World::HostId id = 1; id <= world.host_count(); ++id) {
      if (!world.IsUp(id)) world.Restart(id);
    }
    world.Trace("heal", "all faults cleared");
  });
}

}  // namespace sluice::scenarios
