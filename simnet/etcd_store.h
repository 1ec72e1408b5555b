// The simulated etcd's store: one etcd 3.4 member's state and etcd's rules for each endpoint of
// the v3 JSON gateway, as the host program of simnet/etcd_model.h serves them (the endpoints, the
// fields read and the errors are listed there). Pure logic: no call here suspends, does I/O, reads
// a clock or draws a random number; the caller passes the time in, writes Encode's bytes durably
// and runs one request at a time (a store is not thread-safe).
//
// State: the revision (1 when new; every write bumps it by one, a txn's writes and an expiry's or
// a revoke's deletions by one together), the keys (each: value, create_revision, mod_revision,
// version, lease ID or 0), the leases (ID -> TTL in seconds, and a deadline in nanoseconds of the
// host's clock), the next lease ID to hand out (IDs count up and are never reused) and raft_term,
// the number of Started calls. The durable state is all of it but the deadlines.
//
// Time: Handle's now_ns, nanoseconds of the host's monotonic clock, never smaller than the last
// request's. Each request first expires every lease whose deadline is <= now_ns, in deadline order,
// deleting its keys as a revoke does; clients cannot tell this apart from etcd's lessor, since they
// observe only through requests. A lease granted or kept alive at now_ns lasts until now_ns + its
// TTL (saturating); TTLs below the store's min_lease_ttl_s are raised to it.
//
// Errors: a request's failure is etcd's, a value in the response (HTTP status by gRPC code, body
// {"error","message","code"}, see simnet/etcd_gateway.h); past a limit below, code 3 "request is
// too large", code 8 "database space exceeded" or "too many leases". A bug crashes (SLUICE_ASSERT).
// Decode's failure is a Status (kDataLoss).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/status.h"
#include "engine/rest/http.h"

namespace sluice::sim {

inline constexpr size_t kEtcdKeysMax = 10000;
inline constexpr size_t kEtcdValueBytesMax = 1024 * 1024;
inline constexpr size_t kEtcdStoreBytesMax = 16 * 1024 * 1024;  // of keys and values together
inline constexpr size_t kEtcdLeasesMax = 1000;
inline constexpr size_t kEtcdTxnOpsMax = 128;  // etcd's default --max-txn-ops

namespace etcd_gateway {  // simnet/etcd_gateway.h
struct EtcdError;
struct RangeRequest;
struct PutRequest;
struct DeleteRequest;
struct Op;
struct Compare;
}  // namespace etcd_gateway

class EtcdStore {
 public:
  // A new store, at revision 1 with no keys and no leases. min_lease_ttl_s >= 1: etcd's minimum
  // TTL; first_lease_id > 0: the first lease ID handed out (etcd draws it at random).
  EtcdStore(int64_t min_lease_ttl_s, int64_t first_lease_id)
      : min_lease_ttl_s_(min_lease_ttl_s), next_lease_id_(first_lease_id) {}

  // The durable state, as written to disk, sealed with a checksum.
  std::string Encode() const;
  // Reads back Encode's bytes; every lease's deadline becomes now_ns + its TTL (etcd's lessor
  // refreshes leases when a member becomes leader). kDataLoss naming `what` for bytes that do not
  // verify or are inconsistent.
  static Result<EtcdStore> Decode(std::string_view sealed, const std::string& what, int64_t now_ns,
                                  int64_t min_lease_ttl_s);
  // Counts a start of the program (etcd's raft term grows with each election).
  void Started() { ++raft_term_; }
  // Answers one request (path, method and body as the gateway takes them) at now_ns; *mutated
  // tells whether the durable state changed, so that Encode's bytes must be written before the
  // answer is given.
  HttpResponse Handle(const HttpRequest& request, int64_t now_ns, bool* mutated);

 private:
  using json = nlohmann::json;
  using Failure = std::optional<etcd_gateway::EtcdError>;  // nullopt: success
  using RangeRequest = etcd_gateway::RangeRequest;
  using PutRequest = etcd_gateway::PutRequest;
  using DeleteRequest = etcd_gateway::DeleteRequest;
  using Op = etcd_gateway::Op;
  using Compare = etcd_gateway::Compare;

  struct StoredKey {
    std::string value;
    int64_t create_revision = 0, mod_revision = 0, version = 0, lease = 0;
  };
  struct StoredLease {
    int64_t ttl_s = 0;
    int64_t deadline_ns = 0;  // not stored: a start sets every deadline to now + TTL
  };

  using Handler = Failure (EtcdStore::*)(const json&, json*);
  Failure Dispatch(const HttpRequest& request, json* out);
  Failure Range(const json& in, json* out);
  Failure Put(const json& in, json* out);
  Failure DeleteRange(const json& in, json* out);
  Failure Txn(const json& in, json* out);
  Failure LeaseGrant(const json& in, json* out);
  Failure LeaseRevoke(const json& in, json* out);
  Failure LeaseKeepAlive(const json& in, json* out);
  Failure LeaseTimeToLive(const json& in, json* out);
  Failure LeaseLeases(const json& in, json* out);

  json Header() const;
  json KeyValueJson(const std::string& key, const StoredKey& kv, bool keys_only) const;
  // A range's response (header: the revision alone) as of `revision`.
  json RangeResponse(const RangeRequest& r, int64_t revision) const;
  Failure CheckRevision(int64_t wanted, int64_t at) const;
  Failure CheckPut(const PutRequest& p) const;
  // Whether the puts fit within the store's limits.
  Failure CheckRoom(const std::vector<const PutRequest*>& puts) const;
  Failure CheckOps(const std::vector<Op>& ops) const;
  bool Holds(const Compare& c) const;
  // Apply a write at `revision` (the caller advances revision_); responses without header.
  json ApplyPut(const PutRequest& p, int64_t revision);
  json ApplyDelete(const DeleteRequest& d, int64_t* deleted);
  json ApplyOp(const Op& op, int64_t begin, bool* changed);
  int64_t NextLeaseId();
  // Deletes the lease and its keys (at a new revision if it had any).
  void DropLease(int64_t id);
  void ExpireLeases();

  int64_t min_lease_ttl_s_;
  int64_t next_lease_id_;
  uint64_t raft_term_ = 0;
  int64_t revision_ = 1;  // etcd starts at 1
  std::map<std::string, StoredKey> keys_;
  std::map<int64_t, StoredLease> leases_;
  int64_t now_ns_ = 0;    // of the request being handled
  bool mutated_ = false;  // by the request being handled
};

}  // namespace sluice::sim
