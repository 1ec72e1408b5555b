// Word-count scenarios beyond wordcount-tm-crash (see wordcount_scenarios.cc for what each aims at).
#pragma once

#include "scenarios/scenario.h"

namespace sluice::scenarios {

ScenarioResult RunWordCountCrashBeforeCommit(const ScenarioOptions& options);
ScenarioResult RunWordCountBackpressureCrash(const ScenarioOptions& options);
ScenarioResult RunWordCountRestartExhausted(const ScenarioOptions& options);

}  // namespace sluice::scenarios
