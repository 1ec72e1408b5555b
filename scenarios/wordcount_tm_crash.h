// Scenario tm-crash (see wordcount_tm_crash.cc for what it aims at).
#pragma once

#include <cstdint>

#include "scenarios/scenario.h"

namespace sluice::scenarios {

// The scenario's fault schedule: which TaskManager (0-based) crashes when, and when it restarts.
struct CrashSchedule {
  int taskmanager = 0;
  int64_t crash_ms = 1000;
  int64_t restart_ms = 2000;  // must be >= crash_ms
};

// Draws the schedule from the seed and runs it.
ScenarioResult RunWordCountTmCrash(const ScenarioOptions& options);
// Runs word count on the three-TaskManager cluster under an explicit crash schedule (property
// tests choose schedules themselves). The world is still seeded by options.seed.
ScenarioResult RunWordCountWithCrash(const ScenarioOptions& options, const CrashSchedule& schedule);

}  // namespace sluice::scenarios
