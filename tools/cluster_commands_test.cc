#include "tools/cluster_commands.h"

#include <gtest/gtest.h>

namespace sluice::tools {
namespace {

TEST(HalfwayLineBoundaryTest, SplitsAfterANewlineNearTheMiddle) {
  EXPECT_EQ(HalfwayLineBoundary(""), 0u);
  EXPECT_EQ(HalfwayLineBoundary("a\nb\n"), 2u);
  EXPECT_EQ(HalfwayLineBoundary("aaaa\nb\n"), 5u);
  EXPECT_EQ(HalfwayLineBoundary("no newline"), 10u);
  EXPECT_EQ(HalfwayLineBoundary("one line\n"), 9u);  // part-1 is empty
  const std::string text = "l1\nl2\nl3\nl4\n";
  const size_t split = HalfwayLineBoundary(text);
  EXPECT_EQ(text[split - 1], '\n');
  EXPECT_EQ(split, 6u);
}

}  // namespace
}  // namespace sluice::tools
