#include "scenarios/scenario.h"
#include "scenarios/wordcount_tm_crash.h"

namespace sluice::scenarios {

std::vector<ScenarioInfo> ScenarioCatalog() {
  return {
      {"wordcount-tm-crash",
       "word count (2 sources, 4 counters, 3 TaskManagers); one TaskManager crashes mid-run and "
       "restarts; checks exactly-once output, a completed checkpoint and liveness",
       RunWordCountTmCrash},
  };
}

}  // namespace sluice::scenarios
