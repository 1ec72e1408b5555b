// FaultInjection: how engine code names its fault points and planted bugs, and how the simulator
// decides (FoundationDB's BUGGIFY; TigerBeetle's VOPR swarm switches). Real hosts use
// NoFaultInjection: every answer is false, so production takes only the usual paths.
//
//   if (host.faults.Buggify("checkpoint.decline")) return AbortedError("declined (fault point)");
//   if (SLUICE_BUG_PLANTED(host, "sink-commit-at-precommit")) ...
//
// A fault point is a named call site where an unusual but legal path is taken on purpose (an
// early error, a delay, a duplicate message). In simulation each fault point is switched on for
// the whole run with a seeded probability the first time it is reached, and then fires with a
// seeded probability each time. A planted bug is a deliberate mistake compiled into the engine to
// prove that the simulator catches it; builds with -DSLUICE_PLANTED_BUGS=OFF compile them out.
// Never suspends; deterministic given the run's seed.
#pragma once

#include <string_view>

namespace sluice {

class FaultInjection {
 public:
  virtual ~FaultInjection() = default;
  // True when the unusual path at `fault_point` should be taken this time.
  virtual bool Buggify(std::string_view fault_point) = 0;
  // True when planted bug `bug` is switched on for this run.
  virtual bool BugPlanted(std::string_view bug) const = 0;
  // True when SLUICE_ASSERT_SIM checks (engine/base/assert.h) should run: the simulator's answer
  // is yes, a real host's no (they cost more than the work they guard).
  virtual bool ExpensiveChecks() const = 0;
};

class NoFaultInjection final : public FaultInjection {
 public:
  bool Buggify(std::string_view) override { return false; }
  bool BugPlanted(std::string_view) const override { return false; }
  bool ExpensiveChecks() const override { return false; }
};

}  // namespace sluice

#if defined(SLUICE_PLANTED_BUGS) && SLUICE_PLANTED_BUGS
#define SLUICE_BUG_PLANTED(host, bug) ((host).faults.BugPlanted(bug))
#else
#define SLUICE_BUG_PLANTED(host, bug) false
#endif
