#include "engine/runtime/scheduler.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sluice {
namespace {
namespace scheduler_test {

void RunAll(Scheduler& s) {
  while (s.RunOne()) {
  }
}

TEST(SchedulerTest, FibersInterleaveAtYield) {
  Scheduler s;
  std::vector<std::string> log;
  s.Spawn(1, "a", [&] {
    log.push_back("a1");
    s.Yield();
    log.push_back("a2");
  });
  s.Spawn(1, "b", [&] {
    log.push_back("b1");
    s.Yield();
    log.push_back("b2");
  });
  RunAll(s);
  EXPECT_EQ(log, (std::vector<std::string>{"a1", "b1", "a2", "b2"}));
  EXPECT_EQ(s.LiveCount(), 0u);
}

TEST(SchedulerTest, ParkWaitsForUnpark) {
  Scheduler s;
  bool woke = false;
  FiberId sleeper = s.Spawn(1, "sleeper", [&] { woke = s.Park(); });
  RunAll(s);
  EXPECT_FALSE(woke);
  EXPECT_TRUE(s.IsLive(sleeper));
  s.Unpark(sleeper);
  RunAll(s);
  EXPECT_TRUE(woke);
  EXPECT_FALSE(s.IsLive(sleeper));
}

TEST(SchedulerTest, JoinReturnsAfterTargetFinishes) {
  Scheduler s;
  std::vector<int> order;
  FiberId worker = s.Spawn(1, "worker", [&] {
    s.Yield();
    s.Yield();
    order.push_back(1);
  });
  s.Spawn(1, "joiner", [&] {
    s.Join(worker);
    order.push_back(2);
  });
  RunAll(s);
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

struct DestructorFlag {
  bool* flag;
  ~DestructorFlag() { *flag = true; }
};

TEST(SchedulerTest, CancelUnwindsParkedFiber) {
  Scheduler s;
  bool destroyed = false;
  bool after_park = false;
  FiberId f = s.Spawn(1, "victim", [&] {
    DestructorFlag guard{&destroyed};
    s.Park();
    after_park = true;
  });
  RunAll(s);
  s.Cancel(f);
  RunAll(s);
  EXPECT_TRUE(destroyed);
  EXPECT_FALSE(after_park);
  EXPECT_FALSE(s.IsLive(f));
}

TEST(SchedulerTest, KillGroupUnwindsOnlyThatGroupNewestFirst) {
  Scheduler s;
  std::vector<std::string> unwound;
  struct Note {
    std::vector<std::string>* log;
    std::string name;
    ~Note() { log->push_back(name); }
  };
  s.Spawn(1, "parent", [&] {
    Note note{&unwound, "parent"};
    s.Spawn(1, "child", [&] {
      Note child_note{&unwound, "child"};
      s.Park();
    });
    s.Park();
  });
  FiberId other = s.Spawn(2, "other", [&] { s.Park(); });
  RunAll(s);
  s.KillGroup(1);
  EXPECT_EQ(unwound, (std::vector<std::string>{"child", "parent"}));
  EXPECT_EQ(s.LiveCountInGroup(1), 0u);
  EXPECT_TRUE(s.IsLive(other));
}

TEST(SchedulerTest, RandomPickerIsDeterministicPerSeed) {
  auto run = [](uint64_t seed) {
    Scheduler s;
    Random picker(seed);
    s.SetPicker(&picker);
    std::string order;
    for (char c = 'a'; c <= 'h'; ++c) {
      s.Spawn(1, std::string(1, c), [&order, &s, c] {
        order.push_back(c);
        s.Yield();
        order.push_back(c);
      });
    }
    while (s.RunOne()) {
    }
    return order;
  };
  EXPECT_EQ(run(7), run(7));
  EXPECT_NE(run(7), run(8));
}

}  // namespace scheduler_test
}  // namespace
}  // namespace sluice
