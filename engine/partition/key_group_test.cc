#include "engine/partition/key_group.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(KeyGroupTest, JavaStringHashMatchesJava) {
  // Values from java.lang.String#hashCode.
  EXPECT_EQ(JavaStringHash(""), 0);
  EXPECT_EQ(JavaStringHash("a"), 97);
  EXPECT_EQ(JavaStringHash("hello"), 99162322);
  EXPECT_EQ(JavaStringHash("the quick brown fox"), 1302335171);
}

TEST(KeyGroupTest, MurmurHashIsNonNegativeAndMatchesFlink) {
  // Flink's MathUtils.murmurHash, computed with its Java source on OpenJDK 17.
  EXPECT_EQ(FlinkMurmurHash(0), 593689054);
  EXPECT_EQ(FlinkMurmurHash(1), 68075478);
  EXPECT_EQ(KeyGroupForKey("hello", 128), 35);
  EXPECT_EQ(KeyGroupForKey("word", 128), 93);
  for (int32_t code : {-1, 7, INT32_MIN, INT32_MAX, 99162322}) EXPECT_GE(FlinkMurmurHash(code), 0);
}

TEST(KeyGroupTest, RangesMatchFlinkForSmallExample) {
  // maxP 128, p 3: Flink gives [0,42], [43,85], [86,127].
  EXPECT_EQ(KeyGroupRangeForOperator(128, 3, 0).start, 0);
  EXPECT_EQ(KeyGroupRangeForOperator(128, 3, 0).end, 42);
  EXPECT_EQ(KeyGroupRangeForOperator(128, 3, 1).start, 43);
  EXPECT_EQ(KeyGroupRangeForOperator(128, 3, 1).end, 85);
  EXPECT_EQ(KeyGroupRangeForOperator(128, 3, 2).start, 86);
  EXPECT_EQ(KeyGroupRangeForOperator(128, 3, 2).end, 127);
}

TEST(KeyGroupTest, OperatorIndexAgreesWithRanges) {
  for (int max_p : {1, 7, 128, 300}) {
    for (int p = 1; p <= max_p; p += (max_p > 20 ? 13 : 1)) {
      for (int kg = 0; kg < max_p; ++kg) {
        const int index = OperatorIndexForKeyGroup(max_p, p, kg);
        ASSERT_TRUE(KeyGroupRangeForOperator(max_p, p, index).Contains(kg))
            << "maxP=" << max_p << " p=" << p << " kg=" << kg;
      }
    }
  }
}

}  // namespace
}  // namespace sluice
