#include "engine/base/assert.h"

#include <gtest/gtest.h>

#include "engine/runtime/fault_injection.h"

namespace sluice {
namespace {
namespace assert_test {

struct FakeHost {  // SLUICE_ASSERT_SIM reads only host.faults
  FaultInjection& faults;
};

class ExpensiveChecksOn final : public FaultInjection {
 public:
  bool Buggify(std::string_view) override { return false; }
  bool BugPlanted(std::string_view) const override { return false; }
  bool ExpensiveChecks() const override { return true; }
};

TEST(AssertDeathTest, FailsWithTheReasonInEveryBuild) {
#ifdef NDEBUG
  // The build this runs in turns <cassert> off; SLUICE_ASSERT must still fire.
  SUCCEED() << "NDEBUG is defined";
#endif
  const int channels = 2;
  EXPECT_DEATH(SLUICE_ASSERT(channels > 3, "a gate has more than three channels"),
               "assertion failed at .*assert_test.cc:[0-9]+: channels > 3 \\(a gate has more "
               "than three channels\\)");
  SLUICE_ASSERT(channels == 2, "a passing assertion does nothing");
}

TEST(AssertDeathTest, SimulationOnlyChecksRunWhenTheHostAsksForThem) {
  int evaluated = 0;
  auto check = [&evaluated] {
    ++evaluated;
    return false;
  };
  NoFaultInjection real;
  FakeHost real_host{real};
  SLUICE_ASSERT_SIM(real_host, check(), "not evaluated on a real host");
  EXPECT_EQ(evaluated, 0) << "a real host skips expensive checks without evaluating them";

  ExpensiveChecksOn sim;
  FakeHost sim_host{sim};
  EXPECT_DEATH(SLUICE_ASSERT_SIM(sim_host, check(), "evaluated in simulation"),
               "evaluated in simulation");
}

}  // namespace assert_test
}  // namespace
}  // namespace sluice
