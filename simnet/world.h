// World: a whole simulated cluster in one process, on one thread, FoundationDB-simulator style.
// Hosts run their programs as fibers over one Scheduler (group = host id) and reach the outside
// only through their sluice::Host seam, which the World implements: virtual Clock, Fibers with
// timers on the world event queue, SimNetwork (simnet/sim_network.h), SimDisk
// (simnet/sim_disk.h), a forked Random and an EventLog folded into the trace.
//
// Determinism: one root PRNG seeded by WorldOptions::seed; every random choice (scheduling,
// latency, disk timing, host streams, scenario draws via random()) comes from streams forked from
// it in a fixed order. Same seed and same scenario -> same run, same trace_hash(), bit for bit.
//
// Contexts: "world context" means outside any fiber: the test or scenario body, Schedule()d
// events and RunUntil's `done` predicate. Crash/Restart/StartHost/RebootWipe called from inside a
// fiber are deferred to a world event at the current time (so IsUp changes only when that event
// runs); every other fault takes effect at once, wherever it is called from.
// Single-threaded; nothing here suspends.
//
// Fault model (each fault is folded into the trace when injected, so the trace hash covers it):
// hosts crash, reboot wiped, pause; links partition (both ways or one way), clog, spike, reset;
// disks tear unsynced writes, flip durable bits, fail operations, fill up, slow down (SimDisk,
// via disk(id), DiskAt(id, path) or disks(id): a host may have several); clocks skew and drift.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/runtime/event_log.h"
#include "engine/runtime/host.h"
#include "engine/runtime/random.h"
#include "simnet/sim_core.h"
#include "simnet/sim_faults.h"

namespace sluice::sim {

class SimDisk;
class NetFabric;

struct WorldOptions {
  uint64_t seed = 1;
  int64_t link_latency_min_ns = 100 * 1000;       // 100 us
  int64_t link_latency_max_ns = 2 * 1000 * 1000;  // 2 ms
  int64_t disk_latency_max_ns = 200 * 1000;       // 200 us per disk operation
  bool random_scheduling = true;                  // false: runnable fibers run FIFO
  // Probability that a Stream::Read returns fewer bytes than it could (exercises short reads).
  double short_read_probability = 0.0;
};

class World {
 public:
  using HostId = sim::HostId;
  using HostProgram = std::function<void(Host&)>;
  using EventObserver =
      std::function<void(HostId, Severity, std::string_view category, std::string_view message)>;
  enum class RunOutcome { kDone, kTimeLimit, kQuiescent };

  explicit World(WorldOptions options = {});
  // Drops the trace sink and the observers, unwinds every host's fibers (as a crash would), then
  // frees everything.
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  // Adds a host named `name` (unique) and starts `program` as its main fiber at the current time.
  // Ids are 1, 2, ... in order of addition. A host whose program returns stays up (its other
  // fibers, listeners and streams live on) until crashed. `wrap_network` (optional) wraps the
  // host's simulated network, e.g. to authenticate its connections (engine/runtime/network.h).
  HostId AddHost(std::string name, HostProgram program, const NetworkWrapper& wrap_network = {});
  // Starts the program of a host that is down (no effect on an up host).
  void StartHost(HostId id);
  // Unwinds all the host's fibers (Scheduler::KillGroup, newest first), resets its connections
  // (peers see kUnavailable one link latency later), closes its listeners and drops everything
  // not durable on its disk. The host stays down. No effect on a down host.
  void Crash(HostId id);
  // Runs the program again, on what survived on its disk. Only for a crashed (down) host.
  void Restart(HostId id);
  bool IsUp(HostId id) const;

  // Crash (if up), then the disk comes back empty (SimDisk::Wipe): the machine was reimaged or
  // replaced. The host stays down, like after Crash, until Restart (or StartHost) runs its
  // program on the empty disk. On a down host it only wipes the disk. The disk's fault settings
  // (torn writes, full, slow, error probability) are properties of the hardware and persist.
  void RebootWipe(HostId id);
  // Freezes the host for duration_ns (>= 0) of virtual time, like a GC or VM stall: none of its
  // code runs (see SimFibers: fibers woken by timers, deliveries or new fibers wait at a gate),
  // then everything resumes and sees the clock jumped forward. The network keeps working under
  // it: its connections stay open, bytes sent to it are received into its buffers up to the
  // window (then the peers' writes block), connects to its listeners complete into the backlog;
  // peers see silence, not resets. Pausing a paused host extends the pause to the later end.
  // Crash ends a pause. No effect on a down host. If called from one of the host's own fibers,
  // that fiber freezes at its next suspension point.
  void Pause(HostId id, int64_t duration_ns);
  bool IsPaused(HostId id) const;

  // Symmetric. Breaks existing connections between a and b (both sides see a reset one latency
  // later); new connects between them time out (kDeadlineExceeded) until Heal.
  void Partition(HostId a, HostId b);
  // Partition(x, y) for every x in a and y in b (disjoint groups; hosts within a group still
  // reach each other).
  void Partition(std::vector<HostId> a, std::vector<HostId> b);
  // Traffic from `from` to `to` is held (not lost): `to` hears nothing from `from` while `from`
  // still hears `to`. Existing connections are not reset (as with TCP, whose retransmissions
  // outlast a short outage): bytes (and FINs) from `from` stay in flight, still counted against
  // the window, so its writes block once the window is full, and are delivered in order about
  // one latency after the heal. Connection resets (from crashes, ResetConnections) are not held.
  // New connects in either direction between them time out (a handshake needs both ways).
  void PartitionOneWay(HostId from, HostId to);
  // Clears every partition between a and b: the symmetric one and both one-way ones.
  void Heal(HostId a, HostId b);
  // Clears every partition (symmetric and one-way), clog and latency spike. Not SetLinkLatency
  // (configuration, not a fault), not pauses.
  void HealAll();
  // Latency of link a-b, both directions: uniform in [min_ns, max_ns] per message.
  void SetLinkLatency(HostId a, HostId b, int64_t min_ns, int64_t max_ns);
  // Every latency drawn from now on for a link touching `id` (messages, connects, resets) is
  // multiplied by factor (>= 1; FoundationDB's clogging). Messages already in flight keep their
  // delivery time, and a direction's deliveries stay in order (a message never overtakes an
  // earlier one), also after Unclog. Clogging a clogged host replaces its factor.
  void Clog(HostId id, double factor);
  void Unclog(HostId id);
  // Resets every connection of the host (either end, including ones waiting in a backlog): bytes in
  // flight are dropped, both sides see kUnavailable one drawn latency later, writes meanwhile
  // wait for it. Listeners stay open: new connections work.
  void ResetConnections(HostId id);
  // For duration_ns from now, latencies drawn for link a-b gain extra_ns (both >= 0; overlapping
  // spikes add up). Deliveries stay in order.
  void LatencySpike(HostId a, HostId b, int64_t extra_ns, int64_t duration_ns);

  // The host's Clock::NowNs becomes virtual_now + offset_ns + drift_ppm * (virtual_now - now) /
  // 1e6 (now = the time of this call), but never goes backwards: a step back stalls the clock
  // until the mapping catches up (see SimClock). Its timers (SleepFor/SleepUntil/Park deadlines,
  // connect timeouts) fire when its own clock reaches them, including timers pending now.
  // |drift_ppm| <= 500000. SetClockSkew(id, 0, 0) restores true time (without stepping back).
  // Survives crashes (the clock is hardware). Other hosts and the world keep virtual time.
  void SetClockSkew(HostId id, int64_t offset_ns, double drift_ppm);
  // The simulated CPU cost of processing one record on host `id` (Fibers::AccountWork), ns; 0
  // (the default) makes processing free. Survives crashes (it is the hardware's speed).
  void SetWorkCost(HostId id, int64_t ns_per_record);

  // Runs `event` in world context at virtual time max(at_ns, now).
  void Schedule(int64_t at_ns, std::function<void()> event);
  // Runs the world until done() (checked before each step: one fiber run, or one jump of time
  // with the events due then), until virtual time would pass time_limit_ns (absolute; time is then
  // set to time_limit_ns), or until nothing is left to do (no runnable fiber, no event).
  // World context only.
  RunOutcome RunUntil(const std::function<bool()>& done, int64_t time_limit_ns);

  int64_t now_ns() const;
  // The trace hash so far (see simnet/trace.h).
  uint64_t trace_hash() const;
  // Folds a scenario's own record into the trace.
  void Trace(std::string_view kind, std::string_view detail);
  // While set, every trace record is also written as a line (slow; for debugging one run).
  void SetTraceSink(std::function<void(std::string_view line)> sink);

  // The scenario's PRNG (nemesis timing, workload choices), forked from the root.
  Random& random() { return scenario_random_; }
  // The host's root disk.
  SimDisk& disk(HostId id);
  // Gives the host another disk, mounted at `mount_point` (simnet/mounted_file_system.h): paths
  // at or below it live there. Its faults and durable state are its own, so copies kept on two
  // disks fail independently; a crash or wipe of the host hits all its disks. World context;
  // mount points do not nest. Returns the new disk.
  SimDisk& AddDisk(HostId id, const std::string& mount_point);
  // Mounts the directory a store host serves (simnet/store_server.h, at `server`) at
  // `mount_point` on host `id` (simnet/shared_mount.h): an NFS mount. Its files live on the
  // server's disks, so the server's faults (crash, partition, full or failing disk) are its
  // faults; a crash of host `id` only drops its connections. World context; mount points do
  // not nest.
  void MountShared(HostId id, const std::string& mount_point, const Address& server);
  // The disk `path` lives on and the path on that disk ({nullptr, ""} for a path with "..").
  std::pair<SimDisk*, std::string> DiskAt(HostId id, const std::string& path);
  // The root disk first, then the mounted ones in mount order.
  std::vector<SimDisk*> disks(HostId id);
  // kNoHost (0) if no host has that name.
  HostId FindHost(const std::string& name) const;
  const std::string& host_name(HostId id) const;
  // The Host handed to the host's program (for scenario code that needs to reach a host).
  Host& host(HostId id);
  size_t host_count() const { return hosts_.size(); }
  // Connections the network still holds (0 once every stream has been destroyed; leak checks).
  size_t connection_count() const;

  // Every EventLog record from any host is folded into the trace and passed to each observer,
  // in the order added. Observers run where Record was called (usually in a host's fiber) and
  // must not suspend.
  // Called with every event and its typed fields (engine/runtime/event_log.h), after the
  // EventObservers.
  using FieldObserver = std::function<void(HostId, std::string_view category,
                                           std::string_view message, EventFields fields)>;
  void AddFieldObserver(FieldObserver observer);
  void AddEventObserver(EventObserver observer);

  // Fault points and planted bugs of this run (engine/runtime/fault_injection.h).
  SimFaultInjection& faults() { return *faults_; }

  // Fiber runs plus events run so far (for benchmarks).
  uint64_t events_processed() const;
  // Fiber switches so far.
  uint64_t fiber_switches() const;

 private:
  struct HostState;
  HostState& state(HostId id) const;
  void EndPause(HostId id, uint64_t incarnation);
  void OnRecord(HostId id, Severity severity, std::string_view category, std::string_view message,
                EventFields fields);

  WorldOptions options_;
  std::unique_ptr<SimCore> core_;
  Random scenario_random_;
  std::unique_ptr<NetFabric> fabric_;
  std::unique_ptr<SimFaultInjection> faults_;
  std::vector<std::unique_ptr<HostState>> hosts_;  // index = id - 1
  std::map<std::string, HostId> host_ids_;
  std::vector<EventObserver> observers_;
  std::vector<FieldObserver> field_observers_;
};

}  // namespace sluice::sim
