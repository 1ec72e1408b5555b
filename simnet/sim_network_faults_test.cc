// Link faults: group and one-way partitions, heals, clogging, connection resets, latency spikes.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/base/bytes.h"
#include "simnet/sim_network.h"
#include "simnet/sim_test_util.h"
#include "simnet/world.h"

namespace sluice::sim {
namespace {

using testing::RunFor;
using testing::SeededOptions;

constexpr int64_t kMs = kNanosPerMilli;
constexpr int64_t kSecond = kNanosPerSecond;

// Listens on 7000 and accepts forever, keeping the streams open; counts connections.
World::HostProgram AcceptForever(int* accepted) {
  return [accepted](Host& host) {
    auto listener = host.network.Listen(Address{"", 7000});
    ASSERT_TRUE(listener.ok());
    std::vector<std::unique_ptr<Stream>> streams;
    for (;;) {
      auto stream = (*listener)->Accept();
      if (!stream.ok()) return;
      ++*accepted;
      streams.push_back(std::move(*stream));
    }
  };
}

// Each connect attempt's outcome, from `from` to `to` at the given times.
std::vector<StatusCode> ConnectAt(Host& host, const std::string& to,
                                  const std::vector<int64_t>& at_ns) {
  std::vector<StatusCode> codes;
  for (int64_t at : at_ns) {
    host.fibers.SleepUntil(at);
    codes.push_back(host.network.Connect({to, 7000}, 100 * kMs).status().code());
  }
  return codes;
}

TEST(NetworkFaultsTest, GroupPartitionCutsAcrossNotWithinAndHealAllRestores) {
  World world(SeededOptions(401));
  int accepted_a2 = 0, accepted_b1 = 0;
  std::vector<StatusCode> to_a2, to_b1;
  const World::HostId a1 = world.AddHost("a1", [&](Host& host) {
    to_a2 = ConnectAt(host, "a2", {10 * kMs, 500 * kMs});
    to_b1 = ConnectAt(host, "b1", {600 * kMs, 1200 * kMs});
  });
  const World::HostId a2 = world.AddHost("a2", AcceptForever(&accepted_a2));
  const World::HostId b1 = world.AddHost("b1", AcceptForever(&accepted_b1));
  world.AddHost("b2", [](Host&) {});
  world.Partition({a1, a2}, {b1, world.FindHost("b2")});
  world.Schedule(kSecond, [&] { world.HealAll(); });
  world.RunUntil(nullptr, 2 * kSecond);
  EXPECT_EQ(to_a2, (std::vector<StatusCode>{StatusCode::kOk, StatusCode::kOk}));
  EXPECT_EQ(to_b1, (std::vector<StatusCode>{StatusCode::kDeadlineExceeded, StatusCode::kOk}));
  EXPECT_EQ(accepted_a2, 2);
  EXPECT_EQ(accepted_b1, 1);
  (void)b1;
}

// a and b exchange numbered 4-byte messages every 10 ms over one connection; each side records
// what it received and when.
struct Exchange {
  std::string received[2];  // [0]: received by a, [1]: received by b
  std::vector<int64_t> received_at[2];
  bool failed = false;
};

void Converse(Host& host, Stream& stream, Exchange& exchange, int me, char tag) {
  std::shared_ptr<bool> done = std::make_shared<bool>(false);
  host.fibers.Spawn("writer", [&host, &stream, &exchange, tag, done] {
    host.fibers.SleepUntil(110 * kMs);
    for (int i = 0; i < 50 && !*done; ++i) {
      const std::string message = std::string(1, tag) + std::to_string(100 + i);
      if (!stream.Write(message).ok()) exchange.failed = true;
      host.fibers.SleepFor(10 * kMs);
    }
  });
  while (exchange.received[me].size() < 200) {
    auto n = stream.Read(&exchange.received[me], 4);
    if (!n.ok() || *n == 0) {
      exchange.failed = true;
      break;
    }
    exchange.received_at[me].push_back(host.clock.NowNs());
  }
  *done = true;
  host.fibers.SleepFor(3600 * kSecond);  // keep the stream open
}

std::string Expected(char tag) {
  std::string all;
  for (int i = 0; i < 50; ++i) all += std::string(1, tag) + std::to_string(100 + i);
  return all;
}

TEST(NetworkFaultsTest, OneWayPartitionHoldsOneDirectionAndReleasesItInOrder) {
  World world(SeededOptions(402));
  Exchange exchange;
  std::vector<StatusCode> connects_during, reverse_connects_during;
  const World::HostId a = world.AddHost("a", [&](Host& host) {
    auto stream = host.network.Connect({"b", 7000}, kSecond);
    ASSERT_TRUE(stream.ok());
    host.fibers.Spawn("prober", [&] { connects_during = ConnectAt(host, "b", {200 * kMs}); });
    Converse(host, **stream, exchange, 0, 'A');
  });
  const World::HostId b = world.AddHost("b", [&](Host& host) {
    auto listener = host.network.Listen(Address{"", 7000});
    ASSERT_TRUE(listener.ok());
    auto stream = (*listener)->Accept();
    ASSERT_TRUE(stream.ok());
    // a does not listen: refused if the link worked; a handshake needs both directions.
    host.fibers.Spawn("prober",
                      [&] { reverse_connects_during = ConnectAt(host, "a", {250 * kMs}); });
    Converse(host, **stream, exchange, 1, 'B');
  });
  world.Schedule(100 * kMs, [&] { world.PartitionOneWay(a, b); });
  int64_t a_had_at_heal = 0, b_had_at_heal = 0;
  world.Schedule(400 * kMs, [&] {
    a_had_at_heal = static_cast<int64_t>(exchange.received[0].size());
    b_had_at_heal = static_cast<int64_t>(exchange.received[1].size());
    world.Heal(a, b);
  });
  world.RunUntil(nullptr, 2 * kSecond);
  EXPECT_FALSE(exchange.failed) << "a one-way partition resets nothing";
  EXPECT_EQ(b_had_at_heal, 0) << "b heard nothing from a";
  EXPECT_EQ(a_had_at_heal, 4 * 29) << "a heard b's messages of 110..390 ms";
  EXPECT_EQ(exchange.received[1], Expected('A')) << "held bytes arrive in order after the heal";
  EXPECT_EQ(exchange.received[0], Expected('B'));
  for (int64_t t : exchange.received_at[1]) EXPECT_GE(t, 400 * kMs);
  EXPECT_EQ(connects_during, (std::vector<StatusCode>{StatusCode::kDeadlineExceeded}));
  EXPECT_EQ(reverse_connects_during, (std::vector<StatusCode>{StatusCode::kDeadlineExceeded}));
}

// Accepts one connection and records, for every 8-byte timestamp frame, its one-way delay.
World::HostProgram RecordDelays(std::vector<int64_t>* delays) {
  return [delays](Host& host) {
    auto listener = host.network.Listen(Address{"", 7000});
    ASSERT_TRUE(listener.ok());
    auto stream = (*listener)->Accept();
    ASSERT_TRUE(stream.ok());
    std::string buffer;
    for (;;) {
      auto n = (*stream)->Read(&buffer, 8 - buffer.size());
      if (!n.ok() || *n == 0) return;
      if (buffer.size() < 8) continue;
      uint64_t sent = 0;
      ByteReader reader(buffer);
      ASSERT_TRUE(reader.GetU64(&sent));
      delays->push_back(host.clock.NowNs() - static_cast<int64_t>(sent));
      buffer.clear();
    }
  };
}

// Connects to "b" and sends `count` timestamp frames, one every gap_ns from 100 ms on.
World::HostProgram SendTimestamps(int count, int64_t gap_ns) {
  return [count, gap_ns](Host& host) {
    auto stream = host.network.Connect({"b", 7000}, kSecond);
    ASSERT_TRUE(stream.ok());
    host.fibers.SleepUntil(100 * kMs);
    for (int i = 0; i < count; ++i) {
      std::string frame;
      ByteWriter(&frame).PutU64(static_cast<uint64_t>(host.clock.NowNs()));
      ASSERT_TRUE((*stream)->Write(frame).ok());
      host.fibers.SleepFor(gap_ns);
    }
  };
}

TEST(NetworkFaultsTest, ClogMultipliesLatencyAndKeepsOrder) {
  World world(SeededOptions(403));
  std::vector<int64_t> delays;
  world.AddHost("b", RecordDelays(&delays));
  const World::HostId a = world.AddHost("a", SendTimestamps(30, 20 * kMs));
  world.SetLinkLatency(1, 2, kMs, kMs);  // fixed: each delay is exactly the model's latency
  world.Schedule(295 * kMs, [&] { world.Clog(a, 10.0); });
  world.Schedule(495 * kMs, [&] { world.Unclog(a); });
  RunFor(world, nullptr);
  ASSERT_EQ(delays.size(), 30u);
  // Sent at 100 + 20 i ms: i <= 9 before the clog, 10..19 during, 20.. after.
  for (int i = 0; i < 30; ++i) {
    const int64_t expected = i >= 10 && i < 20 ? 10 * kMs : kMs;
    EXPECT_EQ(delays[i], expected) << "message " << i;
  }
}

TEST(NetworkFaultsTest, LatencySpikeAddsExtraForItsDurationThenHealAllClearsAClog) {
  World world(SeededOptions(404));
  std::vector<int64_t> delays;
  world.AddHost("b", RecordDelays(&delays));
  const World::HostId a = world.AddHost("a", SendTimestamps(30, 100 * kMs));
  const World::HostId b = world.FindHost("b");
  world.SetLinkLatency(a, b, kMs, kMs);
  world.Schedule(950 * kMs, [&] { world.LatencySpike(a, b, 30 * kMs, 500 * kMs); });
  world.Schedule(1950 * kMs, [&] { world.Clog(b, 4.0); });
  world.Schedule(2450 * kMs, [&] { world.HealAll(); });
  RunFor(world, nullptr);
  ASSERT_EQ(delays.size(), 30u);
  // Sent at 100 + 100 i ms: i = 9..13 within the spike [950, 1450) ms, 19..23 clogged.
  for (int i = 0; i < 30; ++i) {
    int64_t expected = kMs;
    if (i >= 9 && i <= 13) expected = 31 * kMs;
    if (i >= 19 && i <= 23) expected = 4 * kMs;
    EXPECT_EQ(delays[i], expected) << "message " << i;
  }
}

TEST(NetworkFaultsTest, ResetConnectionsFailsBothSidesAfterALatencyAndListenersStayOpen) {
  World world(SeededOptions(405));
  std::vector<int64_t> failed_at;  // any side, any stream
  int accepted = 0;
  bool reconnected = false;
  auto hold_and_read = [&failed_at](Host& host, Stream& stream) {
    std::string data;
    auto n = stream.Read(&data, 100);
    EXPECT_FALSE(n.ok());
    EXPECT_EQ(n.status().code(), StatusCode::kUnavailable);
    failed_at.push_back(host.clock.NowNs());
  };
  const World::HostId server = world.AddHost("server", [&](Host& host) {
    auto listener = host.network.Listen(Address{"", 7000});
    ASSERT_TRUE(listener.ok());
    for (;;) {
      auto stream = (*listener)->Accept();
      if (!stream.ok()) return;
      ++accepted;
      std::shared_ptr<Stream> shared(std::move(*stream));
      if (accepted <= 2) {
        host.fibers.Spawn("conn", [&host, shared, hold_and_read] { hold_and_read(host, *shared); });
      }
    }
  });
  for (const char* name : {"c1", "c2"}) {
    world.AddHost(name, [&, name](Host& host) {
      auto stream = host.network.Connect({"server", 7000}, kSecond);
      ASSERT_TRUE(stream.ok());
      hold_and_read(host, **stream);
      if (std::string(name) == "c1") {
        reconnected = host.network.Connect({"server", 7000}, kSecond).ok();
      }
    });
  }
  world.Schedule(kSecond, [&] { world.ResetConnections(server); });
  world.RunUntil(nullptr, 2 * kSecond);
  ASSERT_EQ(failed_at.size(), 4u) << "both sides of both connections";
  for (int64_t t : failed_at) {
    EXPECT_GE(t, kSecond + WorldOptions().link_latency_min_ns);
    EXPECT_LE(t, kSecond + WorldOptions().link_latency_max_ns);
  }
  EXPECT_TRUE(reconnected);
  EXPECT_EQ(accepted, 3);
}

}  // namespace
}  // namespace sluice::sim
