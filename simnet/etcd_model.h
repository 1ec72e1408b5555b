// The coordination service model: a one-member etcd 3.4 as a host program, speaking etcd's v3
// JSON gateway (grpc-gateway, proto3 JSON mapping) over HTTP on the host's network, so that the
// engine's etcd client (engine/ha/etcd_client.h) talks to it in simulation exactly as it talks
// to a real etcd on real hosts. Encoding helpers are shared with that client
// (engine/ha/etcd_json.h).
//
// Modeled (all POST, JSON bodies; errors as the gateway's {"error","message","code"} with HTTP
// status by gRPC code as grpc-gateway v1 maps it: 3, 9, 11 -> 400; 5 -> 404; 8 -> 429; 12 ->
// 501; 14 -> 503; others 500):
//   /v3/kv/range        key, range_end ("" one key; "\0" every key >= key), limit, count_only,
//                       keys_only, sort_order, sort_target, min/max_mod/create_revision, revision
//                       (0 or the current one; no history is kept, so an older revision answers
//                       code 11 "compacted", as if compaction ran after every write).
//   /v3/kv/put          key, value, lease, prev_kv, ignore_value, ignore_lease.
//   /v3/kv/deleterange  key, range_end, prev_kv.
//   /v3/kv/txn          compare (VERSION, CREATE, MOD, VALUE, LEASE; with range_end too) and the
//                       success/failure branches of range, put and delete ops, all at one new
//                       revision; etcd's duplicate-key and lease checks. Nested txns: code 3.
//   /v3/lease/grant, /v3/lease/revoke, /v3/lease/keepalive (one message, wrapped in "result" as
//   the gateway streams it), /v3/lease/timetolive (with keys), /v3/lease/leases; revoke and
//   timetolive also under /v3/kv/lease/. GET /health.
// Not modeled: watches (clients poll), history and compaction, auth, cluster and maintenance
// APIs, multiple members (so no leader changes: a crash is the only unavailability), the
// lowerCamelCase spelling of request fields (only etcd's own names, "range_end", are read).
//
// Semantics: a store at revision 1 when new; every write bumps the revision by one; leases expire
// by the host's clock (checked lazily when a request arrives, which clients cannot tell apart:
// they only observe through requests), each expired lease's keys deleted at a new revision as a
// revoke does. TTLs below config.min_lease_ttl_s are raised to it. Lease IDs are drawn at random
// when the store is created, then counted up, and never reused.
//
// The store's state and etcd's rules are simnet/etcd_store.h (pure logic, which never suspends),
// the gateway's request parsing and errors simnet/etcd_gateway.h; this is the host program around
// them: the listener, a fiber per connection, one request at a time, the state file.
//
// Durability, as etcd fsyncs its WAL before answering: every request that changed the state
// writes the whole state to data_dir/state (WriteFileAtomically, sealed with a checksum) before
// it is answered, and requests run one at a time, so no answer ever reflects state a crash could
// revert. If that write fails the request is answered code 14 (its outcome is then unknown, as
// with etcd's "request timed out") and every later request first retries the write. After a
// restart every lease's deadline is now + its TTL (etcd's lessor refreshes leases when a member
// becomes leader); raft_term counts the program's starts.
//
// Limits (past them: code 3 "request is too large", code 8 "database space exceeded" or "too
// many leases"): kEtcdKeysMax keys, kEtcdValueBytesMax per value, kEtcdStoreBytesMax of keys and
// values together, kEtcdLeasesMax leases, kEtcdTxnOpsMax ops or compares per txn (all in
// simnet/etcd_store.h), and kMaxHttpMessageBytes per request (engine/rest/http.h). At most
// kEtcdConnectionsMax connections are served at once (more wait in the listener's backlog), each
// for at most kEtcdConnectionTimeoutNs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/base/status.h"
#include "engine/runtime/clock.h"
#include "engine/runtime/host.h"
#include "simnet/etcd_store.h"

namespace sluice::sim {

// kEtcdKeysMax, kEtcdValueBytesMax, kEtcdStoreBytesMax, kEtcdLeasesMax, kEtcdTxnOpsMax: the
// store's, in simnet/etcd_store.h.
inline constexpr size_t kEtcdConnectionsMax = 128;
inline constexpr int64_t kEtcdConnectionTimeoutNs = 30 * kNanosPerSecond;

struct EtcdModelConfig {
  uint16_t port = 2379;
  std::string data_dir = "etcd";  // on the host's FileSystem
  // etcd raises smaller TTLs to its minimum, ceil(1.5 x election timeout): a real etcd with
  // --election-timeout=100 (ms) gives 1 s.
  int64_t min_lease_ttl_s = 1;
  // The address to listen on; "" = the host's own name (a simulated host has one address). Set
  // it when the model runs on a real host (the in-process benchmark cluster).
  std::string bind_host;
};

// Host program: serves the v3 JSON gateway on config.port until cancelled (a crash). Returns an
// error only if it cannot listen or its data on disk does not verify (kDataLoss naming the file).
// A start its disk fails (it records each start) is tried again 500 ms later, as a supervisor
// restarts etcd (logged "etcd.start_failed"). Suspends.
Status RunEtcdModel(Host& host, const EtcdModelConfig& config);

}  // namespace sluice::sim
