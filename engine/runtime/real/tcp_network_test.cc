#include "engine/runtime/real/tcp_network.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "engine/runtime/real/real_runtime.h"

namespace sluice::real {
namespace {
namespace tcp_network_test {

constexpr uint64_t kSeed = 7;
constexpr int64_t kConnectTimeoutNs = kNanosPerSecond;
// Larger than one read, so Read meets EAGAIN and the echo comes back in many pieces.
constexpr size_t kEchoPayloadBytes = 1024 * 1024;
// More than an unread loopback connection buffers with Linux defaults (send buffer up to 4 MiB
// plus the peer's initial receive window), so Write must suspend on EAGAIN.
constexpr size_t kBackpressurePayloadBytes = 16 * 1024 * 1024;

std::string Pattern(size_t size_bytes) {
  std::string data(size_bytes, '\0');
  for (size_t i = 0; i < size_bytes; ++i) data[i] = static_cast<char>((i * 131 + i / 4096) & 0xff);
  return data;
}

// Reads from `stream` until end of stream, writing every byte back.
Status EchoUntilEof(Stream& stream) {
  for (;;) {
    std::string chunk;
    ASSIGN_OR_RETURN(const size_t n, stream.Read(&chunk, 16 * 1024));
    if (n == 0) return Status::Ok();
    EXPECT_EQ(chunk.size(), n);
    RETURN_IF_ERROR(stream.Write(chunk));
  }
}

TEST(RealNetworkTest, EchoesOneMegabyteOverLoopback) {
  RealRuntime runtime("host", "", kSeed);
  const std::string payload = Pattern(kEchoPayloadBytes);
  const Status status = runtime.Run([&](Host& host) -> Status {
    ASSIGN_OR_RETURN(auto listener, host.network.Listen(Address{"127.0.0.1", 0}));
    EXPECT_NE(listener->port(), 0);
    Status server_status = InternalError("server never ran");
    const FiberId server = host.fibers.Spawn("server", [&] {
      auto accepted = listener->Accept();
      server_status = accepted.ok() ? EchoUntilEof(**accepted) : accepted.status();
    });
    ASSIGN_OR_RETURN(auto client,
                     host.network.Connect({"127.0.0.1", listener->port()}, kConnectTimeoutNs));
    EXPECT_EQ(client->PeerName(), "127.0.0.1:" + std::to_string(listener->port()));
    Status writer_status = InternalError("writer never ran");
    const FiberId writer =
        host.fibers.Spawn("writer", [&] { writer_status = client->Write(payload); });
    std::string echoed;
    while (echoed.size() < payload.size()) {
      ASSIGN_OR_RETURN(const size_t n, client->Read(&echoed, payload.size() - echoed.size()));
      if (n == 0) return UnavailableError("early end of stream");
    }
    host.fibers.Join(writer);
    client->Close();
    host.fibers.Join(server);
    EXPECT_TRUE(writer_status.ok()) << writer_status.ToString();
    EXPECT_TRUE(server_status.ok()) << server_status.ToString();
    EXPECT_TRUE(echoed == payload) << "echo differs from the payload";
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(runtime.reactor().registered_fd_count(), 0u);
}

// One byte from a connection to `target` reaches `listener` (whose Accept runs in a fiber).
Status OneByteThrough(Host& host, Listener& listener, const Address& target) {
  Status accepted_status = InternalError("accept never ran");
  std::string received;
  const FiberId server = host.fibers.Spawn("server", [&] {
    auto accepted = listener.Accept();
    if (!accepted.ok()) {
      accepted_status = accepted.status();
      return;
    }
    auto n = (*accepted)->Read(&received, 1);
    accepted_status = n.ok() ? Status::Ok() : n.status();
  });
  auto client = host.network.Connect(target, kConnectTimeoutNs);
  if (!client.ok()) {
    listener.Close();
    host.fibers.Join(server);
    return client.status();
  }
  RETURN_IF_ERROR((*client)->Write("x"));
  host.fibers.Join(server);
  (*client)->Close();
  RETURN_IF_ERROR(accepted_status);
  return received == "x" ? Status::Ok() : InternalError("the byte did not arrive");
}

// Listen binds the one address it is given: a listener on 127.0.0.2 is not reachable on
// 127.0.0.1 (it would be, bound to every interface).
TEST(RealNetworkTest, ListenBindsOnlyTheAddressGiven) {
  RealRuntime runtime("host", "", kSeed);
  const Status status = runtime.Run([&](Host& host) -> Status {
    ASSIGN_OR_RETURN(auto listener, host.network.Listen(Address{"127.0.0.2", 0}));
    const uint16_t port = listener->port();
    EXPECT_TRUE(OneByteThrough(host, *listener, {"127.0.0.2", port}).ok());
    auto elsewhere = host.network.Connect({"127.0.0.1", port}, kConnectTimeoutNs);
    EXPECT_FALSE(elsewhere.ok()) << "127.0.0.1:" << port << " has no listener";
    EXPECT_EQ(elsewhere.status().code(), StatusCode::kUnavailable) << elsewhere.status().ToString();
    listener->Close();
    // An address no interface of this machine has (TEST-NET-1, RFC 5737).
    auto foreign = host.network.Listen(Address{"192.0.2.1", 0});
    EXPECT_EQ(foreign.status().code(), StatusCode::kInvalidArgument) << foreign.status().ToString();
    EXPECT_NE(foreign.status().message().find("192.0.2.1"), std::string::npos);
    auto empty = host.network.Listen(Address{"", 0});
    EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument) << "no host: no default";
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(runtime.reactor().registered_fd_count(), 0u);
}

// Host names resolve (here through /etc/hosts: "localhost"); a name with no address is
// kNotFound (or kUnavailable when the resolver cannot tell now), naming the host.
TEST(RealNetworkTest, HostNamesResolve) {
  RealRuntime runtime("host", "", kSeed);
  const Status status = runtime.Run([&](Host& host) -> Status {
    ASSIGN_OR_RETURN(auto listener, host.network.Listen(Address{"localhost", 0}));
    EXPECT_TRUE(OneByteThrough(host, *listener, {"localhost", listener->port()}).ok());
    EXPECT_TRUE(OneByteThrough(host, *listener, {"127.0.0.1", listener->port()}).ok())
        << "\"localhost\" binds its IPv4 address";
    listener->Close();
    auto nowhere = host.network.Connect({"no-such-host.invalid", 80}, kConnectTimeoutNs);
    EXPECT_TRUE(nowhere.status().code() == StatusCode::kNotFound ||
                nowhere.status().code() == StatusCode::kUnavailable)
        << nowhere.status().ToString();
    EXPECT_NE(nowhere.status().message().find("no-such-host.invalid"), std::string::npos);
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
}

// IPv6: a listener on ::1, reached as "::1" and "[::1]". Skipped where the machine has no IPv6
// loopback.
TEST(RealNetworkTest, Ipv6Loopback) {
  RealRuntime runtime("host", "", kSeed);
  bool skipped = false;
  const Status status = runtime.Run([&](Host& host) -> Status {
    auto listener = host.network.Listen(Address{"::1", 0});
    if (!listener.ok()) {
      skipped = true;
      return Status::Ok();
    }
    const uint16_t port = (*listener)->port();
    EXPECT_TRUE(OneByteThrough(host, **listener, {"::1", port}).ok());
    EXPECT_TRUE(OneByteThrough(host, **listener, {"[::1]", port}).ok());
    (*listener)->Close();
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
  if (skipped) GTEST_SKIP() << "no IPv6 loopback on this machine";
}

TEST(RealNetworkTest, WriteSuspendsWhileThePeerDoesNotRead) {
  RealRuntime runtime("host", "", kSeed);
  const std::string payload = Pattern(kBackpressurePayloadBytes);
  const Status status = runtime.Run([&](Host& host) -> Status {
    ASSIGN_OR_RETURN(auto listener, host.network.Listen(Address{"127.0.0.1", 0}));
    ASSIGN_OR_RETURN(auto client,
                     host.network.Connect({"127.0.0.1", listener->port()}, kConnectTimeoutNs));
    ASSIGN_OR_RETURN(auto server_side, listener->Accept());
    bool writer_done = false;
    Status writer_status;
    const FiberId writer = host.fibers.Spawn("writer", [&] {
      writer_status = client->Write(payload);
      writer_done = true;
    });
    host.fibers.SleepFor(2 * kNanosPerMilli);
    EXPECT_FALSE(writer_done) << "the kernel buffered " << payload.size() << " bytes: raise it";
    std::string received;
    while (received.size() < payload.size()) {
      ASSIGN_OR_RETURN(const size_t n, server_side->Read(&received, 1024 * 1024));
      if (n == 0) return UnavailableError("early end of stream");
    }
    host.fibers.Join(writer);
    EXPECT_TRUE(writer_status.ok()) << writer_status.ToString();
    EXPECT_TRUE(received == payload) << "received bytes differ from the payload";
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
}

TEST(RealNetworkTest, ConnectRefusedIsUnavailableAndNamesThePeer) {
  RealRuntime runtime("host", "", kSeed);
  const Status status = runtime.Run([&](Host& host) -> Status {
    uint16_t port = 0;
    {
      ASSIGN_OR_RETURN(auto listener, host.network.Listen(Address{"127.0.0.1", 0}));
      port = listener->port();
    }  // closed: nothing listens on `port` now
    auto stream = host.network.Connect({"localhost", port}, kConnectTimeoutNs);
    EXPECT_FALSE(stream.ok());
    EXPECT_EQ(stream.status().code(), StatusCode::kUnavailable) << stream.status().ToString();
    EXPECT_NE(stream.status().message().find("127.0.0.1:" + std::to_string(port)),
              std::string::npos)
        << stream.status().message();
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(runtime.reactor().registered_fd_count(), 0u);
}

TEST(RealNetworkTest, ListenOnATakenPortIsAlreadyExists) {
  RealRuntime runtime("host", "", kSeed);
  const Status status = runtime.Run([&](Host& host) -> Status {
    ASSIGN_OR_RETURN(auto first, host.network.Listen(Address{"127.0.0.1", 0}));
    auto second = host.network.Listen(Address{"127.0.0.1", first->port()});
    EXPECT_EQ(second.status().code(), StatusCode::kAlreadyExists) << second.status().ToString();
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
}

TEST(RealNetworkTest, CloseWakesBlockedReaderAndAcceptor) {
  RealRuntime runtime("host", "", kSeed);
  const Status status = runtime.Run([&](Host& host) -> Status {
    ASSIGN_OR_RETURN(auto listener, host.network.Listen(Address{"127.0.0.1", 0}));
    ASSIGN_OR_RETURN(auto client,
                     host.network.Connect({"127.0.0.1", listener->port()}, kConnectTimeoutNs));
    ASSIGN_OR_RETURN(auto server_side, listener->Accept());
    Status read_status;
    Status accept_status;
    const FiberId reader = host.fibers.Spawn("reader", [&] {
      std::string data;
      read_status = client->Read(&data, 100).status();
    });
    const FiberId acceptor =
        host.fibers.Spawn("acceptor", [&] { accept_status = listener->Accept().status(); });
    host.fibers.Yield();  // both block
    client->Close();
    client->Close();  // idempotent
    listener->Close();
    host.fibers.Join(reader);
    host.fibers.Join(acceptor);
    EXPECT_EQ(read_status.code(), StatusCode::kUnavailable) << read_status.ToString();
    EXPECT_EQ(accept_status.code(), StatusCode::kUnavailable) << accept_status.ToString();
    EXPECT_EQ(client->Write("late").code(), StatusCode::kUnavailable);
    // The peer sees an orderly end of stream.
    std::string data;
    auto n = server_side->Read(&data, 100);
    EXPECT_TRUE(n.ok() && *n == 0) << n.status().ToString();
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(runtime.reactor().registered_fd_count(), 0u);
}

TEST(RealNetworkTest, WriteToAResetPeerFailsWithoutSigpipe) {
  RealRuntime runtime("host", "", kSeed);
  const Status status = runtime.Run([&](Host& host) -> Status {
    ASSIGN_OR_RETURN(auto listener, host.network.Listen(Address{"127.0.0.1", 0}));
    ASSIGN_OR_RETURN(auto client,
                     host.network.Connect({"127.0.0.1", listener->port()}, kConnectTimeoutNs));
    { ASSIGN_OR_RETURN(auto server_side, listener->Accept()); }  // the server closes its end
    // The first writes may still be accepted by the kernel; a reset follows, then EPIPE.
    const std::string chunk(64 * 1024, 'x');
    Status write_status;
    for (int attempt = 0; attempt < 100 && write_status.ok(); ++attempt) {
      write_status = client->Write(chunk);
      if (write_status.ok()) host.fibers.SleepFor(kNanosPerMilli);
    }
    EXPECT_EQ(write_status.code(), StatusCode::kUnavailable) << write_status.ToString();
    EXPECT_NE(write_status.message().find(client->PeerName()), std::string::npos);
    // A broken stream stays broken.
    EXPECT_EQ(client->Write("again").message(), write_status.message());
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
}

}  // namespace tcp_network_test
}  // namespace
}  // namespace sluice::real
