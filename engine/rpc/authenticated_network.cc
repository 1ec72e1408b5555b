#include "engine/rpc/authenticated_network.h"

#include <utility>

#include "engine/rpc/peer_auth.h"
#include "engine/runtime/sync.h"

namespace sluice {
namespace {

// An accepted stream that authenticates its peer (as the server) before its first byte moves.
class ServerAuthenticatedStream final : public Stream {
 public:
  ServerAuthenticatedStream(std::unique_ptr<Stream> inner, const std::string& secret,
                            Random& random, EventLog& log, Fibers& fibers)
      : inner_(std::move(inner)), secret_(secret), random_(random), log_(log), fibers_(fibers) {}

  Status Write(std::string_view data) override {
    RETURN_IF_ERROR(Authenticated());
    return inner_->Write(data);
  }
  Result<size_t> Read(std::string* out, size_t max_bytes) override {
    RETURN_IF_ERROR(Authenticated());
    return inner_->Read(out, max_bytes);
  }
  void Close() override { inner_->Close(); }
  std::string PeerName() const override { return inner_->PeerName(); }

 private:
  // The handshake runs once, in the first fiber that reads or writes; another that comes
  // meanwhile (a connection's writer and reader fibers) waits for its outcome.
  Status Authenticated() {
    if (state_ == State::kDone) return outcome_;
    if (state_ == State::kRunning) {
      while (state_ == State::kRunning) done_.Wait(fibers_);
      return outcome_;
    }
    state_ = State::kRunning;
    outcome_ = AuthenticateAsServer(*inner_, secret_, random_);
    if (!outcome_.ok()) {
      log_.Warn("auth.rejected", outcome_.ToString());
      inner_->Close();
    }
    state_ = State::kDone;
    done_.NotifyAll(fibers_);
    return outcome_;
  }

  std::unique_ptr<Stream> inner_;
  const std::string& secret_;
  Random& random_;
  EventLog& log_;
  Fibers& fibers_;
  enum class State { kNotStarted, kRunning, kDone } state_ = State::kNotStarted;
  WaitList done_;
  Status outcome_;
};

class AuthenticatingListener final : public Listener {
 public:
  AuthenticatingListener(std::unique_ptr<Listener> inner, const std::string& secret,
                         Random& random, EventLog& log, Fibers& fibers)
      : inner_(std::move(inner)), secret_(secret), random_(random), log_(log), fibers_(fibers) {}
  Result<std::unique_ptr<Stream>> Accept() override {
    ASSIGN_OR_RETURN(std::unique_ptr<Stream> stream, inner_->Accept());
    return std::unique_ptr<Stream>(std::make_unique<ServerAuthenticatedStream>(
        std::move(stream), secret_, random_, log_, fibers_));
  }
  void Close() override { inner_->Close(); }
  uint16_t port() const override { return inner_->port(); }

 private:
  std::unique_ptr<Listener> inner_;
  const std::string& secret_;
  Random& random_;
  EventLog& log_;
  Fibers& fibers_;
};

}  // namespace

AuthenticatedNetwork::AuthenticatedNetwork(Network& inner, std::string secret, Random& random,
                                           EventLog& log, Fibers& fibers)
    : inner_(inner), secret_(std::move(secret)), random_(random), log_(log), fibers_(fibers) {}

Result<std::unique_ptr<Listener>> AuthenticatedNetwork::DoListen(const Address& bind,
                                                                 Protocol protocol) {
  ASSIGN_OR_RETURN(std::unique_ptr<Listener> listener, inner_.Listen(bind, protocol));
  if (protocol == Protocol::kHttp) return listener;
  return std::unique_ptr<Listener>(
      std::make_unique<AuthenticatingListener>(std::move(listener), secret_, random_, log_,
                                               fibers_));
}

Result<std::unique_ptr<Stream>> AuthenticatedNetwork::DoConnect(const Address& address,
                                                                int64_t timeout_ns,
                                                                Protocol protocol) {
  ASSIGN_OR_RETURN(std::unique_ptr<Stream> stream, inner_.Connect(address, timeout_ns, protocol));
  if (protocol == Protocol::kHttp) return stream;
  const Status authenticated = AuthenticateAsClient(*stream, secret_, random_);
  if (!authenticated.ok()) {
    stream->Close();
    return authenticated;
  }
  return stream;
}

}  // namespace sluice
