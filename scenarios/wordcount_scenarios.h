// Word-count scenarios beyond tm-crash (see wordcount_scenarios.cc for what each aims at).
#pragma once

#include "scenarios/scenario.h"

namespace sluice::scenarios {

ScenarioResult RunWordCountCrashBeforeCommit(const ScenarioOptions& options);
ScenarioResult RunWordCountBackpressureCrash(const ScenarioOptions& options);
ScenarioResult RunUnalignedBackpressure(const ScenarioOptions& options);
ScenarioResult RunAutoscale(const ScenarioOptions& options);
ScenarioResult RunWordCountRestartExhausted(const ScenarioOptions& options);
ScenarioResult RunRegionFailover(const ScenarioOptions& options);
ScenarioResult RunWordCountChaos(const ScenarioOptions& options);
ScenarioResult RunRocksDbChaos(const ScenarioOptions& options);
ScenarioResult RunWordCountJmPartition(const ScenarioOptions& options);
ScenarioResult RunWordCountCheckpointCorruption(const ScenarioOptions& options);
ScenarioResult RunWordCountDiskFull(const ScenarioOptions& options);
ScenarioResult RunWordCountClogSkew(const ScenarioOptions& options);
ScenarioResult RunWordCountJmFailover(const ScenarioOptions& options);
ScenarioResult RunRestartStrategies(const ScenarioOptions& options);
ScenarioResult RunCheckpointRetention(const ScenarioOptions& options);
ScenarioResult RunLocalRecovery(const ScenarioOptions& options);
ScenarioResult RunRescale(const ScenarioOptions& options);
ScenarioResult RunReactive(const ScenarioOptions& options);

}  // namespace sluice::scenarios
