#include "simnet/world.h"

#include <bit>
#include <cmath>
#include <utility>

#include "engine/base/assert.h"
#include "simnet/database_model.h"
#include "simnet/mounted_file_system.h"
#include "simnet/shared_mount.h"
#include "simnet/sim_disk.h"
#include "simnet/sim_host.h"
#include "simnet/sim_network.h"

namespace sluice::sim {

// Everything one host owns. It survives crashes (the disk is what survives; the rest is reused
// by the next incarnation), so references into it, e.g. Host&, stay valid for the world's life.
struct World::HostState {
  HostState(World& world, HostId host_id, std::string host_name, HostProgram host_program,
            const NetworkWrapper& wrap_network)
      : id(host_id),
        name(std::move(host_name)),
        program(std::move(host_program)),
        clock(*world.core_),
        fibers(*world.core_, host_id, name, &clock),
        random(world.core_->root_random().Fork()),
        disk(*world.core_, host_id, fibers, world.core_->root_random().Fork(),
             world.options_.disk_latency_max_ns),
        fs(disk),
        log([&world, host_id](Severity severity, std::string_view category,
                              std::string_view message, EventFields fields) {
          world.OnRecord(host_id, severity, category, message, fields);
        }),
        raw_network(world.fabric_->AddHost(host_id, name, fibers, &clock)),
        wrapped_network(wrap_network ? wrap_network(raw_network, random, log, fibers) : nullptr),
        databases(wrapped_network ? *wrapped_network : raw_network),
        host{name, clock,  fibers, wrapped_network ? *wrapped_network : raw_network,
             fs,   random, log,    *world.faults_, databases} {}

  const HostId id;
  const std::string name;
  const HostProgram program;
  bool up = false;
  bool crashed = false;  // down because of Crash (Restart allowed)
  uint64_t incarnation = 0;
  int64_t paused_until_ns = 0;  // while fibers.paused(): when the pause ends
  SimClock clock;
  SimFibers fibers;
  Random random;
  SimDisk disk;           // the root disk
  MountedFileSystem fs;   // the root disk plus any disks mounted on it (AddDisk)
  std::vector<SharedMount*> shared_mounts;  // owned by fs (MountShared)
  SimEventLog log;
  Network& raw_network;
  std::unique_ptr<Network> wrapped_network;  // null: the host uses raw_network itself
  ModelDatabases databases;  // connections to database model hosts (simnet/database_model.h)
  Host host;
};

World::World(WorldOptions options)
    : options_(options),
      core_(std::make_unique<SimCore>(options.seed, options.random_scheduling)),
      scenario_random_(core_->root_random().Fork()) {
  NetFabric::Options net;
  net.latency_min_ns = options_.link_latency_min_ns;
  net.latency_max_ns = options_.link_latency_max_ns;
  net.short_read_probability = options_.short_read_probability;
  fabric_ = std::make_unique<NetFabric>(*core_, core_->root_random().Fork(), net);
  faults_ = std::make_unique<SimFaultInjection>(core_->root_random().Fork());
}

World::~World() {
  // Teardown is not part of the run: callbacks into the scenario (which may already be gone)
  // stop here.
  core_->trace().SetSink(nullptr);
  observers_.clear();
  // Unwind fibers while the network, disks and event queue their destructors touch still exist.
  for (auto& h : hosts_) {
    h->up = false;
    h->fibers.set_up(false);
    core_->scheduler().KillGroup(h->id);
  }
}

World::HostState& World::state(HostId id) const {
  SLUICE_ASSERT(id != kNoHost && id <= hosts_.size(), "unknown host id");
  return *hosts_[id - 1];
}

World::HostId World::AddHost(std::string name, HostProgram program,
                             const NetworkWrapper& wrap_network) {
  SLUICE_ASSERT(host_ids_.count(name) == 0, "host names are unique");
  SLUICE_ASSERT(program, "a host needs a program");
  const HostId id = static_cast<HostId>(hosts_.size() + 1);
  host_ids_.emplace(name, id);
  hosts_.push_back(
      std::make_unique<HostState>(*this, id, std::move(name), std::move(program), wrap_network));
  StartHost(id);
  return id;
}

void World::StartHost(HostId id) {
  if (core_->InFiber()) {
    Schedule(now_ns(), [this, id] { StartHost(id); });
    return;
  }
  HostState& h = state(id);
  if (h.up) return;
  h.up = true;
  h.crashed = false;
  ++h.incarnation;
  h.fibers.set_up(true);
  fabric_->SetHostUp(id, true);
  core_->trace().Record(TraceKind::kHostStart, id, h.incarnation);
  HostState* host_state = &h;  // lives as long as the world
  const FiberId main =
      h.fibers.Spawn("main", [host_state] { host_state->program(host_state->host); });
  SLUICE_ASSERT(main != kNoFiber, "a host that is up can spawn");
  (void)main;
}

void World::Crash(HostId id) {
  if (core_->InFiber()) {
    Schedule(now_ns(), [this, id] { Crash(id); });
    return;
  }
  HostState& h = state(id);
  if (!h.up) return;
  h.up = false;
  h.crashed = true;
  h.fibers.set_up(false);     // no new fibers from here on
  h.fibers.SetPaused(false);  // a crash ends a pause; the gated fibers unwind below
  core_->trace().Record(TraceKind::kHostCrash, id, h.incarnation);
  // Endpoints die first, so that streams destroyed by the unwinding send no orderly FIN.
  fabric_->CrashHost(id);
  core_->scheduler().KillGroup(id);
  SLUICE_ASSERT(core_->scheduler().LiveCountInGroup(id) == 0, "a crashed host has no fibers left");
  // After the unwinding: open files were released by their destructors.
  for (SimDisk* disk : h.fs.disks()) disk->Crash();
  for (SharedMount* mount : h.shared_mounts) mount->DropConnections();
}

void World::Restart(HostId id) {
  if (core_->InFiber()) {
    Schedule(now_ns(), [this, id] { Restart(id); });
    return;
  }
  HostState& h = state(id);
  SLUICE_ASSERT(!h.up && h.crashed, "Restart is for a crashed host");
  if (h.up) return;
  StartHost(id);
}

bool World::IsUp(HostId id) const { return state(id).up; }

void World::RebootWipe(HostId id) {
  if (core_->InFiber()) {
    Schedule(now_ns(), [this, id] { RebootWipe(id); });
    return;
  }
  HostState& h = state(id);
  Crash(id);  // records the crash; no effect if down
  SLUICE_ASSERT(!h.up && h.crashed, "a wiped host is down until restarted");
  for (SimDisk* disk : h.fs.disks()) disk->Wipe();  // records the wipe
}

void World::Pause(HostId id, int64_t duration_ns) {
  SLUICE_ASSERT(duration_ns >= 0, "a pause lasts >= 0 ns");
  HostState& h = state(id);
  core_->trace().Record(TraceKind::kHostPause, id, static_cast<uint64_t>(duration_ns));
  if (!h.up || duration_ns <= 0) return;
  const int64_t until_ns = now_ns() + duration_ns;
  if (h.fibers.paused() && h.paused_until_ns >= until_ns) return;  // already paused longer
  h.paused_until_ns = until_ns;
  h.fibers.SetPaused(true);
  const uint64_t incarnation = h.incarnation;
  core_->At(until_ns, [this, id, incarnation] { EndPause(id, incarnation); });
}

void World::EndPause(HostId id, uint64_t incarnation) {
  HostState& h = state(id);
  // Stale if the host crashed (a crash ends the pause) or the pause was extended.
  if (!h.fibers.paused() || h.incarnation != incarnation || now_ns() < h.paused_until_ns) return;
  SLUICE_ASSERT(h.up, "a down host is never paused");
  core_->trace().Record(TraceKind::kHostResume, id);
  h.fibers.SetPaused(false);
}

bool World::IsPaused(HostId id) const { return state(id).fibers.paused(); }

void World::Partition(HostId a, HostId b) {
  state(a);  // validates the ids
  state(b);
  core_->trace().Record(TraceKind::kPartition, a, b);
  fabric_->Partition(a, b);
}

void World::Partition(std::vector<HostId> a, std::vector<HostId> b) {
  for (HostId x : a) {
    for (HostId y : b) {
      SLUICE_ASSERT(x != y, "partitioned groups are disjoint");
      Partition(x, y);  // records each pair
    }
  }
}

void World::PartitionOneWay(HostId from, HostId to) {
  state(from);  // validates the ids
  state(to);
  core_->trace().Record(TraceKind::kPartitionOneWay, from, to);
  fabric_->PartitionOneWay(from, to);
}

void World::Heal(HostId a, HostId b) {
  core_->trace().Record(TraceKind::kHeal, a, b);
  fabric_->Heal(a, b);
}

void World::HealAll() {
  core_->trace().Record(TraceKind::kHealAll);
  fabric_->HealAll();
}

void World::Clog(HostId id, double factor) {
  state(id);
  core_->trace().Record(TraceKind::kClog, id, std::bit_cast<uint64_t>(factor));
  fabric_->Clog(id, factor);
}

void World::Unclog(HostId id) {
  state(id);
  core_->trace().Record(TraceKind::kUnclog, id);
  fabric_->Unclog(id);
}

void World::ResetConnections(HostId id) {
  state(id);
  const size_t reset = fabric_->ResetConnections(id);
  core_->trace().Record(TraceKind::kResetConnections, id, reset);
}

void World::LatencySpike(HostId a, HostId b, int64_t extra_ns, int64_t duration_ns) {
  state(a);
  state(b);
  core_->trace().Record(TraceKind::kLatencySpike, a, b, static_cast<uint64_t>(extra_ns),
                        static_cast<uint64_t>(duration_ns));
  fabric_->LatencySpike(a, b, extra_ns, duration_ns);
}

void World::SetWorkCost(HostId id, int64_t ns_per_record) {
  SLUICE_ASSERT(ns_per_record >= 0, "a record costs >= 0 ns");
  state(id).fibers.set_work_cost_ns(ns_per_record);
}

void World::SetClockSkew(HostId id, int64_t offset_ns, double drift_ppm) {
  // Parts per billion, an integer: host time is computed without floating point.
  const int64_t drift_ppb = std::llround(drift_ppm * 1000.0);
  SLUICE_ASSERT(drift_ppb >= -SimClock::kDriftPpbMax, "|drift_ppm| <= 500000");
  SLUICE_ASSERT(drift_ppb <= SimClock::kDriftPpbMax, "|drift_ppm| <= 500000");
  HostState& h = state(id);
  core_->trace().Record(TraceKind::kClockSkew, id, static_cast<uint64_t>(offset_ns),
                        static_cast<uint64_t>(drift_ppb));
  h.clock.SetSkew(offset_ns, drift_ppb);
  h.fibers.RearmTimers();
}

void World::SetLinkLatency(HostId a, HostId b, int64_t min_ns, int64_t max_ns) {
  core_->trace().Record(TraceKind::kLinkLatency, a, b, static_cast<uint64_t>(min_ns),
                        static_cast<uint64_t>(max_ns));
  fabric_->SetLinkLatency(a, b, min_ns, max_ns);
}

void World::Schedule(int64_t at_ns, std::function<void()> event) {
  core_->At(at_ns, std::move(event));
}

World::RunOutcome World::RunUntil(const std::function<bool()>& done, int64_t time_limit_ns) {
  SLUICE_ASSERT(!core_->InFiber(), "RunUntil drives the world: call it outside fibers");
  for (;;) {
    if (done && done()) return RunOutcome::kDone;
    switch (core_->Step(time_limit_ns)) {
      case SimCore::StepResult::kRan:
        break;
      case SimCore::StepResult::kQuiescent:
        return RunOutcome::kQuiescent;
      case SimCore::StepResult::kTimeLimit:
        return RunOutcome::kTimeLimit;
    }
  }
}

int64_t World::now_ns() const { return core_->now_ns(); }

uint64_t World::trace_hash() const { return core_->trace().hash(); }

void World::Trace(std::string_view kind, std::string_view detail) {
  core_->trace().RecordText(TraceKind::kUser, 0, 0, kind, detail);
}

void World::SetTraceSink(std::function<void(std::string_view line)> sink) {
  core_->trace().SetSink(std::move(sink));
}

SimDisk& World::disk(HostId id) { return state(id).disk; }

SimDisk& World::AddDisk(HostId id, const std::string& mount_point) {
  SLUICE_ASSERT(!core_->InFiber(), "disks are added in world context");
  HostState& h = state(id);
  auto disk = std::make_unique<SimDisk>(*core_, id, h.fibers, core_->root_random().Fork(),
                                        options_.disk_latency_max_ns);
  SimDisk& added = *disk;
  h.fs.Mount(mount_point, std::move(disk));
  return added;
}

void World::MountShared(HostId id, const std::string& mount_point, const Address& server) {
  SLUICE_ASSERT(!core_->InFiber(), "mounts are added in world context");
  HostState& h = state(id);
  auto mount = std::make_unique<SharedMount>(h.host, server);
  h.shared_mounts.push_back(mount.get());
  h.fs.MountShared(mount_point, std::move(mount));
}

std::pair<SimDisk*, std::string> World::DiskAt(HostId id, const std::string& path) {
  return state(id).fs.Route(path);
}

std::vector<SimDisk*> World::disks(HostId id) { return state(id).fs.disks(); }

World::HostId World::FindHost(const std::string& name) const {
  auto it = host_ids_.find(name);
  return it == host_ids_.end() ? kNoHost : it->second;
}

const std::string& World::host_name(HostId id) const { return state(id).name; }

Host& World::host(HostId id) { return state(id).host; }

size_t World::connection_count() const { return fabric_->connection_count(); }

void World::AddEventObserver(EventObserver observer) { observers_.push_back(std::move(observer)); }

void World::AddFieldObserver(FieldObserver observer) {
  field_observers_.push_back(std::move(observer));
}

void World::OnRecord(HostId id, Severity severity, std::string_view category,
                     std::string_view message, EventFields fields) {
  core_->trace().RecordText(TraceKind::kLog, id, static_cast<uint64_t>(severity), category,
                            message);
  for (const EventObserver& observer : observers_) observer(id, severity, category, message);
  for (const FieldObserver& observer : field_observers_) observer(id, category, message, fields);
}

uint64_t World::events_processed() const { return core_->events_processed(); }

uint64_t World::fiber_switches() const { return core_->scheduler().switch_count(); }

}  // namespace sluice::sim
