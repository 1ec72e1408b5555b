// Credit-based flow control of the data plane (engine/exchange/data_plane.h) between a producer
// and a consumer host of a simulated world. (The test lives here, not beside data_plane.cc,
// because it needs the simulated network and engine/ must not depend on simnet/.)
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/base/bytes.h"
#include "engine/exchange/data_plane.h"
#include "engine/rpc/frame.h"
#include "scenarios/wordcount_scenarios.h"
#include "simnet/world.h"

namespace sluice {
namespace {
namespace flow_control_test {

constexpr uint16_t kDataPort = 7100;
constexpr int64_t kMs = 1000 * 1000;
const ChannelKey kKey{1, 0, 0, 0};

// One producer subtask sending `buffers` record frames ("r0", "r1", ...) to one consumer
// subtask; the consumer starts taking them only after `consumer_pause_ms`.
struct Exchange {
  FlowControl flow;
  int buffers = 20;
  int64_t consumer_pause_ms = 0;

  std::vector<std::string> received;  // records, in order, then "end"
  int sent = 0;                       // SendRecords calls returned
  int max_queued_at_consumer = 0;     // buffers the consumer had waiting, at most
  int min_floating_available = 1 << 30;
  int floating_at_end = -1;
  int64_t backpressured_ns = 0;
  Status producer_status;
  Status consumer_status;
  bool done = false;

  void Run(uint64_t seed) {
    sim::World world(sim::WorldOptions{.seed = seed});
    bool consumer_done = false;
    bool producer_done = false;
    world.AddHost("consumer", [&](Host& host) {
      DataServer server(host);
      consumer_status = server.Start(Address{"", kDataPort});
      if (!consumer_status.ok()) return;
      auto wakeup = std::make_shared<WaitList>();
      NetworkInputGate gate(host, {0}, wakeup, flow);
      consumer_status = gate.Connect(server, kKey, host.clock.NowNs() + 1000 * kMs);
      if (!consumer_status.ok()) return;
      host.fibers.SleepFor(consumer_pause_ms * kMs);
      NetworkInputGate::Event event;
      for (;;) {
        int queued = 0;
        // Count what is waiting (Poll takes it, so this is the size of the backlog taken now).
        std::vector<NetworkInputGate::Event> batch;
        while (gate.Poll(0, &event)) batch.push_back(std::move(event));
        for (const auto& e : batch) queued += e.kind == DataKind::kRecords ? 1 : 0;
        max_queued_at_consumer = std::max(max_queued_at_consumer, queued);
        min_floating_available = std::min(min_floating_available, gate.floating_available());
        bool ended = false;
        for (const auto& e : batch) {
          if (e.kind == DataKind::kRecords) received.push_back(e.records);
          if (e.kind == DataKind::kEnd) ended = true;
        }
        if (ended) {
          received.push_back("end");
          floating_at_end = gate.floating_available();
          break;
        }
        consumer_status = gate.error();
        if (!consumer_status.ok()) return;
        if (batch.empty()) wakeup->Wait(host.fibers);
        // A slow consumer: one batch of buffers every 10 ms.
        host.fibers.SleepFor(10 * kMs);
      }
      consumer_done = true;
    });
    world.AddHost("producer", [&](Host& host) {
      NetworkOutputGate gate(host, kKey, {Address{"consumer", kDataPort}}, SubtaskRange{0, 1},
                             flow);
      producer_status = gate.Connect(host.clock.NowNs() + 1000 * kMs);
      for (int i = 0; i < buffers && producer_status.ok(); ++i) {
        const std::string record = "r" + std::to_string(i);
        producer_status = gate.SendRecords(0, record, 1, {});
        if (producer_status.ok()) ++sent;
      }
      if (producer_status.ok()) producer_status = gate.SendEndOfPartition();
      backpressured_ns = gate.backpressured_ns();
      producer_done = true;
    });
    world.RunUntil([&] { return consumer_done && producer_done; }, 60'000 * kMs);
    done = consumer_done && producer_done;
  }
};

TEST(FlowControlTest, AProducerSendsOnlyWithCreditAndWaitsWhenItsQueueIsFull) {
  Exchange exchange;
  exchange.flow = FlowControl{
      .buffers_per_channel = 2, .floating_buffers_per_gate = 3, .max_buffers_per_channel = 4};
  exchange.consumer_pause_ms = 500;
  exchange.Run(1);
  ASSERT_TRUE(exchange.done) << "seed 1";
  ASSERT_TRUE(exchange.producer_status.ok()) << exchange.producer_status.ToString();
  ASSERT_TRUE(exchange.consumer_status.ok()) << exchange.consumer_status.ToString();
  std::vector<std::string> expected;
  for (int i = 0; i < exchange.buffers; ++i) expected.push_back("r" + std::to_string(i));
  expected.push_back("end");
  EXPECT_EQ(exchange.received, expected) << "every buffer once, in order";
  // While the consumer paused, at most its exclusive and floating buffers were sent to it.
  EXPECT_GE(exchange.max_queued_at_consumer, 3) << "the backlog drew floating buffers";
  EXPECT_LE(exchange.max_queued_at_consumer, 2 + 3);
  EXPECT_GT(exchange.backpressured_ns, 400 * kMs) << "the producer waited for the consumer";
  EXPECT_EQ(exchange.min_floating_available, 0) << "the backlog borrowed the whole pool";
  EXPECT_EQ(exchange.floating_at_end, 3) << "floating buffers return to the pool";
}

TEST(FlowControlTest, AFastConsumerNeverBackpressures) {
  Exchange exchange;
  exchange.buffers = 5;
  exchange.flow = FlowControl{
      .buffers_per_channel = 2, .floating_buffers_per_gate = 8, .max_buffers_per_channel = 10};
  exchange.Run(2);
  ASSERT_TRUE(exchange.done) << "seed 2";
  EXPECT_EQ(exchange.received.size(), 6u);
  EXPECT_EQ(exchange.backpressured_ns, 0) << "the queue never exceeded its bound";
}

TEST(FlowControlTest, ABufferSentWithoutCreditBreaksTheChannel) {
  sim::World world(sim::WorldOptions{.seed = 3});
  Status consumer_status;
  bool done = false;
  world.AddHost("consumer", [&](Host& host) {
    DataServer server(host);
    ASSERT_TRUE(server.Start(Address{"", kDataPort}).ok());
    auto wakeup = std::make_shared<WaitList>();
    NetworkInputGate gate(host, {0}, wakeup,
                          FlowControl{.buffers_per_channel = 2,
                                      .floating_buffers_per_gate = 0,
                                      .max_buffers_per_channel = 10});
    ASSERT_TRUE(gate.Connect(server, kKey, host.clock.NowNs() + 1000 * kMs).ok());
    NetworkInputGate::Event event;
    for (;;) {
      while (gate.Poll(0, &event)) {
      }
      if (!gate.error().ok()) break;
      wakeup->Wait(host.fibers);
    }
    consumer_status = gate.error();
    done = true;
  });
  world.AddHost("producer", [&](Host& host) {
    // A producer that ignores credits: three buffers against two exclusive credits.
    auto stream = host.network.Connect(Address{"consumer", kDataPort}, 1000 * kMs);
    ASSERT_TRUE(stream.ok());
    std::string hello;
    ByteWriter w(&hello);
    w.PutU8(static_cast<uint8_t>(DataKind::kHandshake));
    for (int64_t field :
         {kKey.attempt, int64_t{kKey.edge}, int64_t{kKey.consumer}, int64_t{kKey.producer}}) {
      w.PutSignedVarint(field);
    }
    ASSERT_TRUE(WriteFrame(*stream.value(), hello).ok());
    for (int i = 0; i < 3; ++i) {
      std::string buffer;
      ByteWriter b(&buffer);
      b.PutU8(static_cast<uint8_t>(DataKind::kRecords));
      b.PutVarint(0);
      b.PutU32(0);
      ASSERT_TRUE(WriteFrame(*stream.value(), buffer).ok());
    }
    host.fibers.SleepFor(10'000 * kMs);
  });
  world.RunUntil([&] { return done; }, 5'000 * kMs);
  ASSERT_TRUE(done) << "seed 3";
  EXPECT_EQ(consumer_status.code(), StatusCode::kDataLoss);
  EXPECT_NE(consumer_status.message().find("sent a buffer without credit"), std::string::npos)
      << consumer_status.ToString();
}

TEST(FlowControlTest, AConsumerThatFinishesFirstDoesNotFailItsProducer) {
  // Found in review: one producer, two consumers. B reads its end of partition and finishes
  // (closing its stream) while A, slow, still holds back the producer's last buffers; the
  // producer's end of partition must still succeed.
  sim::World world(sim::WorldOptions{.seed = 4});
  const FlowControl flow{.buffers_per_channel = 1,
                         .floating_buffers_per_gate = 0,
                         .max_buffers_per_channel = 1};
  Status producer_status = InternalError("not run");
  int finished = 0;
  for (const int64_t pause_ms : {2000, 0}) {  // consumer-0 (A) slow, consumer-1 (B) fast
    world.AddHost("consumer-" + std::to_string(finished++), [&, pause_ms](Host& host) {
      DataServer server(host);
      ASSERT_TRUE(server.Start(Address{"", kDataPort}).ok());
      auto wakeup = std::make_shared<WaitList>();
      ChannelKey key = kKey;
      key.consumer = pause_ms > 0 ? 0 : 1;
      auto gate = std::make_unique<NetworkInputGate>(host, std::vector<int>{0}, wakeup, flow);
      ASSERT_TRUE(gate->Connect(server, key, host.clock.NowNs() + 1000 * kMs).ok());
      host.fibers.SleepFor(pause_ms * kMs);
      NetworkInputGate::Event event;
      bool ended = false;
      while (!ended) {
        while (gate->Poll(0, &event)) ended = ended || event.kind == DataKind::kEnd;
        if (!ended) wakeup->Wait(host.fibers);
        host.fibers.SleepFor(pause_ms / 4 * kMs);  // A stays slow to the end
      }
      gate.reset();  // B finishes: its stream closes while A still reads
      host.fibers.SleepFor(100'000 * kMs);
    });
  }
  bool done = false;
  world.AddHost("producer", [&](Host& host) {
    NetworkOutputGate gate(host, kKey, {Address{"consumer-0", kDataPort},
                                        Address{"consumer-1", kDataPort}},
                           SubtaskRange{0, 2}, flow);
    producer_status = gate.Connect(host.clock.NowNs() + 1000 * kMs);
    for (int i = 0; i < 6 && producer_status.ok(); ++i) {
      producer_status = gate.SendRecords(i % 2, "r" + std::to_string(i), 1, {});
    }
    if (producer_status.ok()) producer_status = gate.SendEndOfPartition();
    done = true;
  });
  world.RunUntil([&] { return done; }, 60'000 * kMs);
  ASSERT_TRUE(done) << "seed 4";
  EXPECT_TRUE(producer_status.ok()) << producer_status.ToString();
}

TEST(FlowControlTest, TightCreditsBackpressureAnUnthrottledSourceAndLoseNothing) {
  // One exclusive buffer per channel, no floating ones and one queued buffer per channel: an
  // unthrottled source outruns the credits that come back (backpressure-crash seed 1 also spikes
  // one TaskManager's latency and crashes another).
  std::string input;
  for (int i = 0; i < 20000; ++i) input += "w" + std::to_string(i % 101) + " x y z\n";
  scenarios::ScenarioOptions options;
  options.seed = 1;
  options.input_text = input;
  for (const char* setting :
       {"source.rate-limit=0", "taskmanager.network.memory.buffers-per-channel=1",
        "taskmanager.network.memory.floating-buffers-per-gate=0",
        "taskmanager.network.memory.max-buffers-per-channel=1"}) {
    ASSERT_TRUE(options.settings.SetFromArgument(setting).ok()) << setting;
  }
  const scenarios::ScenarioResult result = scenarios::RunWordCountBackpressureCrash(options);
  ASSERT_TRUE(result.pass) << result.failure << " (rerun: sluice sim run backpressure-crash "
                           << "--seed 1 -D source.rate-limit=0 -D "
                           << "taskmanager.network.memory.buffers-per-channel=1 ...)";
  int64_t source_backpressured = 0;
  for (const scenarios::TaskTimesRecord& task : result.task_times) {
    if (task.chain == 0) source_backpressured += task.backpressured_ms;
  }
  // Source -> Tokenize (2 subtasks) and Count -> Sink (4), each reports once it ends its input.
  EXPECT_EQ(result.task_times.size(), 6u);
  EXPECT_GT(source_backpressured, 0) << "the sources waited for credit";
}

}  // namespace flow_control_test
}  // namespace
}  // namespace sluice
