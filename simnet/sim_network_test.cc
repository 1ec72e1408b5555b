#include "simnet/sim_network.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/base/bytes.h"
#include "simnet/sim_test_util.h"
#include "simnet/world.h"

namespace sluice::sim {
namespace {

using testing::RunFor;
using testing::SeededOptions;

constexpr int64_t kMs = kNanosPerMilli;
constexpr int64_t kSecond = kNanosPerSecond;

// Accepts one connection on `port` and hands it to `serve`.
World::HostProgram ServeOne(uint16_t port, std::function<void(Host&, Stream&)> serve) {
  return [port, serve](Host& host) {
    auto listener = host.network.Listen(Address{"", port});
    ASSERT_TRUE(listener.ok()) << listener.status().ToString();
    auto stream = (*listener)->Accept();
    ASSERT_TRUE(stream.ok()) << stream.status().ToString();
    serve(host, **stream);
  };
}

TEST(SimNetworkTest, MessagesArriveInOrderWithLatencyWithinBounds) {
  WorldOptions options = SeededOptions(11);
  options.short_read_probability = 0.3;  // framing must survive short reads
  World world(options);
  constexpr int kMessages = 300;
  constexpr int64_t kMinNs = 1 * kMs;
  constexpr int64_t kMaxNs = 3 * kMs;
  std::vector<uint64_t> sequence;
  std::vector<int64_t> delays;
  const World::HostId server =
      world.AddHost("server", ServeOne(7000, [&](Host& host, Stream& s) {
                      std::string buffer;
                      for (;;) {
                        auto n = s.Read(&buffer, 1000);
                        ASSERT_TRUE(n.ok()) << n.status().ToString();
                        if (*n == 0) break;
                        while (buffer.size() >= 16) {
                          ByteReader reader(std::string_view(buffer).substr(0, 16));
                          uint64_t seq = 0, sent_ns = 0;
                          ASSERT_TRUE(reader.GetU64(&seq) && reader.GetU64(&sent_ns));
                          sequence.push_back(seq);
                          delays.push_back(host.clock.NowNs() - static_cast<int64_t>(sent_ns));
                          buffer.erase(0, 16);
                        }
                      }
                    }));
  const World::HostId client = world.AddHost("client", [&](Host& host) {
    host.fibers.SleepFor(kMs);  // let the server listen
    auto stream = host.network.Connect({"server", 7000}, kSecond);
    ASSERT_TRUE(stream.ok()) << stream.status().ToString();
    for (uint64_t i = 0; i < kMessages; ++i) {
      std::string frame;
      ByteWriter writer(&frame);
      writer.PutU64(i);
      writer.PutU64(static_cast<uint64_t>(host.clock.NowNs()));
      ASSERT_TRUE((*stream)->Write(frame).ok());
      if (host.random.Bernoulli(0.5)) host.fibers.SleepFor(host.random.UniformRange(0, 4 * kMs));
    }
    (*stream)->Close();
  });
  world.SetLinkLatency(server, client, kMinNs, kMaxNs);
  RunFor(world, nullptr);
  ASSERT_EQ(sequence.size(), static_cast<size_t>(kMessages));
  for (int i = 0; i < kMessages; ++i) {
    EXPECT_EQ(sequence[i], static_cast<uint64_t>(i));
    EXPECT_GE(delays[i], kMinNs);
    EXPECT_LE(delays[i], kMaxNs);
  }
}

TEST(SimNetworkTest, ConnectIsRefusedAfterOneLatency) {
  World world(SeededOptions(12));
  std::vector<StatusCode> codes;
  std::vector<int64_t> elapsed;
  world.AddHost("idle", [](Host&) {});
  world.AddHost("client", [&](Host& host) {
    for (const Address& address : {Address{"idle", 80}, Address{"nobody", 80}}) {
      const int64_t start = host.clock.NowNs();
      auto stream = host.network.Connect(address, kSecond);
      codes.push_back(stream.status().code());
      elapsed.push_back(host.clock.NowNs() - start);
    }
  });
  RunFor(world, nullptr);
  ASSERT_EQ(codes.size(), 2u);
  for (size_t i = 0; i < codes.size(); ++i) {
    EXPECT_EQ(codes[i], StatusCode::kUnavailable);
    EXPECT_GE(elapsed[i], WorldOptions().link_latency_min_ns);
    EXPECT_LE(elapsed[i], WorldOptions().link_latency_max_ns);
  }
}

TEST(SimNetworkTest, ListenOnATakenPortFailsAndPeerNamesAreHostPort) {
  World world(SeededOptions(13));
  std::string client_peer, server_peer;
  world.AddHost("server", [&](Host& host) {
    auto listener = host.network.Listen(Address{"", 7000});
    ASSERT_TRUE(listener.ok());
    EXPECT_EQ(host.network.Listen(Address{"", 7000}).status().code(), StatusCode::kAlreadyExists);
    auto stream = (*listener)->Accept();
    ASSERT_TRUE(stream.ok());
    server_peer = (*stream)->PeerName();
  });
  world.AddHost("client", [&](Host& host) {
    host.fibers.SleepFor(kMs);
    auto stream = host.network.Connect({"server", 7000}, kSecond);
    ASSERT_TRUE(stream.ok());
    client_peer = (*stream)->PeerName();
  });
  RunFor(world, nullptr);
  EXPECT_EQ(client_peer, "server:7000");
  EXPECT_EQ(server_peer, "client:" + std::to_string(NetFabric::kEphemeralPortFirst));
}

TEST(SimNetworkTest, OrderlyCloseGivesEndOfStreamAfterTheData) {
  World world(SeededOptions(14));
  std::string received;
  Result<size_t> after_eof = size_t{99};
  Result<size_t> after_local_close = size_t{99};
  world.AddHost("server", ServeOne(7000, [&](Host&, Stream& s) {
                  for (;;) {
                    auto n = s.Read(&received, 3);
                    ASSERT_TRUE(n.ok());
                    if (*n == 0) break;
                  }
                  after_eof = s.Read(&received, 3);
                  s.Close();
                  after_local_close = s.Read(&received, 3);
                }));
  world.AddHost("client", [&](Host& host) {
    host.fibers.SleepFor(kMs);
    auto stream = host.network.Connect({"server", 7000}, kSecond);
    ASSERT_TRUE(stream.ok());
    ASSERT_TRUE((*stream)->Write("hello, ").ok());
    ASSERT_TRUE((*stream)->Write("world").ok());
    // Destroying the stream closes it.
  });
  RunFor(world, nullptr);
  EXPECT_EQ(received, "hello, world");
  ASSERT_TRUE(after_eof.ok());
  EXPECT_EQ(*after_eof, 0u);
  EXPECT_EQ(after_local_close.status().code(), StatusCode::kUnavailable);
}

TEST(SimNetworkTest, CrashedPeerIsSeenAsUnavailableAfterALatency) {
  World world(SeededOptions(15));
  Status read_status;
  int64_t failed_at = -1;
  const World::HostId client = world.AddHost("client", [&](Host& host) {
    host.fibers.SleepFor(kMs);
    auto stream = host.network.Connect({"server", 7000}, kSecond);
    ASSERT_TRUE(stream.ok());
    ASSERT_TRUE((*stream)->Write("partial").ok());
    host.fibers.SleepFor(3600 * kSecond);
  });
  world.AddHost("server", ServeOne(7000, [&](Host& host, Stream& s) {
                  std::string data;
                  for (;;) {
                    auto n = s.Read(&data, 100);
                    if (!n.ok()) {
                      read_status = n.status();
                      break;
                    }
                    ASSERT_NE(*n, 0u) << "a crash is not an orderly close";
                  }
                  failed_at = host.clock.NowNs();
                  EXPECT_EQ(data, "partial");
                }));
  world.Schedule(kSecond, [&] { world.Crash(client); });
  RunFor(world, nullptr);
  EXPECT_EQ(read_status.code(), StatusCode::kUnavailable);
  EXPECT_GE(failed_at, kSecond + WorldOptions().link_latency_min_ns);
  EXPECT_LE(failed_at, kSecond + WorldOptions().link_latency_max_ns);
}

TEST(SimNetworkTest, RestartedServerAcceptsAgain) {
  World world(SeededOptions(16));
  int served = 0;
  std::vector<StatusCode> connects;
  const World::HostId server = world.AddHost("server", [&](Host& host) {
    auto listener = host.network.Listen(Address{"", 7000});
    ASSERT_TRUE(listener.ok()) << "the crash released the port";
    for (;;) {
      auto stream = (*listener)->Accept();
      if (!stream.ok()) return;
      ++served;
    }
  });
  world.AddHost("client", [&](Host& host) {
    for (int i = 0; i < 3; ++i) {
      host.fibers.SleepFor(kSecond);
      connects.push_back(host.network.Connect({"server", 7000}, kSecond).status().code());
    }
  });
  world.Schedule(1500 * kMs, [&] { world.Crash(server); });
  world.Schedule(2500 * kMs, [&] { world.Restart(server); });
  RunFor(world, nullptr);  // the server then waits in Accept forever: quiescent
  EXPECT_EQ(connects,
            (std::vector<StatusCode>{StatusCode::kOk, StatusCode::kUnavailable, StatusCode::kOk}));
  EXPECT_EQ(served, 2);
}

TEST(SimNetworkTest, PartitionBreaksStreamsAndTimesOutConnectsUntilHealed) {
  World world(SeededOptions(17));
  Status server_read, client_read;
  StatusCode during = StatusCode::kOk, after = StatusCode::kUnavailable;
  int64_t timeout_elapsed = -1;
  const World::HostId a = world.AddHost("a", [&](Host& host) {
    auto listener = host.network.Listen(Address{"", 7000});
    ASSERT_TRUE(listener.ok());
    auto stream = (*listener)->Accept();
    ASSERT_TRUE(stream.ok());
    std::string data;
    server_read = (*stream)->Read(&data, 10).status();
    auto again = (*listener)->Accept();  // the connect after Heal
    EXPECT_TRUE(again.ok());
  });
  const World::HostId b = world.AddHost("b", [&](Host& host) {
    host.fibers.SleepFor(kMs);
    auto stream = host.network.Connect({"a", 7000}, kSecond);
    ASSERT_TRUE(stream.ok());
    std::string data;
    client_read = (*stream)->Read(&data, 10).status();
    const int64_t start = host.clock.NowNs();
    during = host.network.Connect({"a", 7000}, 500 * kMs).status().code();
    timeout_elapsed = host.clock.NowNs() - start;
    host.fibers.SleepUntil(5 * kSecond);
    after = host.network.Connect({"a", 7000}, kSecond).status().code();
  });
  world.Schedule(kSecond, [&] { world.Partition(a, b); });
  world.Schedule(4 * kSecond, [&] { world.Heal(b, a); });
  RunFor(world, nullptr);
  EXPECT_EQ(server_read.code(), StatusCode::kUnavailable);
  EXPECT_EQ(client_read.code(), StatusCode::kUnavailable);
  EXPECT_EQ(during, StatusCode::kDeadlineExceeded);
  EXPECT_EQ(timeout_elapsed, 500 * kMs);
  EXPECT_EQ(after, StatusCode::kOk);
}

TEST(SimNetworkTest, WindowSuspendsTheWriterUntilTheReaderConsumes) {
  World world(SeededOptions(18));
  constexpr size_t kTotalBytes = 1024 * 1024;
  std::string payload(kTotalBytes, '\0');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i * 131 % 251);
  int64_t small_write_took = -1;
  int64_t big_write_done_at = -1;
  std::string received;
  world.AddHost("reader", ServeOne(7000, [&](Host& host, Stream& s) {
                  host.fibers.SleepUntil(kSecond);  // the writer fills the window meanwhile
                  while (received.size() < 100 + kTotalBytes) {
                    auto n = s.Read(&received, 64 * 1024);
                    ASSERT_TRUE(n.ok() && *n > 0);
                  }
                }));
  world.AddHost("writer", [&](Host& host) {
    host.fibers.SleepFor(kMs);
    auto stream = host.network.Connect({"reader", 7000}, kSecond);
    ASSERT_TRUE(stream.ok());
    int64_t start = host.clock.NowNs();
    ASSERT_TRUE((*stream)->Write(std::string(100, 'x')).ok());
    small_write_took = host.clock.NowNs() - start;
    ASSERT_TRUE((*stream)->Write(payload).ok());
    big_write_done_at = host.clock.NowNs();
  });
  EXPECT_EQ(world.RunUntil(nullptr, 900 * kMs), World::RunOutcome::kTimeLimit);
  EXPECT_EQ(small_write_took, 0) << "a write within the window does not suspend";
  EXPECT_EQ(big_write_done_at, -1) << "the writer is suspended on the full window";
  RunFor(world, nullptr);
  EXPECT_GE(big_write_done_at, kSecond);
  ASSERT_EQ(received.size(), 100 + kTotalBytes);
  EXPECT_EQ(received.substr(100), payload);
}

TEST(SimNetworkTest, DestroyedStreamsReleaseTheirConnections) {
  World world(SeededOptions(19));
  world.AddHost("server", [&](Host& host) {
    auto listener = host.network.Listen(Address{"", 7000});
    ASSERT_TRUE(listener.ok());
    for (int i = 0; i < 10; ++i) {
      auto stream = (*listener)->Accept();
      ASSERT_TRUE(stream.ok());
      std::string data;
      EXPECT_TRUE((*stream)->Read(&data, 10).ok());
    }
  });
  world.AddHost("client", [&](Host& host) {
    host.fibers.SleepFor(kMs);
    for (int i = 0; i < 10; ++i) {
      auto stream = host.network.Connect({"server", 7000}, kSecond);
      ASSERT_TRUE(stream.ok());
      ASSERT_TRUE((*stream)->Write("x").ok());
    }
  });
  EXPECT_EQ(RunFor(world, nullptr), World::RunOutcome::kQuiescent);
  EXPECT_EQ(world.connection_count(), 0u);
}

TEST(SimNetworkTest, DestroyingAStreamOrListenerFailsTheFibersWaitingOnIt) {
  World world(SeededOptions(20));
  Status read_status, accept_status;
  world.AddHost("server", [&](Host& host) {
    auto listener = host.network.Listen(Address{"", 7000});
    ASSERT_TRUE(listener.ok());
    auto stream = (*listener)->Accept();
    ASSERT_TRUE(stream.ok());
    std::unique_ptr<Stream> owned = std::move(*stream);
    std::unique_ptr<Listener> owned_listener = std::move(*listener);
    FiberId reader = host.fibers.Spawn("reader", [&] {
      std::string data;
      read_status = owned->Read(&data, 10).status();
    });
    FiberId acceptor =
        host.fibers.Spawn("acceptor", [&] { accept_status = owned_listener->Accept().status(); });
    host.fibers.SleepFor(10 * kMs);
    owned.reset();
    owned_listener.reset();
    host.fibers.Join(reader);
    host.fibers.Join(acceptor);
  });
  world.AddHost("client", [&](Host& host) {
    host.fibers.SleepFor(kMs);
    auto stream = host.network.Connect({"server", 7000}, kSecond);
    ASSERT_TRUE(stream.ok());
    std::string data;
    EXPECT_EQ(*(*stream)->Read(&data, 10), 0u) << "the server's stream closed: orderly EOF";
  });
  EXPECT_EQ(RunFor(world, nullptr), World::RunOutcome::kQuiescent);
  EXPECT_EQ(read_status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(accept_status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(world.connection_count(), 0u);
}

TEST(SimNetworkTest, WritingToAClosedPeerDrawsAReset) {
  World world(SeededOptions(30));
  Status late_write;
  world.AddHost("server", ServeOne(7000, [&](Host&, Stream& s) { s.Close(); }));
  world.AddHost("client", [&](Host& host) {
    host.fibers.SleepFor(kMs);
    auto stream = host.network.Connect({"server", 7000}, kSecond);
    ASSERT_TRUE(stream.ok());
    std::string data;
    EXPECT_EQ(*(*stream)->Read(&data, 10), 0u);
    EXPECT_TRUE((*stream)->Write("ignored").ok()) << "the first write is only queued";
    host.fibers.SleepFor(10 * kMs);  // it arrives at the closed endpoint, whose reset comes back
    late_write = (*stream)->Write("fails");
  });
  RunFor(world, nullptr);
  EXPECT_EQ(late_write.code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace sluice::sim
