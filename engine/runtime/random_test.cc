#include "engine/runtime/random.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(RandomTest, SameSeedSameStream) {
  Random a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) {
    uint64_t x = a.NextU64();
    EXPECT_EQ(x, b.NextU64());
    if (i == 0) {
      EXPECT_NE(x, c.NextU64());
    }
  }
}

TEST(RandomTest, UniformStaysInBoundsAndCoversThem) {
  Random r(1);
  int seen[10] = {};
  for (int i = 0; i < 10000; ++i) {
    uint64_t v = r.Uniform(10);
    ASSERT_LT(v, 10u);
    ++seen[v];
  }
  for (int count : seen) EXPECT_GT(count, 800);
  for (int i = 0; i < 1000; ++i) {
    int64_t v = r.UniformRange(-3, 3);
    EXPECT_GE(v, -3);
    EXPECT_LE(v, 3);
  }
}

TEST(RandomTest, ExponentialHasRoughlyItsMean) {
  Random r(5);
  double sum = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) sum += r.Exponential(10.0);
  EXPECT_NEAR(sum / n, 10.0, 0.5);
}

TEST(RandomTest, BernoulliExtremes) {
  Random r(9);
  for (int i = 0; i < 100; ++i) {
    EXPECT_FALSE(r.Bernoulli(0.0));
    EXPECT_TRUE(r.Bernoulli(1.0));
  }
}

}  // namespace
}  // namespace sluice
