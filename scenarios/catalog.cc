#include "scenarios/scenario.h"
#include "scenarios/wordcount_scenarios.h"
#include "scenarios/wordcount_tm_crash.h"

namespace sluice::scenarios {

std::vector<ScenarioInfo> ScenarioCatalog() {
  return {
      {"wordcount-tm-crash",
       "word count (2 sources, 4 counters, 3 TaskManagers); one TaskManager crashes mid-run and "
       "restarts; checks exactly-once output, a completed checkpoint and liveness",
       RunWordCountTmCrash},
      {"wordcount-crash-before-commit",
       "a TaskManager crashes right after a sink pre-commits or a checkpoint completes, before "
       "the commit; checks exactly once",
       RunWordCountCrashBeforeCommit},
      {"wordcount-backpressure-crash",
       "one source's links are slow, and a TaskManager crashes mid-alignment; checks exactly once",
       RunWordCountBackpressureCrash},
      {"wordcount-restart-exhausted",
       "more crashes than the restart strategy allows: the job must end FAILED cleanly with a "
       "consistent cut committed (or finish exactly once)",
       RunWordCountRestartExhausted},
  };
}

}  // namespace sluice::scenarios
