#include "simnet/etcd_model.h"

#include <algorithm>
#include <climits>
#include <map>
#include <memory>
#include <utility>

#include "engine/base/assert.h"
#include "engine/rest/http.h"
#include "engine/runtime/file_system.h"
#include "engine/runtime/sync.h"
#include "simnet/etcd_gateway.h"
#include "simnet/etcd_store.h"

namespace sluice::sim {
namespace {
namespace etcd_model {

using etcd_gateway::ErrorResponse;
using etcd_gateway::EtcdError;
using etcd_gateway::Grpc;
using etcd_gateway::Invalid;

constexpr uint64_t kFirstLeaseIdSpan = uint64_t{1} << 62;  // ids count up from a draw below this

// One request at a time: each runs, and has its state written, before the next one starts.
struct RequestLock {
  bool held = false;
  WaitList waiters;
};

class RequestTurn {
 public:
  RequestTurn(Fibers& fibers, RequestLock& lock) : fibers_(fibers), lock_(lock) {
    while (lock_.held) lock_.waiters.Wait(fibers_);
    lock_.held = true;
  }
  ~RequestTurn() {
    lock_.held = false;
    // All, not one: a woken waiter that is being cancelled would not pass the turn on.
    lock_.waiters.NotifyAll(fibers_);
  }
  RequestTurn(const RequestTurn&) = delete;
  RequestTurn& operator=(const RequestTurn&) = delete;

 private:
  Fibers& fibers_;
  RequestLock& lock_;
};

// The host program's I/O: connections, one request each, and the state file.
class Server {
 public:
  Server(Host& host, std::string state_path, EtcdStore store)
      : host_(host), state_path_(std::move(state_path)), store_(std::move(store)) {}

  // Writes the state durably. May suspend.
  Status Persist();
  // Serves `listener` until it fails; returns after every connection has ended. Suspends.
  void Serve(Listener& listener);

 private:
  struct Connection {
    std::shared_ptr<Stream> stream;
    int64_t deadline_ns = 0;  // closed then; INT64_MAX once closed
  };
  void ServeConnection(uint64_t id, const std::shared_ptr<Stream>& stream);
  // Answers one request under the request lock. May suspend.
  HttpResponse Answer(const HttpRequest& request);
  // Closes connections past their deadline, forever. Suspends.
  void CloseLateConnections();

  Host& host_;
  const std::string state_path_;
  EtcdStore store_;
  RequestLock lock_;
  bool unpersisted_ = false;  // the state holds a change not yet written
  std::map<uint64_t, Connection> connections_;
  WaitList connections_changed_;
};

Status Server::Persist() {
  const std::string bytes = store_.Encode();
  SLUICE_ASSERT_SIM(host_, EtcdStore::Decode(bytes, state_path_, 0, 1).ok(),
                    "the state written reads back");
  unpersisted_ = true;
  Status written = WriteFileAtomically(host_.fs, state_path_, bytes);
  if (!written.ok()) {
    host_.log.Warn("etcd.persist_failed", written.ToString());
    return written;
  }
  unpersisted_ = false;
  return Status::Ok();
}

HttpResponse Server::Answer(const HttpRequest& request) {
  RequestTurn turn(host_.fibers, lock_);
  const EtcdError timed_out{Grpc::kUnavailable, "etcdserver: request timed out"};
  // A change whose write failed is written before anything is answered from it.
  if (unpersisted_ && !Persist().ok()) return ErrorResponse(timed_out);
  bool mutated = false;
  HttpResponse response = store_.Handle(request, host_.clock.NowNs(), &mutated);
  if (mutated && !Persist().ok()) return ErrorResponse(timed_out);
  return response;
}

void Server::ServeConnection(uint64_t id, const std::shared_ptr<Stream>& stream) {
  struct Ended {  // also when the fiber is cancelled
    Server& server;
    uint64_t id;
    ~Ended() {
      server.connections_.erase(id);
      server.connections_changed_.NotifyAll(server.host_.fibers);
    }
  } ended{*this, id};
  Result<HttpRequest> request = ReadHttpRequest(*stream);
  HttpResponse response;
  if (request.ok()) {
    response = Answer(request.value());
  } else if (request.status().code() == StatusCode::kUnavailable) {
    stream->Close();  // the peer left (or the connection timed out)
    return;
  } else {
    host_.log.Warn("etcd.bad_request", stream->PeerName() + ": " + request.status().ToString());
    const bool large = request.status().code() == StatusCode::kResourceExhausted;
    response = ErrorResponse(
        Invalid(large ? "etcdserver: request is too large" : request.status().message()));
  }
  (void)stream->Write(EncodeHttpResponse(response));  // a peer that left misses its answer
  stream->Close();
}

void Server::CloseLateConnections() {
  for (;;) {
    const int64_t now_ns = host_.clock.NowNs();
    int64_t next_ns = INT64_MAX;
    for (auto& [id, connection] : connections_) {
      if (connection.deadline_ns <= now_ns) {
        host_.log.Warn("etcd.connection_timeout", connection.stream->PeerName());
        connection.stream->Close();  // its fiber's read or write fails, and it ends
        connection.deadline_ns = INT64_MAX;
      }
      next_ns = std::min(next_ns, connection.deadline_ns);
    }
    connections_changed_.Wait(host_.fibers, next_ns == INT64_MAX ? -1 : next_ns);
  }
}

void Server::Serve(Listener& listener) {
  const FiberId closer = host_.fibers.Spawn("etcd-closer", [this] { CloseLateConnections(); });
  uint64_t next_id = 0;
  for (;;) {
    // More connections wait in the listener's backlog.
    while (connections_.size() >= kEtcdConnectionsMax) connections_changed_.Wait(host_.fibers);
    auto accepted = listener.Accept();
    if (!accepted.ok()) break;
    std::shared_ptr<Stream> stream = std::move(accepted).value();
    const uint64_t id = next_id++;
    connections_[id] = Connection{stream, host_.clock.NowNs() + kEtcdConnectionTimeoutNs};
    const FiberId fiber =
        host_.fibers.Spawn("etcd-connection", [this, id, stream] { ServeConnection(id, stream); });
    if (fiber == kNoFiber) connections_.erase(id);  // the host is going down
    connections_changed_.NotifyAll(host_.fibers);
  }
  host_.fibers.Cancel(closer);
  host_.fibers.Join(closer);
  for (auto& [id, connection] : connections_) connection.stream->Close();
  while (!connections_.empty()) connections_changed_.Wait(host_.fibers);
}

// The stored state, or a new store when there is none. May suspend.
Result<EtcdStore> LoadStore(Host& host, const EtcdModelConfig& config, const std::string& path) {
  ASSIGN_OR_RETURN(const bool exists, host.fs.Exists(path));
  if (!exists) {
    const int64_t first_lease_id = 1 + static_cast<int64_t>(host.random.Uniform(kFirstLeaseIdSpan));
    return EtcdStore(config.min_lease_ttl_s, first_lease_id);
  }
  ASSIGN_OR_RETURN(const std::string sealed, host.fs.ReadFile(path));
  return EtcdStore::Decode(sealed, path, host.clock.NowNs(), config.min_lease_ttl_s);
}

}  // namespace etcd_model
}  // namespace

namespace {
namespace etcd_model {

// How long a start that failed on its disk waits before the next (a supervisor's restart delay).
constexpr int64_t kStartRetryDelayNs = 500 * kNanosPerMilli;

// One start: load the state, listen, record the start, serve until the listener fails. Returns
// what ended it; `*served` tells whether it got as far as serving.
Status StartAndServe(Host& host, const EtcdModelConfig& config, const std::string& path,
                     bool* served) {
  RETURN_IF_ERROR(host.fs.CreateDir(config.data_dir));
  ASSIGN_OR_RETURN(EtcdStore store, LoadStore(host, config, path));
  store.Started();
  // Listening first: clients connecting while the start is recorded wait in the backlog.
  ASSIGN_OR_RETURN(auto listener,
                   host.network.Listen(
                       Address{config.bind_host.empty() ? host.name : config.bind_host, config.port},
                       Protocol::kHttp));
  Server server(host, path, std::move(store));
  RETURN_IF_ERROR(server.Persist());
  host.log.Info("etcd.listening", host.name + ":" + std::to_string(config.port));
  *served = true;
  server.Serve(*listener);
  return UnavailableError("etcd model: the listener on port " + std::to_string(config.port) +
                          " failed");
}

}  // namespace etcd_model
}  // namespace

Status RunEtcdModel(Host& host, const EtcdModelConfig& config) {
  SLUICE_ASSERT(config.min_lease_ttl_s >= 1, "etcd's minimum lease TTL is at least a second");
  const std::string path = config.data_dir + "/state";
  // A start that fails on its disk (full, failing I/O) is tried again, as a supervisor (systemd,
  // Kubernetes) restarts etcd: giving up would leave the cluster without coordination for good
  // after a fault the budget allows (chaos seeds 2066, 2295, 2334: etcd restarted while its disk
  // was full or failing). Damaged data (kDataLoss) and a port in use end it: etcd refuses to
  // start on those.
  for (;;) {
    bool served = false;
    const Status ended = etcd_model::StartAndServe(host, config, path, &served);
    if (served || ended.code() == StatusCode::kDataLoss ||
        ended.code() == StatusCode::kAlreadyExists) {
      return ended;
    }
    host.log.Warn("etcd.start_failed", ended.ToString());
    host.fibers.SleepFor(etcd_model::kStartRetryDelayNs);
  }
}

}  // namespace sluice::sim
