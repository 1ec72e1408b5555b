// The planted-bug catalog: deliberate mistakes compiled into the engine (guarded by
// SLUICE_BUG_PLANTED, off unless the simulator switches one on), each with the scenario whose
// seeds must catch it. `sluice sim sweep SCENARIO --plant-bug NAME --seeds 1..500 --fail-fast`
// must fail for every entry; without --plant-bug the same seeds pass.
#include "scenarios/scenario.h"

namespace sluice::scenarios {

std::vector<PlantedBugInfo> PlantedBugCatalog() {
  return {
      {"sink-commit-at-precommit", "crash-before-commit",
       "the two-phase-commit sink commits at pre-commit instead of on checkpoint completion"},
      {"ack-before-snapshot-durable", "crash-before-commit",
       "a task acknowledges a checkpoint before its snapshot is written and fsynced"},
      {"skip-barrier-alignment", "backpressure-crash",
       "records behind a barrier are processed before the snapshot (alignment skipped)"},
      {"source-offset-after-barrier", "tm-crash",
       "the source snapshots its offset after reading records past the barrier"},
      {"restore-latest-triggered", "tm-crash",
       "restore from the latest triggered checkpoint instead of the latest completed one"},
      {"enumerator-state-not-restored", "tm-crash",
       "after a failover the split enumerators start over from the discovered splits instead of "
       "the restored checkpoint's unassigned ones"},
      {"pending-commits-not-recovered", "crash-before-commit",
       "after a restore the sink does not commit the restored checkpoint's pending transactions"},
      {"commit-not-idempotent", "tm-crash",
       "committing an already committed transaction fails instead of succeeding"},
      {"heartbeat-timeout-ignored", "jm-partition",
       "the JobManager never acts on a TaskManager's heartbeat timeout"},
      {"notify-before-metadata-durable", "crash-before-commit",
       "the JobManager tells sinks to commit before the checkpoint's metadata is durable"},
      {"stale-epoch-accepted", "jm-failover",
       "a TaskManager obeys commands from a JobManager epoch older than its leader's"},
      {"metadata-not-checksummed", "checkpoint-corruption",
       "checkpoint metadata is written and read without its checksum"},
      {"fall-back-past-committed", "checkpoint-corruption",
       "when a restored checkpoint's state is lost, the job restores the one before it, "
       "although the lost one may have been committed"},
      {"shared-state-discarded", "checkpoint-retention",
       "deleting subsumed checkpoints also deletes state files a retained checkpoint still uses "
       "(a finished task's final state)"},
      {"unaligned-loses-in-flight", "unaligned-backpressure",
       "an unaligned checkpoint persists none of the buffers its barrier overtook in a task's "
       "input, so a restore loses them"},
      {"shared-sst-deleted-while-used", "rocksdb-chaos",
       "releasing a checkpoint that is no longer retained deletes every shared SST file it "
       "named, although the retained checkpoints still name some of them (incremental "
       "checkpoints)"},
      {"local-copy-newer-than-restored", "local-recovery",
       "local recovery reads the newest local state copy instead of the restored checkpoint's"},
      {"failure-rate-never-forgets", "restart-strategies",
       "the failure-rate restart strategy counts every failure of the job's life, not only those "
       "within its interval, and gives up too early"},
      {"region-sources-not-reset", "region-failover",
       "a region restarted alone does not give the splits its sources were assigned after the "
       "restored checkpoint back to the enumerator (no addSplitsBack): they are never read again"},
      {"rescale-drops-key-groups", "rescale",
       "restoring at another parallelism, a keyed operator's subtask reads one old subtask too "
       "few of those whose key groups overlap its own: their keys' state starts over"},
  };
}

}  // namespace sluice::scenarios
