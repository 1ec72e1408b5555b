#pragma once

#include "scenarios/scenario.h"

namespace sluice::scenarios {

ScenarioResult RunWordCountTmCrash(const ScenarioOptions& options);

}  // namespace sluice::scenarios
