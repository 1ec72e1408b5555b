#include "tools/fault_shrink.h"

#include <algorithm>
#include <map>
#include <string>

#include "engine/base/assert.h"
#include "tools/fault_schedule.h"

namespace sluice::tools {
namespace {

constexpr int kLaterStepsMax = 10;  // binary-search steps per fault: resolution range / 1024

class Shrinker {
 public:
  Shrinker(const ShrinkLimits& limits, const StillFails& still_fails)
      : limits_(limits), still_fails_(still_fails) {}

  // Whether the run bound is reached; call only when there is more to try, as it records that the
  // bound cut the shrinking short.
  bool exhausted() {
    if (runs_ < limits_.runs_max) return false;
    bound_hit_ = true;
    return true;
  }
  int runs() const { return runs_; }
  bool bound_hit() const { return bound_hit_; }

  // Whether `candidate` still fails; false without running once the bound is reached.
  bool Test(const FaultSchedule& candidate) {
    const std::string key = FaultScheduleFileText(candidate);
    if (auto cached = tested_.find(key); cached != tested_.end()) return cached->second;
    if (exhausted()) return false;
    ++runs_;
    const bool fails = still_fails_(candidate);
    tested_.emplace(key, fails);
    return fails;
  }

  FaultSchedule DeltaDebug(FaultSchedule faults);
  void MoveLater(FaultSchedule& faults);
  void Shorten(FaultSchedule& faults);

 private:
  const ShrinkLimits& limits_;
  const StillFails& still_fails_;
  int runs_ = 0;
  bool bound_hit_ = false;
  std::map<std::string, bool> tested_;  // schedule text → still fails
};

// `faults` split into `n` consecutive chunks whose sizes differ by at most one.
std::vector<FaultSchedule> Split(const FaultSchedule& faults, size_t n) {
  SLUICE_ASSERT(n >= 1, "a schedule splits into at least one chunk");
  SLUICE_ASSERT(n <= faults.size(), "no more chunks than faults");
  std::vector<FaultSchedule> chunks;
  size_t begin = 0;
  for (size_t i = 0; i < n; ++i) {
    const size_t end = begin + (faults.size() - begin) / (n - i);
    chunks.emplace_back(faults.begin() + begin, faults.begin() + end);
    begin = end;
  }
  SLUICE_ASSERT(begin == faults.size(), "the chunks cover the schedule");
  return chunks;
}

FaultSchedule Without(const std::vector<FaultSchedule>& chunks, size_t skipped) {
  FaultSchedule rest;
  for (size_t i = 0; i < chunks.size(); ++i) {
    if (i != skipped) rest.insert(rest.end(), chunks[i].begin(), chunks[i].end());
  }
  return rest;
}

FaultSchedule Shrinker::DeltaDebug(FaultSchedule faults) {
  if (faults.empty() || Test({})) return {};
  size_t n = 2;
  while (faults.size() >= 2 && !exhausted()) {
    const std::vector<FaultSchedule> chunks = Split(faults, std::min(n, faults.size()));
    bool reduced = false;
    for (size_t i = 0; i < chunks.size() && !reduced; ++i) {
      if (Test(chunks[i])) {
        faults = chunks[i];
        n = 2;
        reduced = true;
      }
    }
    // With two chunks each complement is the other chunk, already tried.
    for (size_t i = 0; chunks.size() > 2 && i < chunks.size() && !reduced; ++i) {
      FaultSchedule complement = Without(chunks, i);
      if (Test(complement)) {
        faults = std::move(complement);
        n = std::max<size_t>(n - 1, 2);
        reduced = true;
      }
    }
    if (!reduced) {
      if (chunks.size() >= faults.size()) break;  // single faults tried: 1-minimal
      n = std::min(n * 2, faults.size());
    }
  }
  return faults;
}

void Shrinker::MoveLater(FaultSchedule& faults) {
  for (size_t i = faults.size(); i-- > 0;) {
    const int64_t bound = i + 1 < faults.size() ? faults[i + 1].at_ms : limits_.end_ms;
    int64_t low = faults[i].at_ms;  // still fails here
    int64_t high = bound;           // latest time worth trying
    if (low < high && !exhausted()) {
      // The bound itself first: often the fault matters only in its order, not its time.
      FaultSchedule candidate = faults;
      candidate[i].at_ms = high;
      if (Test(candidate)) {
        low = high;
      } else {
        --high;
      }
    }
    for (int step = 0; step < kLaterStepsMax && low < high && !exhausted(); ++step) {
      const int64_t middle = low + (high - low + 1) / 2;
      FaultSchedule candidate = faults;
      candidate[i].at_ms = middle;
      if (Test(candidate)) {
        low = middle;
      } else {
        high = middle - 1;
      }
    }
    faults[i].at_ms = low;
  }
}

void Shrinker::Shorten(FaultSchedule& faults) {
  for (size_t i = 0; i < faults.size(); ++i) {
    while (faults[i].duration_ms >= 2 && !exhausted()) {
      FaultSchedule candidate = faults;
      candidate[i].duration_ms = faults[i].duration_ms / 2;
      if (!Test(candidate)) break;
      faults = std::move(candidate);
    }
  }
}

}  // namespace

std::string_view FailureKind(std::string_view failure) {
  const size_t line_end = failure.find('\n');
  const std::string_view first_line = failure.substr(0, line_end);
  return first_line.substr(0, first_line.find(':'));
}

ShrinkResult ShrinkFaultSchedule(const FaultSchedule& failing, const ShrinkLimits& limits,
                                 const StillFails& still_fails) {
  Shrinker shrinker(limits, still_fails);
  ShrinkResult result;
  result.faults = shrinker.DeltaDebug(failing);
  shrinker.MoveLater(result.faults);
  shrinker.Shorten(result.faults);
  result.runs = shrinker.runs();
  result.runs_bound_hit = shrinker.bound_hit();
  return result;
}

}  // namespace sluice::tools
