// Random: Sluice's own PRNG and distributions, so that a seed means the same run on every
// standard library and machine (std::*_distribution differs across implementations).
//
// Generator: xoshiro256** (Blackman & Vigna, 2018), seeded through SplitMix64. Uniform integers use
// Lemire's nearly-divisionless method (Lemire 2019, "Fast Random Integer Generation in an
// Interval"). Doubles come from the top 53 bits; IEEE arithmetic on one build is deterministic.
// Not thread-safe: one Random per host (the simulator forks one per simulated host). Never
// suspends.
#pragma once

#include <cstdint>

namespace sluice {

class Random {
 public:
  explicit Random(uint64_t seed);

  uint64_t NextU64();
  // Uniform in [0, bound). bound must be > 0.
  uint64_t Uniform(uint64_t bound);
  // Uniform in [lo, hi], inclusive. Requires lo <= hi.
  int64_t UniformRange(int64_t lo, int64_t hi);
  // Uniform double in [0, 1).
  double UniformDouble();
  // True with probability p (clamped to [0, 1]).
  bool Bernoulli(double p);
  // Exponentially distributed with the given mean (same unit as the mean), >= 0.
  double Exponential(double mean);
  // A new generator whose stream is derived from this one (advances this one by one draw).
  Random Fork();

 private:
  uint64_t s_[4];
};

}  // namespace sluice
