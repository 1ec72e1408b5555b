// SimFaultInjection: the simulator's side of engine/runtime/fault_injection.h, one per World and
// shared by its hosts (a fault point's switch is a property of the run, as in FoundationDB).
// A fault point is switched on for the run with probability `enable` when first reached, and an
// enabled point fires with probability `fire` each time it is evaluated; both draws come from the
// run's seeded PRNG. Counts of evaluations that fired are kept per point for the run's report.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "engine/runtime/fault_injection.h"
#include "engine/runtime/random.h"

namespace sluice::sim {

class SimFaultInjection final : public FaultInjection {
 public:
  explicit SimFaultInjection(Random random) : random_(random) {}

  // 0, 0 (the default) switches every fault point off.
  void SetProbabilities(double enable, double fire) {
    enable_ = enable;
    fire_ = fire;
  }
  void PlantBug(std::string bug) { planted_ = std::move(bug); }

  bool Buggify(std::string_view fault_point) override {
    if (enable_ <= 0) return false;
    auto it = enabled_.find(fault_point);
    if (it == enabled_.end()) {
      it = enabled_.emplace(std::string(fault_point), random_.Bernoulli(enable_)).first;
    }
    if (!it->second || !random_.Bernoulli(fire_)) return false;
    ++fired_[it->first];
    return true;
  }
  bool BugPlanted(std::string_view bug) const override { return !planted_.empty() && bug == planted_; }
  bool ExpensiveChecks() const override { return true; }

  const std::map<std::string, uint64_t, std::less<>>& fired() const { return fired_; }
  const std::string& planted_bug() const { return planted_; }

 private:
  Random random_;
  double enable_ = 0;
  double fire_ = 0;
  std::string planted_;
  std::map<std::string, bool, std::less<>> enabled_;
  std::map<std::string, uint64_t, std::less<>> fired_;
};

}  // namespace sluice::sim
