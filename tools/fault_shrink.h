// Shrinking a failing fault schedule (`sluice sim shrink`): Zeller's delta debugging (ddmin) over
// the list of faults, then each remaining fault moved as late and made as short as it can be while
// the run still fails. The caller decides what "still fails" means and runs the scenario; this
// file only chooses candidates, so it is pure logic and testable without a simulator.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "scenarios/scenario.h"

namespace sluice::tools {

using FaultSchedule = std::vector<scenarios::FaultRecord>;

// What "fails the same way" compares: a failure text's prefix up to its first ':' (the invariant
// that failed, e.g. "exactly once"), or its first line if it has no ':'.
std::string_view FailureKind(std::string_view failure);

// One run of the scenario with `candidate` as its schedule: true if it still fails the same way.
using StillFails = std::function<bool(const FaultSchedule& candidate)>;

struct ShrinkLimits {
  int runs_max = 198;  // calls of StillFails (candidates tried twice are remembered, not rerun)
  int64_t end_ms = 0;  // no fault is moved later than this (the failing run's simulated end)
};

struct ShrinkResult {
  FaultSchedule faults;  // still fails (the input itself if nothing smaller did)
  int runs = 0;          // calls of StillFails
  bool runs_bound_hit = false;
};

// `failing` must be a schedule for which StillFails holds. Steps, in order, each within the bound:
//  1. the empty schedule;
//  2. ddmin: split the list into n chunks (n = 2, 4, ... up to one fault per chunk), keep any
//     chunk or complement of a chunk that still fails;
//  3. from the last fault to the first: the latest at_ms that still fails, up to the next fault's
//     at_ms (order is kept) or end_ms: that bound first, then at most 10 binary-search steps;
//  4. halve each duration_ms while it still fails (down to 1 ms).
ShrinkResult ShrinkFaultSchedule(const FaultSchedule& failing, const ShrinkLimits& limits,
                                 const StillFails& still_fails);

}  // namespace sluice::tools
