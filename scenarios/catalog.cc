#include "scenarios/scenario.h"
#include "scenarios/wordcount_scenarios.h"
#include "scenarios/wordcount_tm_crash.h"

namespace sluice::scenarios {

std::vector<ScenarioInfo> ScenarioCatalog() {
  std::vector<ScenarioInfo> catalog = {
      {"tm-crash",
       "word count (2 sources, 4 counters, 3 TaskManagers); one TaskManager crashes mid-run and "
       "restarts; checks exactly-once output, a completed checkpoint and liveness",
       RunWordCountTmCrash},
      {"crash-before-commit",
       "a TaskManager crashes right after a sink pre-commits or a checkpoint completes, before "
       "the commit; checks exactly once",
       RunWordCountCrashBeforeCommit},
      {"backpressure-crash",
       "one source's links are slow, and a TaskManager crashes mid-alignment; checks exactly once",
       RunWordCountBackpressureCrash},
      {"unaligned-backpressure",
       "unaligned checkpoints with tight credits, fast sources and slow links, TaskManagers "
       "crashing as checkpoints trigger, so in-flight buffers are checkpointed and restored; "
       "checks exactly once",
       RunUnalignedBackpressure},
      {"autoscale",
       "reactive mode with the job autoscaler while the input rate steps up and down and records "
       "cost simulated CPU time; the job rescales out and back in, a TaskManager may crash amid "
       "it; checks exactly once",
       RunAutoscale},
      {"restart-exhausted",
       "more crashes than the restart strategy allows: the job must end FAILED cleanly with a "
       "consistent cut committed (or finish exactly once)",
       RunWordCountRestartExhausted},
      {"restart-strategies",
       "TaskManagers crash again and again under a restart strategy drawn from the seed (none, "
       "fixed-delay, failure-rate, exponential-delay); checks every restart decision and delay "
       "against a model of the strategy, and exactly once (or a consistent cut if it gave up)",
       RunRestartStrategies},
      {"checkpoint-retention",
       "uneven input splits, so one source finishes early and later checkpoints share its final "
       "state; old checkpoints are deleted (num-retained 1..3) and a TaskManager crashes after a "
       "deletion; checks exactly once",
       RunCheckpointRetention},
      {"local-recovery",
       "local recovery on: TaskManagers crash in a loop and right after tasks acknowledge a "
       "checkpoint, so surviving tasks hold local copies newer than the checkpoint restored; "
       "checks exactly once",
       RunLocalRecovery},
      {"region-failover",
       "the tokens job by default (a pipelined region per source, splits read on demand); the "
       "input store fails reads in bursts and now and then a TaskManager crashes, so single "
       "regions restart while the others run on; checks exactly once",
       RunRegionFailover, "tokens"},
      {"rescale",
       "the job is redeployed one to three times at another parallelism drawn from the seed, "
       "restoring its latest retained checkpoint with keyed and operator state redistributed, "
       "with TaskManager and JobManager crashes around and during the rescaled restore; checks "
       "exactly once",
       RunRescale},
      {"reactive",
       "reactive mode (scheduler-mode: reactive): TaskManagers leave and join again and again, "
       "so the job rescales in and out from its latest checkpoint, also while a TaskManager "
       "leaves mid-rescale; checks exactly once",
       RunReactive},
      {"chaos",
       "every fault kind at random within the fault budget, on a swarm-drawn configuration, with "
       "fault points on, plus now and then a hung TaskManager, a leader stalled past its lease "
       "as it restarts the job, or a checkpoint lost beyond the budget; checks exactly once and "
       "liveness after the heal",
       RunWordCountChaos},
      {"rocksdb-chaos",
       "the chaos mix with keyed state in RocksDB (state.backend.type: rocksdb) and small write "
       "buffers, so that flushes and compactions run amid TaskManager disk faults, crashes and "
       "restores; checks exactly once and liveness after the heal",
       RunRocksDbChaos},
      {"jm-partition",
       "silent partitions between the JobManager and a TaskManager outlast the heartbeat timeout, "
       "and a TaskManager stalls for good; checks exactly once and liveness",
       RunWordCountJmPartition},
      {"checkpoint-corruption",
       "one disk's copy of the latest checkpoint's files is corrupted and torn, then the stores "
       "and processes crash; recovery must read the other copy; in some seeds both disks are hit "
       "(beyond the fault budget) and a clean FAILED passes; checks exactly once",
       RunWordCountCheckpointCorruption},
      {"disk-full",
       "the checkpoint (or output) store's disk fills up during checkpoints; checks exactly once",
       RunWordCountDiskFull},
      {"clog-skew",
       "swizzle clogging, pauses and clock skew on the JobManager; checks exactly once and "
       "liveness",
       RunWordCountClogSkew},
      {"jm-failover",
       "two JobManagers electing a leader on etcd; the leader is crashed, cut off from etcd or "
       "the checkpoint store, or paused past its lease (also right before a restart deploys), "
       "and etcd itself crashes; checks fencing, exactly once and liveness",
       RunWordCountJmFailover},
  };
  // Until issue 8 the scenarios were named after the one job they ran; those names still work.
  for (ScenarioInfo& info : catalog) {
    if (info.name == "restart-strategies" || info.name == "checkpoint-retention" ||
        info.name == "local-recovery" || info.name == "region-failover" ||
        info.name == "rescale" || info.name == "reactive" || info.name == "rocksdb-chaos") {
      continue;
    }
    info.aliases.push_back("wordcount-" + info.name);
  }
  return catalog;
}

}  // namespace sluice::scenarios
