#include "engine/rpc/peer_auth.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "engine/rpc/frame.h"
#include "engine/runtime/real/real_runtime.h"

namespace sluice {
namespace {
namespace peer_auth_test {

constexpr int64_t kConnectTimeoutNs = kNanosPerSecond;

struct Outcome {
  Status client = InternalError("the client never ran");
  Status server = InternalError("the server never ran");
  std::string frame_after;  // the first frame the server read after authenticating
};

// A client holding `client_secret` authenticates with a server holding `server_secret` over
// loopback TCP, then sends one frame; `raw` (if set) is sent instead of the client's handshake.
Outcome Handshake(const std::string& client_secret, const std::string& server_secret,
                  const std::string& raw = "") {
  Outcome outcome;
  real::RealRuntime runtime("host", "", /*seed=*/11);
  const Status run = runtime.Run([&](Host& host) -> Status {
    ASSIGN_OR_RETURN(auto listener, host.network.Listen(Address{"127.0.0.1", 0}));
    const FiberId server = host.fibers.Spawn("server", [&] {
      auto stream = listener->Accept();
      if (!stream.ok()) return;
      outcome.server = AuthenticateAsServer(**stream, server_secret, host.random);
      if (outcome.server.ok()) {
        FrameReader reader(stream->get());
        auto frame = reader.Next();
        if (frame.ok()) outcome.frame_after = std::string(*frame);
      }
      (*stream)->Close();
    });
    ASSIGN_OR_RETURN(auto client,
                     host.network.Connect({"127.0.0.1", listener->port()}, kConnectTimeoutNs));
    if (raw.empty()) {
      outcome.client = AuthenticateAsClient(*client, client_secret, host.random);
      // The protocol's first frame follows at once, in the same segment as the proof.
      if (outcome.client.ok()) outcome.client = WriteFrame(*client, "deploy");
    } else {
      outcome.client = client->Write(raw);
    }
    if (!outcome.client.ok()) client->Close();
    host.fibers.Join(server);
    client->Close();
    return Status::Ok();
  });
  EXPECT_TRUE(run.ok()) << run.ToString();
  return outcome;
}

TEST(PeerAuthTest, TheSameSecretAuthenticatesBothWaysAndTheProtocolFollows) {
  const Outcome outcome = Handshake("s3cret-from-a-file", "s3cret-from-a-file");
  EXPECT_TRUE(outcome.client.ok()) << outcome.client.ToString();
  EXPECT_TRUE(outcome.server.ok()) << outcome.server.ToString();
  EXPECT_EQ(outcome.frame_after, "deploy") << "the handshake reads none of the protocol's bytes";
}

TEST(PeerAuthTest, AnotherSecretIsRefusedOnBothSides) {
  const Outcome outcome = Handshake("guess", "s3cret-from-a-file");
  EXPECT_EQ(outcome.client.code(), StatusCode::kUnauthenticated) << outcome.client.ToString();
  EXPECT_NE(outcome.client.message().find("does not hold the shared secret"), std::string::npos);
  EXPECT_FALSE(outcome.server.ok()) << "the server never accepts the client";
  EXPECT_TRUE(outcome.frame_after.empty());
}

TEST(PeerAuthTest, APeerThatIsNotSluiceIsRefused) {
  const Outcome outcome =
      Handshake("", "s3cret-from-a-file", "GET / HTTP/1.1\r\nHost: x\r\n\r\n0123456789");
  EXPECT_EQ(outcome.server.code(), StatusCode::kUnauthenticated) << outcome.server.ToString();
  EXPECT_NE(outcome.server.message().find("not a Sluice peer"), std::string::npos);
}

// Writes go to `inner` and are appended to *sent.
class RecordingStream final : public Stream {
 public:
  RecordingStream(Stream& inner, std::string* sent) : inner_(inner), sent_(sent) {}
  Status Write(std::string_view data) override {
    sent_->append(data);
    return inner_.Write(data);
  }
  Result<size_t> Read(std::string* out, size_t max_bytes) override {
    return inner_.Read(out, max_bytes);
  }
  void Close() override { inner_.Close(); }
  std::string PeerName() const override { return inner_.PeerName(); }

 private:
  Stream& inner_;
  std::string* sent_;
};

// A client's recorded side of a successful handshake (hello and proof), replayed to the server
// on a new connection: the server draws a new nonce, so the old proof fails.
TEST(PeerAuthTest, ARecordedHandshakeDoesNotAuthenticateAgain) {
  Status first_server = InternalError("not run");
  Status second_server = InternalError("not run");
  real::RealRuntime runtime("host", "", /*seed=*/13);
  const Status run = runtime.Run([&](Host& host) -> Status {
    ASSIGN_OR_RETURN(auto listener, host.network.Listen(Address{"127.0.0.1", 0}));
    const FiberId server = host.fibers.Spawn("server", [&] {
      for (Status* status : {&first_server, &second_server}) {
        auto stream = listener->Accept();
        if (!stream.ok()) return;
        *status = AuthenticateAsServer(**stream, "secret", host.random);
        (*stream)->Close();
      }
    });
    std::string recorded;
    ASSIGN_OR_RETURN(auto first,
                     host.network.Connect({"127.0.0.1", listener->port()}, kConnectTimeoutNs));
    RecordingStream recording(*first, &recorded);
    RETURN_IF_ERROR(AuthenticateAsClient(recording, "secret", host.random));
    ASSIGN_OR_RETURN(auto second,
                     host.network.Connect({"127.0.0.1", listener->port()}, kConnectTimeoutNs));
    RETURN_IF_ERROR(second->Write(recorded));  // hello and the old proof, at once
    host.fibers.Join(server);
    first->Close();
    second->Close();
    return Status::Ok();
  });
  ASSERT_TRUE(run.ok()) << run.ToString();
  EXPECT_TRUE(first_server.ok()) << first_server.ToString();
  EXPECT_EQ(second_server.code(), StatusCode::kUnauthenticated) << second_server.ToString();
}

}  // namespace peer_auth_test
}  // namespace
}  // namespace sluice
