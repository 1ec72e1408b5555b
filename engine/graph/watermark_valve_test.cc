#include "engine/graph/watermark_valve.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sluice {
namespace {
namespace watermark_valve_test {

// What a valve hands downstream, as text: "w:5", "idle", "active".
class Downstream {
 public:
  void Take(const WatermarkValve::Output& out) {
    const Status status = EmitValveOutput(
        out,
        [this](int64_t watermark_ms) {
          events.push_back("w:" + std::to_string(watermark_ms));
          return Status::Ok();
        },
        [this](bool idle) {
          events.push_back(idle ? "idle" : "active");
          return Status::Ok();
        });
    EXPECT_TRUE(status.ok());
  }
  std::vector<std::string> events;
};

using Events = std::vector<std::string>;

TEST(WatermarkValveTest, AdvancesToTheMinimumOverInputs) {
  WatermarkValve valve(3);
  Downstream down;
  down.Take(valve.OnWatermark(0, 10));
  down.Take(valve.OnWatermark(1, 20));
  EXPECT_TRUE(down.events.empty()) << "input 2 has no watermark yet";
  down.Take(valve.OnWatermark(2, 5));
  down.Take(valve.OnWatermark(2, 30));
  down.Take(valve.OnWatermark(0, 8));  // behind its own: ignored
  down.Take(valve.OnWatermark(0, 25));
  EXPECT_EQ(down.events, (Events{"w:5", "w:10", "w:20"}));
  EXPECT_EQ(valve.watermark(), 20);
}

TEST(WatermarkValveTest, AnIdleInputStopsHoldingTheOthersBack) {
  WatermarkValve valve(2);
  Downstream down;
  down.Take(valve.OnWatermark(0, 100));
  down.Take(valve.OnWatermark(1, 10));
  down.Take(valve.OnStatus(1, true));  // input 1 held the minimum
  down.Take(valve.OnWatermark(0, 200));
  down.Take(valve.OnWatermark(1, 300));  // from an idle input: ignored
  EXPECT_EQ(down.events, (Events{"w:10", "w:100", "w:200"}));
  EXPECT_FALSE(valve.idle()) << "input 0 is still active";
}

TEST(WatermarkValveTest, AResumedInputBehindTheOutputWaitsUntilItCatchesUp) {
  WatermarkValve valve(2);
  Downstream down;
  down.Take(valve.OnWatermark(0, 50));
  down.Take(valve.OnWatermark(1, 40));
  down.Take(valve.OnStatus(1, true));
  down.Take(valve.OnWatermark(0, 100));
  down.Take(valve.OnStatus(1, false));   // active again at 40: not aligned (output is at 100)
  down.Take(valve.OnWatermark(0, 150));  // input 1 does not hold the output back
  down.Take(valve.OnWatermark(1, 120));  // still behind the output (150)
  down.Take(valve.OnWatermark(1, 160));  // caught up: aligned again
  down.Take(valve.OnWatermark(0, 300));  // now the minimum is input 1's
  EXPECT_EQ(down.events, (Events{"w:40", "w:50", "w:100", "w:150", "w:160"}));
}

TEST(WatermarkValveTest, AllIdleAdvancesToTheLargestWatermarkThenGoesIdle) {
  WatermarkValve valve(2);
  Downstream down;
  down.Take(valve.OnWatermark(0, 10));
  down.Take(valve.OnWatermark(1, 70));
  down.Take(valve.OnStatus(1, true));  // input 0 holds the minimum: nothing to do
  down.Take(valve.OnStatus(0, true));
  EXPECT_TRUE(valve.idle());
  down.Take(valve.OnStatus(0, true));  // already idle: nothing
  down.Take(valve.OnStatus(1, false));
  down.Take(valve.OnWatermark(1, 60));  // behind the output (70): ignored, not aligned
  down.Take(valve.OnWatermark(1, 90));
  EXPECT_EQ(down.events, (Events{"w:10", "w:70", "idle", "active", "w:90"}));
  EXPECT_FALSE(valve.idle());
}

TEST(WatermarkValveTest, AFinishedInputWithTheOthersIdleReleasesEverything) {
  // A finished input sent kMaxWatermark; with every other input idle nothing holds the output
  // back, so it jumps to kMaxWatermark (as Flink's does): records of the idle input that resume
  // later are late.
  WatermarkValve valve(2);
  Downstream down;
  down.Take(valve.OnWatermark(1, 5));
  down.Take(valve.OnWatermark(0, kMaxWatermark));
  down.Take(valve.OnStatus(1, true));
  EXPECT_EQ(down.events, (Events{"w:5", "w:" + std::to_string(kMaxWatermark)}));
}

TEST(WatermarkValveTest, StatusChangesOfOneInputAloneFollowIt) {
  WatermarkValve valve(1);
  Downstream down;
  down.Take(valve.OnWatermark(0, 1));
  down.Take(valve.OnStatus(0, true));
  down.Take(valve.OnStatus(0, false));
  down.Take(valve.OnWatermark(0, 2));
  EXPECT_EQ(down.events, (Events{"w:1", "idle", "active", "w:2"}));
}

}  // namespace watermark_valve_test
}  // namespace
}  // namespace sluice
