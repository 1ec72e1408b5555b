// Word-count scenarios for the rest of the fault model: the random chaos mix, silent partitions
// and stalls around the JobManager, damaged checkpoint files, a full disk, and clogging with
// pauses and clock skew. Each comment says which failure class of real stream engines it aims at.
#include <memory>

#include "scenarios/wordcount_scenario.h"
#include "scenarios/wordcount_scenarios.h"

namespace sluice::scenarios {
namespace {


std::string Others(const std::vector<std::string>& all, const std::string& except) {
  std::string joined;
  for (const auto& h : all) {
    if (h != except) joined += (joined.empty() ? "" : ",") + h;
  }
  return joined;
}

std::vector<std::string> AllHosts(const NemesisContext& c) {
  std::vector<std::string> hosts = c.taskmanagers;
  hosts.insert(hosts.end(), c.jobmanagers.begin(), c.jobmanagers.end());
  hosts.insert(hosts.end(), c.stores.begin(), c.stores.end());
  hosts.push_back(c.etcd);
  return hosts;
}

// One fault of `kind` at `at`, aimed within the fault budget (FaultApplier::BudgetExceeded):
// data that exists once (the input, the committed output, etcd's) is never wiped or corrupted;
// stores and etcd are crashed (their writes are synced) but never wiped; checkpoint files exist twice, on two disks,
// and corruption hits only `corruptible`, the copy directory (one disk) chosen for the run.
std::vector<FaultRecord> DrawFault(Random& random, const NemesisContext& c, FaultKind kind,
                                   int64_t at, const std::string& corruptible) {
  const auto hosts = AllHosts(c);
  std::vector<std::string> processes = c.taskmanagers;
  processes.insert(processes.end(), c.jobmanagers.begin(), c.jobmanagers.end());
  const int64_t duration = random.UniformRange(100, 2500);
  FaultRecord f{.at_ms = at, .kind = kind};
  if (kind == FaultKind::kCrash || kind == FaultKind::kRebootWipe) {
    f.host = kind == FaultKind::kCrash ? PickHost(random, hosts) : PickHost(random, processes);
    return {f, FaultRecord{.at_ms = at + duration, .kind = FaultKind::kRestart, .host = f.host}};
  }
  f.host = PickHost(random, hosts);
  if (kind == FaultKind::kPause || kind == FaultKind::kDiskFull || kind == FaultKind::kDiskSlow || kind == FaultKind::kClog ||
      kind == FaultKind::kDiskIoError) {
    f.duration_ms = duration;
  }
  if (kind == FaultKind::kPartition || kind == FaultKind::kPartitionOneWay || kind == FaultKind::kLatencySpike) {
    f.duration_ms = duration;
    f.peer = PickHost(random, hosts);
    if (f.peer == f.host) f.peer = Others(hosts, f.host).substr(0, Others(hosts, f.host).find(','));
  }
  if (kind == FaultKind::kClog) f.factor = double(random.UniformRange(2, 20));
  if (kind == FaultKind::kLatencySpike) f.factor = double(random.UniformRange(5, 100));
  if (kind == FaultKind::kDiskSlow) f.factor = double(random.UniformRange(2, 50));
  if (kind == FaultKind::kDiskIoError) f.factor = 0.05 * double(random.UniformRange(1, 6));
  if (kind == FaultKind::kClockSkew) f.factor = double(random.UniformRange(-2000, 2000));
  if (kind == FaultKind::kDiskCorruption) {
    f.host = c.stores[2];  // the checkpoint store
    f.peer = corruptible;  // one disk's copies only: the other disk's stay intact
  }
  return {f};
}

// Keyed state in RocksDB (state.backend.type: rocksdb), with write buffers and levels small enough
// that every run flushes and compacts, and incremental checkpoints if `incremental`.
void UseRocksDb(Random& random, bool incremental, WordCountClusterOptions* o) {
  const int64_t write_buffer_kb = random.UniformRange(2, 32);
  o->job_settings["state.backend.type"] = "rocksdb";
  o->job_settings["execution.checkpointing.incremental"] = incremental ? "true" : "false";
  o->job_settings["state.backend.rocksdb.writebuffer.size"] = std::to_string(write_buffer_kb) + "kb";
  o->job_settings["state.backend.rocksdb.compaction.level.target-file-size-base"] =
      std::to_string(write_buffer_kb * 2) + "kb";
  o->job_settings["state.backend.rocksdb.compaction.level.max-size-level-base"] =
      std::to_string(write_buffer_kb * 8) + "kb";
  o->job_settings["state.backend.rocksdb.block.cache-size"] = "64kb";
}

// chaos: every fault kind, drawn at random within the fault budget, on a swarm-drawn
// configuration (TaskManagers, slots, parallelism, checkpoint interval, heartbeat timeout, link
// latency range, short-read rate, one JobManager or a leader and a standby with a drawn lease,
// number of faults), with BUGGIFY fault points switched on. The failure class is "everything at
// once": FoundationDB and Jepsen find most of their bugs where faults combine. On top of the drawn
// faults, the three shapes only the dedicated scenarios used to produce:
//   - a hung TaskManager (a pause longer than the run: only heartbeat timeouts can tell, as in
//     jm-partition), in about one run in five;
//   - with two JobManagers, a leader stalled past its lease just as it restarts the job, so that
//     it wakes deposed and sends commands under its old epoch (as in jm-failover);
//   - rarely, both copies of a just-completed checkpoint's state file corrupted and a TaskManager
//     crashed, beyond the fault budget (as in checkpoint-corruption): the job must end FAILED
//     cleanly or finish, and never restore an older checkpoint than one that may be committed;
//   - now and then one disk's copy of a just-completed checkpoint's metadata damaged and its
//     JobManager crashed, so that the one that recovers reads the damaged copy;
//   - in one run in five, a rescale: the job redeployed at another parallelism (as in rescale).
WordCountScenarioSpec ChaosSpec() {
  WordCountScenarioSpec spec;
  spec.name = "chaos";
  spec.fault_point_enable = 0.25;
  spec.fault_point_fire = 0.1;
  // What the reactions need of the drawn configuration (configure runs before any reaction).
  struct Drawn {
    int taskmanagers = 3;
    int jobmanagers = 1;
    int64_t lease_ms = 1000;
    int64_t heartbeat_timeout_ms = 1000;
    std::string corruptible;  // the nemesis's copy directory for corruption (one disk)
  };
  auto drawn = std::make_shared<Drawn>();
  spec.configure = [drawn](Random& random, WordCountClusterOptions* o) {
    o->taskmanagers = static_cast<int>(random.UniformRange(3, 5));
    o->slots_per_taskmanager = static_cast<int>(random.UniformRange(2, 3));
    o->parallelism = static_cast<int>(random.UniformRange(2, 4));
    o->checkpoint_interval_ms = random.UniformRange(100, 500);
    o->heartbeat_timeout_ms = random.UniformRange(500, 2000);
    o->restart = RestartStrategyConfig::FixedDelay(1000, 200);
    o->link_latency_min_us = random.UniformRange(50, 500);
    o->link_latency_max_us = o->link_latency_min_us + random.UniformRange(0, 10000);
    o->short_read_probability = 0.1 * double(random.UniformRange(0, 5));
    o->jobmanagers = static_cast<int>(random.UniformRange(1, 2));
    // Drawn last, and only for two JobManagers, so that the draws above stay as they were.
    if (o->jobmanagers == 2) o->lease_duration_ms = random.UniformRange(300, 1000);
    // Half the runs draw another restart strategy (after the draws above, which stay as they
    // were): a failure-rate strategy may give up under chaos, which the restart-strategy
    // invariant then judges; an exponential delay here restarts for ever.
    if (random.Bernoulli(0.5)) {
      o->restart = DrawRestartStrategy(random, /*may_give_up_at_once=*/false, /*lenient=*/true);
    }
    // Retention, and in a third of the runs uneven input splits, so that a source finishes
    // early and later checkpoints share its final state with ones being deleted.
    o->checkpoints_retained = static_cast<int>(random.UniformRange(1, 3));
    if (random.Bernoulli(1.0 / 3)) {
      o->split_weights.assign(o->input_splits, 1);
      for (size_t i = 1; i < o->split_weights.size(); ++i) {
        o->split_weights[i] = static_cast<int>(random.UniformRange(2, 6));
      }
    }
    // Concurrent checkpoints, a pause after each, tolerated expiries (Flink's defaults in half).
    if (random.Bernoulli(0.5)) {
      o->checkpoint_max_concurrent = static_cast<int>(random.UniformRange(1, 3));
      o->checkpoint_min_pause_ms = random.UniformRange(0, o->checkpoint_interval_ms);
      o->checkpoint_tolerable_failed = static_cast<int>(random.UniformRange(0, 2));
    }
    o->local_recovery = random.Bernoulli(0.5);
    // Unaligned checkpoints in one run in four (one checkpoint at a time, as they need).
    o->unaligned = random.Bernoulli(0.25);
    if (o->unaligned) o->checkpoint_max_concurrent = 1;
    // Keyed state in RocksDB with incremental checkpoints in one run in eight (drawn last, so
    // that the draws above stay as they were); rocksdb-chaos runs it in every run.
    if (random.Bernoulli(0.125)) UseRocksDb(random, /*incremental=*/true, o);
    *drawn = Drawn{o->taskmanagers, o->jobmanagers, o->lease_duration_ms, o->heartbeat_timeout_ms};
  };
  spec.nemesis = [drawn](Random& random, const NemesisContext& c) {
    // The kinds the table marks for chaos, in table order (which the seeds' draws depend on).
    static const std::vector<FaultKind> kinds = [] {
      std::vector<FaultKind> chaos;
      for (const FaultKindInfo& info : FaultKinds()) {
        if (info.chaos) chaos.push_back(info.kind);
      }
      return chaos;
    }();
    std::vector<FaultRecord> faults;
    const std::string corruptible = WordCountCluster::kCheckpointCopyDirs[random.Uniform(2)];
    drawn->corruptible = corruptible;
    const int count = static_cast<int>(random.UniformRange(3, 10));
    for (int i = 0; i < count; ++i) {
      const int64_t at = random.UniformRange(50, std::max<int64_t>(100, c.expected_ms));
      for (auto& f : DrawFault(random, c, kinds[random.Uniform(kinds.size())], at, corruptible)) {
        faults.push_back(f);
      }
    }
    // Drawn after the faults above, so that they stay as they were.
    if (random.Bernoulli(0.2)) {
      faults.push_back({.at_ms = random.UniformRange(c.expected_ms / 10, c.expected_ms * 7 / 10),
                        .kind = FaultKind::kPause, .host = PickHost(random, c.taskmanagers),
                        .duration_ms = 120 * 1000});
    }
    // Drawn last too: in one run in five the job is redeployed at another parallelism from its
    // latest checkpoint (as in rescale), amid the faults above. It leaves one TaskManager's slots
    // spare, as an operator would: a hung TaskManager (above) holds its slots for good. Not with
    // unaligned checkpoints: their in-flight data is not restored at another parallelism.
    if (!c.cluster->unaligned && random.Bernoulli(0.2)) {
      const int spare = c.cluster->slots_per_taskmanager;
      const int slots = static_cast<int>(c.taskmanagers.size()) * spare;
      std::vector<int> targets;
      for (int p : c.rescale_targets()) {
        if (p <= slots - spare) targets.push_back(p);
      }
      if (targets.size() >= 2) {
        int parallelism = c.cluster->parallelism;
        while (parallelism == c.cluster->parallelism) {
          parallelism = targets[random.Uniform(targets.size())];
        }
        faults.push_back({.at_ms = random.UniformRange(c.expected_ms / 10, c.expected_ms / 2),
                          .kind = FaultKind::kRescale,
                          .factor = static_cast<double>(parallelism)});
      }
    }
    return faults;
  };
  spec.react = [drawn](Random& random, const std::string& host, std::string_view category,
                       EventFields fields, int reactions) -> std::vector<FaultRecord> {
    if (reactions >= 2) return {};
    if (category == "job.restarting" && drawn->jobmanagers == 2 &&
        drawn->heartbeat_timeout_ms > drawn->lease_ms + 600 && random.Bernoulli(0.5)) {
      // The leader stalls past its lease (the standby takes over) but not past the TaskManagers'
      // heartbeat timeout (their sessions with it stay open).
      return {{.at_ms = 0, .kind = FaultKind::kPause, .host = host,
               .duration_ms = random.UniformRange(drawn->lease_ms + 300,
                                                  drawn->heartbeat_timeout_ms - 300)}};
    }
    if (category != "checkpoint.completed") return {};
    const std::string checkpoint = "chk-" + std::to_string(FieldValue(fields, "checkpoint"));
    if (random.Bernoulli(0.02)) {
      const std::string file = checkpoint + "/0-0-";
      const std::string victim =
          "taskmanager-" + std::to_string(1 + random.Uniform(drawn->taskmanagers));
      return {{.at_ms = 0, .kind = FaultKind::kDiskCorruption, .host = "checkpoint-store",
               .peer = WordCountCluster::kCheckpointCopyDirs[0] + file},
              {.at_ms = 0, .kind = FaultKind::kDiskCorruption, .host = "checkpoint-store",
               .peer = WordCountCluster::kCheckpointCopyDirs[1] + file},
              {.at_ms = 1, .kind = FaultKind::kCrash, .host = victim},
              {.at_ms = random.UniformRange(100, 900), .kind = FaultKind::kRestart, .host = victim}};
    }
    if (!drawn->corruptible.empty() && random.Bernoulli(0.03)) {
      // Within the budget: one disk's copy of the metadata just written is damaged and the
      // leader crashes, so that the JobManager that recovers reads it (and must verify it).
      return {{.at_ms = 0, .kind = FaultKind::kDiskCorruption, .host = "checkpoint-store",
               .peer = drawn->corruptible + checkpoint + "/_metadata"},
              {.at_ms = 1, .kind = FaultKind::kCrash, .host = host},
              {.at_ms = random.UniformRange(100, 900), .kind = FaultKind::kRestart, .host = host}};
    }
    return {};
  };
  return spec;
}

}  // namespace

ScenarioResult RunWordCountChaos(const ScenarioOptions& options) {
  return RunWordCountScenario(ChaosSpec(), options);
}

// rocksdb-chaos: the chaos mix (above) with keyed state in RocksDB (state.backend.type: rocksdb),
// write buffers and levels small enough that every run flushes and compacts, and incremental
// checkpoints in three runs in four. The failure class: the state backend's own I/O amid
// everything else. RocksDB writes SST files, a MANIFEST and CURRENT on the TaskManagers' disks,
// which the nemesis fills, slows, fails and crashes (a flush or compaction that fails must fail
// the task, never lose an update or let a half-written instance serve reads); snapshots iterate
// SSTs that compactions replace; incremental checkpoints share SST files that retention must
// not delete while a retained checkpoint names them, and that restores download (natively at
// the same parallelism, by copying key-group ranges on a rescale); and the simulator must stay
// deterministic with RocksDB inside (no thread, clock or id of RocksDB's own may leak).
ScenarioResult RunRocksDbChaos(const ScenarioOptions& options) {
  WordCountScenarioSpec spec = ChaosSpec();
  spec.name = "rocksdb-chaos";
  spec.configure = [configure = spec.configure](Random& random, WordCountClusterOptions* o) {
    configure(random, o);
    // Drawn after the chaos draws, so that those stay as chaos draws them for the seed (a seed
    // that drew RocksDB there draws again here).
    UseRocksDb(random, /*incremental=*/random.Bernoulli(0.75), o);
  };
  return RunWordCountScenario(spec, options);
}

// jm-partition: the JobManager loses TaskManagers without any connection breaking.
// Silent partitions (traffic held both ways) outlast the heartbeat timeout, and one TaskManager
// stalls (a long GC pause) for longer than the run may take: only heartbeat timeouts can tell,
// and a JobManager that does not act on them waits for a TaskManager that never answers.
// The stalled TaskManager's tasks must not commit anything after the failover (they receive no
// notifications from the new attempt), which the exactly-once check verifies.
ScenarioResult RunWordCountJmPartition(const ScenarioOptions& options) {
  WordCountScenarioSpec spec;
  spec.name = "jm-partition";
  spec.liveness_bound_ms = 20 * 1000;
  spec.nemesis = [](Random& random, const NemesisContext& c) {
    std::vector<FaultRecord> faults;
    const std::string silent = PickHost(random, c.taskmanagers);
    const int64_t at = random.UniformRange(c.expected_ms / 10, c.expected_ms / 2);
    const int64_t duration = random.UniformRange(1500, 4000);
    faults.push_back({.at_ms = at, .kind = FaultKind::kPartitionOneWay, .host = c.jobmanager,
                      .duration_ms = duration, .peer = silent});
    faults.push_back({.at_ms = at, .kind = FaultKind::kPartitionOneWay, .host = silent,
                      .duration_ms = duration, .peer = c.jobmanager});
    std::string stalled = PickHost(random, c.taskmanagers);
    if (stalled == silent) stalled = Others(c.taskmanagers, silent).substr(0, stalled.size());
    faults.push_back({.at_ms = random.UniformRange(c.expected_ms / 10, c.expected_ms * 7 / 10),
                      .kind = FaultKind::kPause, .host = stalled, .duration_ms = 120 * 1000});
    return faults;
  };
  return RunWordCountScenario(spec, options);
}

// checkpoint-corruption: damaged checkpoint files. Right after a checkpoint completes,
// a file of its copy on the checkpoint store's first disk is corrupted (bit rot), torn writes are
// switched on at the checkpoint store, which then crashes, and the JobManager and a TaskManager
// crash so that recovery must read the damaged files. Engines that trust unchecked bytes restore
// garbage or the wrong checkpoint (Flink's FLINK-19596-style recovery from an incomplete
// checkpoint); the design answer is checksums and a second copy on another disk, never an older
// checkpoint once a newer one may have been committed. In about one reaction in eight both
// copies of one state file of the completed checkpoint are corrupted, beyond the fault budget,
// and a TaskManager crashes: the job must then end FAILED cleanly (data loss reported, nothing
// committed twice) or, if a newer checkpoint completed first, finish exactly once.
ScenarioResult RunWordCountCheckpointCorruption(const ScenarioOptions& options) {
  WordCountScenarioSpec spec;
  spec.name = "checkpoint-corruption";
  spec.nemesis = [](Random&, const NemesisContext&) { return std::vector<FaultRecord>{}; };
  spec.min_chaos_ms = 3500;
  spec.react = [](Random& random, const std::string&, std::string_view category,
                  EventFields fields, int reactions) -> std::vector<FaultRecord> {
    if (reactions >= 2 || category != "checkpoint.completed" || !random.Bernoulli(0.2)) return {};
    const std::string victim = "taskmanager-" + std::to_string(1 + random.Uniform(3));
    const int64_t tm_restart = random.UniformRange(100, 900);
    if (random.Bernoulli(0.12)) {
      // Beyond the budget: both copies of source subtask 0's state in the checkpoint just
      // completed (its "checkpoint" field), then a TaskManager crash, so that the same JobManager
      // restores it and finds it lost.
      const std::string file = "chk-" + std::to_string(FieldValue(fields, "checkpoint")) + "/0-0-";
      return {{.at_ms = 0, .kind = FaultKind::kDiskCorruption, .host = "checkpoint-store",
               .peer = WordCountCluster::kCheckpointCopyDirs[0] + file},
              {.at_ms = 0, .kind = FaultKind::kDiskCorruption, .host = "checkpoint-store",
               .peer = WordCountCluster::kCheckpointCopyDirs[1] + file},
              {.at_ms = 1, .kind = FaultKind::kCrash, .host = victim},
              {.at_ms = tm_restart, .kind = FaultKind::kRestart, .host = victim}};
    }
    return {{.at_ms = 0, .kind = FaultKind::kDiskCorruption, .host = "checkpoint-store",
             .peer = WordCountCluster::kCheckpointCopyDirs[0]},
            {.at_ms = 0, .kind = FaultKind::kDiskTornWrite, .host = "checkpoint-store"},
            {.at_ms = 1, .kind = FaultKind::kCrash, .host = "checkpoint-store"},
            {.at_ms = 1, .kind = FaultKind::kCrash, .host = "jobmanager"},
            {.at_ms = 1, .kind = FaultKind::kCrash, .host = victim},
            {.at_ms = 50, .kind = FaultKind::kRestart, .host = "checkpoint-store"},
            {.at_ms = random.UniformRange(100, 600), .kind = FaultKind::kRestart, .host = "jobmanager"},
            {.at_ms = tm_restart, .kind = FaultKind::kRestart, .host = victim}};
  };
  return RunWordCountScenario(spec, options);
}

// disk-full: the checkpoint store's disk fills up while checkpoints are being written
// (and, in some seeds, the output store's while sinks pre-commit). Writes fail with "no space";
// the failure class is engines that half-write a checkpoint and later trust it, or that lose or
// double output when a pre-commit fails. The task must fail cleanly, the restart strategy take
// over, and once space returns the job must finish exactly once.
ScenarioResult RunWordCountDiskFull(const ScenarioOptions& options) {
  WordCountScenarioSpec spec;
  spec.name = "disk-full";
  spec.configure = [](Random&, WordCountClusterOptions* o) { o->restart = RestartStrategyConfig::FixedDelay(1000, 200); };
  spec.nemesis = [](Random& random, const NemesisContext& c) {
    std::vector<FaultRecord> faults;
    const int count = static_cast<int>(random.UniformRange(1, 3));
    for (int i = 0; i < count; ++i) {
      const std::string& store = random.Bernoulli(0.7) ? c.stores[2] : c.stores[1];
      faults.push_back({.at_ms = random.UniformRange(100, c.expected_ms), .kind = FaultKind::kDiskFull,
                        .host = store, .duration_ms = random.UniformRange(200, 2500)});
    }
    return faults;
  };
  return RunWordCountScenario(spec, options);
}

// clog-skew: FoundationDB's swizzle clogging (clog several hosts one by one, unclog
// them in another order) plus pauses and clock skew on the JobManager. Timeouts computed from
// skewed or jumping clocks, and messages stuck behind clogged links, are where heartbeat and
// checkpoint-timeout logic declares the wrong party dead or never declares anyone dead.
ScenarioResult RunWordCountClogSkew(const ScenarioOptions& options) {
  WordCountScenarioSpec spec;
  spec.name = "clog-skew";
  spec.configure = [](Random&, WordCountClusterOptions* o) { o->restart = RestartStrategyConfig::FixedDelay(1000, 200); };
  spec.nemesis = [](Random& random, const NemesisContext& c) {
    std::vector<FaultRecord> faults;
    std::vector<std::string> hosts = AllHosts(c);
    // Swizzle: clog a random subset one by one, then unclog it in a different (shuffled) order.
    std::vector<std::string> clogged;
    for (const auto& h : hosts) {
      if (random.Bernoulli(0.5)) clogged.push_back(h);
    }
    int64_t at = random.UniformRange(100, c.expected_ms / 2);
    for (const auto& h : clogged) {
      faults.push_back({.at_ms = at, .kind = FaultKind::kClog, .host = h,
                        .factor = double(random.UniformRange(5, 50))});
      at += random.UniformRange(50, 400);
    }
    for (size_t i = clogged.size(); i > 1; --i) std::swap(clogged[i - 1], clogged[random.Uniform(i)]);
    for (const auto& h : clogged) {
      at += random.UniformRange(50, 400);
      faults.push_back({.at_ms = at, .kind = FaultKind::kUnclog, .host = h});
    }
    faults.push_back({.at_ms = random.UniformRange(0, c.expected_ms / 2), .kind = FaultKind::kClockSkew,
                      .host = c.jobmanager, .factor = double(random.UniformRange(-3000, 3000))});
    for (int i = static_cast<int>(random.UniformRange(1, 3)); i > 0; --i) {
      faults.push_back({.at_ms = random.UniformRange(100, c.expected_ms), .kind = FaultKind::kPause,
                        .host = c.jobmanager, .duration_ms = random.UniformRange(100, 2500)});
    }
    return faults;
  };
  return RunWordCountScenario(spec, options);
}

}  // namespace sluice::scenarios
