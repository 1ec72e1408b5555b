// A client of etcd's v3 API through its JSON gateway (etcd 3.4: POST /v3/kv/range, /v3/kv/put,
// /v3/kv/deleterange, /v3/kv/txn, /v3/lease/grant, /v3/lease/keepalive, /v3/lease/revoke;
// Documentation/dev-guide/api_grpc_gateway.md), over the seam's network (Protocol::kHttp), so the
// same code talks to a real etcd on real hosts and to the simulator's model of one
// (simnet/etcd_model.h). It is what JobManager high availability stands on: leader election
// with a lease, and fenced writes as transactions comparing the leader key's revision
// (engine/ha/leader_election.h).
//
// Each call is one HTTP request on a fresh connection ("Connection: close"), bounded by the
// client's request timeout (ns of the host's clock), tried on each endpoint in turn from the one
// that last answered, until one answers. Errors:
//   - kUnavailable: no endpoint answered (refused, reset, timed out, or answered bytes that are
//     not an etcd response, which are dropped). For a write the outcome is then unknown: it may
//     have applied (as with any etcd client; fenced writes make a retry safe).
//   - etcd's own errors by their gRPC code: kInvalidArgument (3), kNotFound (5, e.g. "requested
//     lease not found"), kResourceExhausted (8), kFailedPrecondition (9), kDeadlineExceeded (4),
//     anything else kInternal; the message is etcd's, prefixed with the endpoint.
// Every call may suspend. Not shared between fibers: each fiber uses its own client (a call in
// flight owns the connection it made).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/base/status.h"
#include "engine/runtime/host.h"

namespace sluice {

// One key as etcd keeps it (mvccpb.KeyValue): revisions are the store's global revision at the
// key's creation and last modification; version counts modifications since creation.
struct EtcdKeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t version = 0;
  int64_t lease = 0;  // 0: none
};

// One condition of a transaction (etcdserverpb.Compare). A missing key has every number 0; a
// value comparison on a missing key is false.
struct EtcdCompare {
  enum class Target { kVersion, kCreate, kMod, kValue, kLease };
  enum class Result { kEqual, kGreater, kLess, kNotEqual };
  std::string key;
  Target target = Target::kVersion;
  Result result = Result::kEqual;
  int64_t number = 0;  // kVersion, kCreate, kMod, kLease
  std::string value;   // kValue

  // `key` does not exist (create revision 0).
  static EtcdCompare Missing(std::string key);
  // `key` was last written at `revision`.
  static EtcdCompare ModRevisionIs(std::string key, int64_t revision);
  static EtcdCompare ValueIs(std::string key, std::string value);
};

// One operation of a transaction (etcdserverpb.RequestOp).
struct EtcdOp {
  enum class Kind { kRange, kPut, kDelete };
  Kind kind = Kind::kRange;
  std::string key;
  std::string range_end;  // kRange, kDelete: "" = `key` alone; see PrefixRangeEnd
  std::string value;      // kPut
  int64_t lease = 0;      // kPut: attach to this lease (0: none)

  static EtcdOp Get(std::string key);
  static EtcdOp GetPrefix(const std::string& prefix);
  static EtcdOp Put(std::string key, std::string value, int64_t lease = 0);
  static EtcdOp Delete(std::string key);
};

struct EtcdRangeResult {
  int64_t revision = 0;  // the store's revision when it answered
  std::vector<EtcdKeyValue> kvs;  // sorted by key
  int64_t count = 0;  // keys in the range (kvs may hold fewer with a limit)
  bool more = false;  // the limit left some out
};

struct EtcdOpResult {
  std::vector<EtcdKeyValue> kvs;  // kRange
  int64_t deleted = 0;            // kDelete
};

struct EtcdTxnResult {
  int64_t revision = 0;  // the store's revision after the transaction
  bool succeeded = false;  // every compare held: the success ops ran (else the failure ops)
  std::vector<EtcdOpResult> responses;  // one per op of the branch that ran, in order
};

struct EtcdLease {
  int64_t id = 0;
  int64_t ttl_s = 0;  // as granted (etcd raises a TTL below its minimum)
};

// The decoders of etcd's answers, as EtcdClient applies them to a response's JSON object (public
// for the fuzz target, fuzz/etcd_response_fuzz.cc). Each returns the typed answer, or
// kInvalidArgument naming what is malformed; none throws, whatever the JSON holds. Pure.
Result<EtcdRangeResult> DecodeEtcdRange(const nlohmann::json& response);
// A transaction's answer; the number of responses must match the ops of the branch that ran.
Result<EtcdTxnResult> DecodeEtcdTxn(const nlohmann::json& response, size_t success_ops,
                                    size_t failure_ops);
Result<EtcdLease> DecodeEtcdLeaseGrant(const nlohmann::json& response);
// A keepalive's TTL in seconds (0: the lease is gone).
Result<int64_t> DecodeEtcdKeepAlive(const nlohmann::json& response);
// The revision in a response's header (put, delete, revoke).
Result<int64_t> DecodeEtcdRevision(const nlohmann::json& response);
// An error answer's status ({"error","message","code"}, or a stream's {"error":{"grpc_code",...}}),
// prefixed with `endpoint`; OK when `response` is no error.
Status DecodeEtcdError(const nlohmann::json& response, const std::string& endpoint);

class EtcdClient {
 public:
  // `endpoints`: etcd members' client addresses (at least one). `request_timeout_ns` bounds
  // each request on one endpoint (connect, send, answer).
  EtcdClient(Host& host, std::vector<Address> endpoints, int64_t request_timeout_ns);

  Result<EtcdRangeResult> Get(const std::string& key);
  // Every key beginning with `prefix`, sorted, at most `limit` (0: all).
  Result<EtcdRangeResult> GetPrefix(const std::string& prefix, int64_t limit = 0);
  // Returns the revision the put created.
  Result<int64_t> Put(const std::string& key, const std::string& value, int64_t lease = 0);
  // Deletes `key` (with `range_end`, the range [key, range_end)). Returns the number deleted.
  Result<int64_t> Delete(const std::string& key, const std::string& range_end = "");
  // Atomically: if every compare holds, runs `success`, else `failure`, all at one revision.
  // etcd refuses (kInvalidArgument) a branch that writes one key twice.
  Result<EtcdTxnResult> Txn(const std::vector<EtcdCompare>& compares,
                            const std::vector<EtcdOp>& success,
                            const std::vector<EtcdOp>& failure = {});

  // A lease that expires `ttl_s` seconds after it was granted or last kept alive; the keys put
  // with it are deleted when it expires or is revoked.
  Result<EtcdLease> GrantLease(int64_t ttl_s);
  // Renews `lease`. Returns its TTL in seconds, 0 if it has expired (or never existed): its keys
  // are gone then.
  Result<int64_t> KeepAlive(int64_t lease);
  // Ends `lease` now, deleting its keys. kNotFound if it had expired.
  Status Revoke(int64_t lease);

  const std::vector<Address>& endpoints() const { return endpoints_; }

 private:
  // POSTs `body` (JSON) to `path` on each endpoint in turn until one answers; returns the
  // response's JSON object. Errors as in the file comment.
  Result<nlohmann::json> Call(const std::string& path, const nlohmann::json& body);
  // One attempt on one endpoint: kUnavailable for any transport failure or malformed answer.
  Result<nlohmann::json> CallOnce(const Address& endpoint, const std::string& path,
                                  const std::string& body);

  Host& host_;
  const std::vector<Address> endpoints_;
  const int64_t request_timeout_ns_;
  size_t preferred_ = 0;  // the endpoint that answered last
};

}  // namespace sluice
