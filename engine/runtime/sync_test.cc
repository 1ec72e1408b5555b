#include "engine/runtime/sync.h"

#include <gtest/gtest.h>

#include <vector>

#include "engine/runtime/scheduler.h"

namespace sluice {
namespace {
namespace sync_test {

// Fibers over a bare Scheduler, without timers (deadlines unsupported here).
class SchedulerFibers final : public Fibers {
 public:
  explicit SchedulerFibers(Scheduler& s) : s_(s) {}
  FiberId Spawn(std::string name, std::function<void()> body) override {
    return s_.Spawn(1, std::move(name), std::move(body));
  }
  void Yield() override { s_.Yield(); }
  void SleepFor(int64_t) override { s_.Yield(); }
  void SleepUntil(int64_t) override { s_.Yield(); }
  void Join(FiberId id) override { s_.Join(id); }
  void Cancel(FiberId id) override { s_.Cancel(id); }
  FiberId Current() const override { return s_.Current(); }
  bool Park(int64_t) override { return s_.Park(); }
  void AccountWork(int64_t) override {}
  void Unpark(FiberId id) override { s_.Unpark(id); }

 private:
  Scheduler& s_;
};

TEST(ChannelTest, BoundedChannelBlocksTheProducerAndDrainsAfterClose) {
  Scheduler scheduler;
  SchedulerFibers fibers(scheduler);
  Channel<int> channel(fibers, 2);
  std::vector<int> received;
  int pushed = 0;
  fibers.Spawn("producer", [&] {
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(channel.Push(i));
      ++pushed;
    }
    channel.Close();
  });
  scheduler.RunOne();
  EXPECT_EQ(pushed, 2) << "the producer must block on a full channel";
  fibers.Spawn("consumer", [&] {
    while (auto v = channel.Pop()) received.push_back(*v);
  });
  while (scheduler.RunOne()) {
  }
  EXPECT_EQ(received, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_FALSE(channel.Push(9));
}

TEST(ChannelTest, CancelledWaiterLeavesTheWaitList) {
  Scheduler scheduler;
  SchedulerFibers fibers(scheduler);
  WaitList list;
  FiberId waiter = fibers.Spawn("waiter", [&] { list.Wait(fibers); });
  scheduler.RunOne();
  EXPECT_FALSE(list.empty());
  fibers.Cancel(waiter);
  while (scheduler.RunOne()) {
  }
  EXPECT_TRUE(list.empty());
}

}  // namespace sync_test
}  // namespace
}  // namespace sluice
