#include "simnet/etcd_store.h"

#include <algorithm>
#include <climits>
#include <iterator>
#include <nlohmann/json.hpp>
#include <utility>

#include "engine/base/assert.h"
#include "engine/base/bytes.h"
#include "engine/base/checksum.h"
#include "engine/ha/etcd_json.h"
#include "engine/runtime/clock.h"
#include "simnet/etcd_gateway.h"

namespace sluice::sim {
namespace {

using etcd_gateway::Compare;
using etcd_gateway::DeleteRequest;
using etcd_gateway::Dump;
using etcd_gateway::ErrorResponse;
using etcd_gateway::EtcdError;
using etcd_gateway::Failure;
using etcd_gateway::Grpc;
using etcd_gateway::InRange;
using etcd_gateway::Invalid;
using etcd_gateway::Op;
using etcd_gateway::PutRequest;
using etcd_gateway::RangeRequest;
using etcd_gateway::Take;
using etcd_gateway::TxnRequest;
using nlohmann::json;

constexpr uint32_t kStateMagic = 0x44435445;  // "ETCD"
constexpr uint64_t kStateFormat = 1;
// The ids etcd gives a one-member cluster with its default name and URLs: fixed, as a real
// cluster's are, so that no answer depends on anything random.
constexpr uint64_t kClusterId = 14841639068965178418ull;
constexpr uint64_t kMemberId = 10276657743932975437ull;
constexpr int64_t kMaxLeaseTtlS = 9000000000;  // etcd's lease.MaxLeaseTTL

const EtcdError kLeaseNotFound{Grpc::kNotFound, "etcdserver: requested lease not found"};
const EtcdError kNoSpace{Grpc::kResourceExhausted, "etcdserver: mvcc: database space exceeded"};

// Sets `name` to `value` as the gateway does: 64-bit integers as strings, defaults omitted.
void SetInt(json& out, const char* name, int64_t value) {
  if (value != 0) out[name] = std::to_string(value);
}

json RevisionHeader(int64_t revision) { return {{"revision", std::to_string(revision)}}; }

// How far past `now_ns` a lease of `ttl_s` seconds lasts, saturating.
int64_t DeadlineAfter(int64_t now_ns, int64_t ttl_s) {
  if (ttl_s >= (INT64_MAX - now_ns) / kNanosPerSecond) return INT64_MAX;
  return now_ns + ttl_s * kNanosPerSecond;
}

}  // namespace

json EtcdStore::Header() const {
  return {{"cluster_id", std::to_string(kClusterId)},
          {"member_id", std::to_string(kMemberId)},
          {"revision", std::to_string(revision_)},
          {"raft_term", std::to_string(raft_term_)}};
}

json EtcdStore::KeyValueJson(const std::string& key, const StoredKey& kv, bool keys_only) const {
  json out = {{"key", Base64Encode(key)}};
  SetInt(out, "create_revision", kv.create_revision);
  SetInt(out, "mod_revision", kv.mod_revision);
  SetInt(out, "version", kv.version);
  if (!keys_only && !kv.value.empty()) out["value"] = Base64Encode(kv.value);
  SetInt(out, "lease", kv.lease);
  return out;
}

HttpResponse EtcdStore::Handle(const HttpRequest& request, int64_t now_ns, bool* mutated) {
  SLUICE_ASSERT(now_ns >= now_ns_, "the host's clock is monotonic");
  now_ns_ = now_ns;
  mutated_ = false;
  const int64_t revision_before = revision_;
  ExpireLeases();
  json out;
  const Failure failure = Dispatch(request, &out);
  SLUICE_ASSERT(revision_ >= revision_before, "the revision never goes back");
  *mutated = mutated_;
  if (failure) return ErrorResponse(*failure);
  HttpResponse response;
  response.body = Dump(out);
  return response;
}

Failure EtcdStore::Dispatch(const HttpRequest& request, json* out) {
  if (request.path == "/health") {
    *out = {{"health", "true"}};
    return std::nullopt;
  }
  static const std::pair<std::string_view, Handler> kRoutes[] = {
      {"/v3/kv/range", &EtcdStore::Range},
      {"/v3/kv/put", &EtcdStore::Put},
      {"/v3/kv/deleterange", &EtcdStore::DeleteRange},
      {"/v3/kv/txn", &EtcdStore::Txn},
      {"/v3/lease/grant", &EtcdStore::LeaseGrant},
      {"/v3/lease/revoke", &EtcdStore::LeaseRevoke},
      {"/v3/kv/lease/revoke", &EtcdStore::LeaseRevoke},
      {"/v3/lease/keepalive", &EtcdStore::LeaseKeepAlive},
      {"/v3/lease/timetolive", &EtcdStore::LeaseTimeToLive},
      {"/v3/kv/lease/timetolive", &EtcdStore::LeaseTimeToLive},
      {"/v3/lease/leases", &EtcdStore::LeaseLeases},
      {"/v3/kv/lease/leases", &EtcdStore::LeaseLeases}};
  const auto* route = std::find_if(std::begin(kRoutes), std::end(kRoutes),
                                   [&](const auto& r) { return r.first == request.path; });
  if (route == std::end(kRoutes)) return EtcdError{Grpc::kNotFound, "Not Found"};
  if (request.method != "POST") return EtcdError{Grpc::kUnimplemented, "Method Not Allowed"};
  json body = json::object();  // the gateway reads an empty body as an empty request
  if (request.body.find_first_not_of(" \t\r\n") != std::string::npos) {
    try {
      body = json::parse(request.body);
    } catch (const json::exception& e) {  // a parse error, local to this call
      return Invalid(std::string("malformed JSON request: ") + e.what());
    }
  }
  if (!body.is_object())
    return Invalid(std::string("request: not a JSON object but ") + body.type_name());
  return (this->*route->second)(body, out);
}

Failure EtcdStore::CheckRevision(int64_t wanted, int64_t at) const {
  if (wanted > at) {
    return EtcdError{Grpc::kOutOfRange, "etcdserver: mvcc: required revision is a future revision"};
  }
  // No history is kept: every older revision is as if compacted.
  if (wanted > 0 && wanted < at) {
    return EtcdError{Grpc::kOutOfRange, "etcdserver: mvcc: required revision has been compacted"};
  }
  return std::nullopt;
}

json EtcdStore::RangeResponse(const RangeRequest& r, int64_t revision) const {
  // As etcd 3.4's applierV3backend.Range: with a limit and neither sort order nor filters it
  // reads limit + 1 keys (in key order) to learn "more"; otherwise all, then filters and sorts.
  const bool read_all = r.sort_order != 0 || r.min_mod_revision != 0 || r.max_mod_revision != 0 ||
                        r.min_create_revision != 0 || r.max_create_revision != 0 || r.limit <= 0;
  using Entry = const std::pair<const std::string, StoredKey>*;
  std::vector<Entry> found;
  int64_t count = 0;
  for (auto it = keys_.lower_bound(r.key);
       it != keys_.end() && InRange(it->first, r.key, r.range_end); ++it) {
    ++count;
    if (r.count_only || (!read_all && static_cast<int64_t>(found.size()) > r.limit)) continue;
    found.push_back(&*it);
  }
  std::erase_if(found, [&](Entry e) {
    const StoredKey& kv = e->second;
    return (r.max_mod_revision != 0 && kv.mod_revision > r.max_mod_revision) ||
           (r.min_mod_revision != 0 && kv.mod_revision < r.min_mod_revision) ||
           (r.max_create_revision != 0 && kv.create_revision > r.max_create_revision) ||
           (r.min_create_revision != 0 && kv.create_revision < r.min_create_revision);
  });
  const int order = r.sort_target != 0 && r.sort_order == 0 ? 1 : r.sort_order;
  if (order != 0) {
    auto less = [&](Entry a, Entry b) {
      switch (r.sort_target) {
        case 1:
          return a->second.version < b->second.version;
        case 2:
          return a->second.create_revision < b->second.create_revision;
        case 3:
          return a->second.mod_revision < b->second.mod_revision;
        case 4:
          return a->second.value < b->second.value;
        default:
          return a->first < b->first;
      }
    };
    std::stable_sort(found.begin(), found.end(),
                     [&](Entry a, Entry b) { return order == 1 ? less(a, b) : less(b, a); });
  }
  json out = {{"header", RevisionHeader(revision)}};
  if (r.limit > 0 && static_cast<int64_t>(found.size()) > r.limit) {
    found.resize(static_cast<size_t>(r.limit));
    out["more"] = true;
  }
  if (!found.empty()) {
    json& kvs = out["kvs"] = json::array();
    for (Entry e : found) kvs.push_back(KeyValueJson(e->first, e->second, r.keys_only));
  }
  SetInt(out, "count", count);
  return out;
}

Failure EtcdStore::Range(const json& in, json* out) {
  RangeRequest r;
  ETCD_RETURN_IF_FAILED(ParseRange(in, &r));
  ETCD_RETURN_IF_FAILED(CheckRevision(r.revision, revision_));
  *out = RangeResponse(r, revision_);
  (*out)["header"] = Header();
  return std::nullopt;
}

Failure EtcdStore::CheckPut(const PutRequest& p) const {
  if (p.lease != 0 && !p.ignore_lease && leases_.count(p.lease) == 0) return kLeaseNotFound;
  // ignore_value and ignore_lease take the key's current ones: it must exist.
  if ((p.ignore_value || p.ignore_lease) && keys_.count(p.key) == 0) {
    return Invalid("etcdserver: key not found");
  }
  return std::nullopt;
}

Failure EtcdStore::CheckRoom(const std::vector<const PutRequest*>& puts) const {
  int64_t bytes = 0;
  for (const auto& [key, kv] : keys_) bytes += static_cast<int64_t>(key.size() + kv.value.size());
  size_t new_keys = 0;
  for (const PutRequest* p : puts) {  // no key twice: CheckDuplicates
    auto it = keys_.find(p->key);
    if (it == keys_.end()) {
      ++new_keys;
      bytes += static_cast<int64_t>(p->key.size() + p->value.size());
    } else if (!p->ignore_value) {
      bytes +=
          static_cast<int64_t>(p->value.size()) - static_cast<int64_t>(it->second.value.size());
    }
  }
  if (keys_.size() + new_keys > kEtcdKeysMax) return kNoSpace;
  if (bytes > static_cast<int64_t>(kEtcdStoreBytesMax)) return kNoSpace;
  return std::nullopt;
}

json EtcdStore::ApplyPut(const PutRequest& p, int64_t revision) {
  SLUICE_ASSERT(revision == revision_ + 1, "a put writes at the next revision");
  json out = json::object();
  StoredKey& kv = keys_[p.key];
  if (p.prev_kv && kv.version > 0) out["prev_kv"] = KeyValueJson(p.key, kv, false);
  if (kv.version == 0) kv.create_revision = revision;
  kv.version += 1;
  kv.mod_revision = revision;
  if (!p.ignore_value) kv.value = p.value;
  if (!p.ignore_lease) kv.lease = p.lease;
  SLUICE_ASSERT(kv.lease == 0 || leases_.count(kv.lease) == 1, "a key's lease is live (CheckPut)");
  mutated_ = true;
  return out;
}

Failure EtcdStore::Put(const json& in, json* out) {
  PutRequest p;
  ETCD_RETURN_IF_FAILED(ParsePut(in, &p));
  ETCD_RETURN_IF_FAILED(CheckPut(p));
  ETCD_RETURN_IF_FAILED(CheckRoom({&p}));
  *out = ApplyPut(p, revision_ + 1);
  revision_ += 1;
  SLUICE_ASSERT(keys_.at(p.key).mod_revision == revision_, "the put is at the new revision");
  (*out)["header"] = Header();
  return std::nullopt;
}

json EtcdStore::ApplyDelete(const DeleteRequest& d, int64_t* deleted) {
  json out = json::object();
  *deleted = 0;
  for (auto it = keys_.lower_bound(d.key);
       it != keys_.end() && InRange(it->first, d.key, d.range_end);) {
    if (d.prev_kv) out["prev_kvs"].push_back(KeyValueJson(it->first, it->second, false));
    it = keys_.erase(it);
    ++*deleted;
  }
  if (*deleted > 0) mutated_ = true;
  SetInt(out, "deleted", *deleted);
  return out;
}

Failure EtcdStore::DeleteRange(const json& in, json* out) {
  DeleteRequest d;
  ETCD_RETURN_IF_FAILED(ParseDelete(in, &d));
  int64_t deleted = 0;
  *out = ApplyDelete(d, &deleted);
  if (deleted > 0) revision_ += 1;  // one revision for the whole range, none for nothing
  (*out)["header"] = Header();
  return std::nullopt;
}

bool EtcdStore::Holds(const Compare& c) const {
  auto holds = [&c](const StoredKey& kv) {
    int order = 0;  // kv's field against the compare's
    if (c.target == Compare::kValue) {
      order = kv.value.compare(c.value);
    } else {
      const int64_t fields[] = {kv.version, kv.create_revision, kv.mod_revision, 0, kv.lease};
      const int64_t mine = fields[c.target];
      order = mine < c.number ? -1 : (mine > c.number ? 1 : 0);
    }
    switch (c.result) {
      case Compare::kGreater:
        return order > 0;
      case Compare::kLess:
        return order < 0;
      case Compare::kNotEqual:
        return order != 0;
      default:
        return order == 0;
    }
  };
  bool any = false;
  for (auto it = keys_.lower_bound(c.key);
       it != keys_.end() && InRange(it->first, c.key, c.range_end); ++it) {
    any = true;
    if (!holds(it->second)) return false;
  }
  // A missing key compares as all zero, except that its value compares false.
  if (!any) return c.target != Compare::kValue && holds(StoredKey{});
  return true;
}

Failure EtcdStore::CheckOps(const std::vector<Op>& ops) const {
  std::vector<const PutRequest*> puts;
  for (const Op& op : ops) {
    if (op.kind == Op::Kind::kPut) {
      ETCD_RETURN_IF_FAILED(CheckPut(op.put));
      puts.push_back(&op.put);
    } else if (op.kind == Op::Kind::kRange) {
      ETCD_RETURN_IF_FAILED(CheckRevision(op.range.revision, revision_));
    }
  }
  return CheckRoom(puts);
}

json EtcdStore::ApplyOp(const Op& op, int64_t begin, bool* changed) {
  // Each op's header holds the revision as of that op: begin, or begin + 1 once it wrote.
  switch (op.kind) {
    case Op::Kind::kRange:
      return {{"response_range", RangeResponse(op.range, *changed ? begin + 1 : begin)}};
    case Op::Kind::kPut: {
      json put = ApplyPut(op.put, begin + 1);
      *changed = true;
      put["header"] = RevisionHeader(begin + 1);
      return {{"response_put", std::move(put)}};
    }
    case Op::Kind::kDelete: {
      int64_t deleted = 0;
      json erase = ApplyDelete(op.erase, &deleted);
      *changed = *changed || deleted > 0;
      erase["header"] = RevisionHeader(*changed ? begin + 1 : begin);
      return {{"response_delete_range", std::move(erase)}};
    }
  }
  SLUICE_ASSERT(false, "every op kind is handled above");
  return json::object();
}

Failure EtcdStore::Txn(const json& in, json* out) {
  TxnRequest t;
  ETCD_RETURN_IF_FAILED(ParseTxn(in, &t));
  const bool succeeded =
      std::all_of(t.compares.begin(), t.compares.end(), [&](const Compare& c) { return Holds(c); });
  const std::vector<Op>& ops = succeeded ? t.success : t.failure;
  ETCD_RETURN_IF_FAILED(CheckOps(ops));  // before anything applies: all or nothing
  // Every op of the branch applies at one new revision (bumped once, if anything was written).
  const int64_t begin = revision_;
  bool changed = false;
  json responses = json::array();
  for (const Op& op : ops) responses.push_back(ApplyOp(op, begin, &changed));
  if (changed) revision_ = begin + 1;
  *out = {{"header", Header()}};
  if (succeeded) (*out)["succeeded"] = true;
  if (!responses.empty()) (*out)["responses"] = std::move(responses);
  return std::nullopt;
}

int64_t EtcdStore::NextLeaseId() {
  // At most kEtcdLeasesMax ids are live, so this skips at most that many.
  while (next_lease_id_ <= 0 || leases_.count(next_lease_id_) != 0) ++next_lease_id_;
  SLUICE_ASSERT(next_lease_id_ < INT64_MAX, "lease ids start below 2^62 and count up by one");
  mutated_ = true;  // the next id is stored: no id is handed out twice, even across a crash
  return next_lease_id_++;
}

void EtcdStore::DropLease(int64_t id) {
  SLUICE_ASSERT(leases_.count(id) == 1, "only a live lease is dropped");
  const size_t erased =
      std::erase_if(keys_, [id](const auto& entry) { return entry.second.lease == id; });
  if (erased > 0) revision_ += 1;
  leases_.erase(id);
  mutated_ = true;
}

void EtcdStore::ExpireLeases() {
  std::vector<std::pair<int64_t, int64_t>> expired;  // (deadline, id): in the order they expired
  for (const auto& [id, lease] : leases_) {
    if (lease.deadline_ns <= now_ns_) expired.emplace_back(lease.deadline_ns, id);
  }
  std::sort(expired.begin(), expired.end());
  for (const auto& [deadline_ns, id] : expired) DropLease(id);
}

Failure EtcdStore::LeaseGrant(const json& in, json* out) {
  int64_t ttl_s = 0, id = 0;
  ETCD_RETURN_IF_FAILED(Take(JsonInt64(in, "TTL"), &ttl_s));
  ETCD_RETURN_IF_FAILED(Take(JsonInt64(in, "ID"), &id));
  if (ttl_s > kMaxLeaseTtlS) return EtcdError{Grpc::kOutOfRange, "etcdserver: too large lease TTL"};
  if (id != 0 && leases_.count(id) != 0) {
    return EtcdError{Grpc::kFailedPrecondition, "etcdserver: lease already exists"};
  }
  if (leases_.size() >= kEtcdLeasesMax) {
    return EtcdError{Grpc::kResourceExhausted,
                     "etcdserver: too many leases (the simulated etcd keeps at most " +
                         std::to_string(kEtcdLeasesMax) + ")"};
  }
  if (id == 0) id = NextLeaseId();
  ttl_s = std::max(ttl_s, min_lease_ttl_s_);
  leases_[id] = StoredLease{ttl_s, DeadlineAfter(now_ns_, ttl_s)};
  mutated_ = true;
  *out = {{"header", Header()}, {"ID", std::to_string(id)}, {"TTL", std::to_string(ttl_s)}};
  return std::nullopt;
}

Failure EtcdStore::LeaseRevoke(const json& in, json* out) {
  int64_t id = 0;
  ETCD_RETURN_IF_FAILED(Take(JsonInt64(in, "ID"), &id));
  if (leases_.count(id) == 0) return kLeaseNotFound;
  DropLease(id);
  *out = {{"header", Header()}};
  return std::nullopt;
}

Failure EtcdStore::LeaseKeepAlive(const json& in, json* out) {
  int64_t id = 0;
  ETCD_RETURN_IF_FAILED(Take(JsonInt64(in, "ID"), &id));
  json result = {{"header", Header()}};
  SetInt(result, "ID", id);
  auto it = leases_.find(id);
  if (it != leases_.end()) {  // else TTL 0 (omitted): the lease is gone
    it->second.deadline_ns = DeadlineAfter(now_ns_, it->second.ttl_s);
    SetInt(result, "TTL", it->second.ttl_s);
  }
  *out = {{"result", std::move(result)}};  // the gateway wraps each stream message
  return std::nullopt;
}

Failure EtcdStore::LeaseTimeToLive(const json& in, json* out) {
  int64_t id = 0;
  bool keys = false;
  ETCD_RETURN_IF_FAILED(Take(JsonInt64(in, "ID"), &id));
  ETCD_RETURN_IF_FAILED(Take(JsonBool(in, "keys"), &keys));
  *out = {{"header", Header()}};
  SetInt(*out, "ID", id);
  auto it = leases_.find(id);
  if (it == leases_.end()) {
    (*out)["TTL"] = "-1";
    return std::nullopt;
  }
  SLUICE_ASSERT(it->second.deadline_ns > now_ns_, "expired leases were dropped (ExpireLeases)");
  SetInt(*out, "TTL", (it->second.deadline_ns - now_ns_) / kNanosPerSecond);
  SetInt(*out, "grantedTTL", it->second.ttl_s);
  if (keys) {
    json list = json::array();
    for (const auto& [key, kv] : keys_) {
      if (kv.lease == id) list.push_back(Base64Encode(key));
    }
    if (!list.empty()) (*out)["keys"] = std::move(list);
  }
  return std::nullopt;
}

Failure EtcdStore::LeaseLeases(const json& in, json* out) {
  *out = {{"header", Header()}};
  for (const auto& [id, lease] : leases_) {
    (*out)["leases"].push_back(json{{"ID", std::to_string(id)}});
  }
  return std::nullopt;
}

std::string EtcdStore::Encode() const {
  std::string payload;
  ByteWriter w(&payload);
  w.PutVarint(kStateFormat);
  w.PutVarint(raft_term_);
  w.PutSignedVarint(revision_);
  w.PutSignedVarint(next_lease_id_);
  w.PutVarint(leases_.size());
  for (const auto& [id, lease] : leases_) {
    w.PutSignedVarint(id);
    w.PutSignedVarint(lease.ttl_s);
  }
  w.PutVarint(keys_.size());
  for (const auto& [key, kv] : keys_) {
    w.PutString(key);
    w.PutString(kv.value);
    w.PutSignedVarint(kv.create_revision);
    w.PutSignedVarint(kv.mod_revision);
    w.PutSignedVarint(kv.version);
    w.PutSignedVarint(kv.lease);
  }
  return SealBlob(kStateMagic, payload);
}

Result<EtcdStore> EtcdStore::Decode(std::string_view sealed, const std::string& what,
                                    int64_t now_ns, int64_t min_lease_ttl_s) {
  ASSIGN_OR_RETURN(const std::string_view payload, UnsealBlob(kStateMagic, sealed, what));
  auto damaged = [&what](const std::string& why) { return DataLossError(what + ": " + why); };
  ByteReader r(payload);
  uint64_t format = 0, raft_term = 0, lease_count = 0, key_count = 0;
  int64_t revision = 0, next_lease_id = 0;
  if (!r.GetVarint(&format) || format != kStateFormat) return damaged("unknown format");
  if (!r.GetVarint(&raft_term) || !r.GetSignedVarint(&revision) ||
      !r.GetSignedVarint(&next_lease_id) || revision < 1) {
    return damaged("bad header");
  }
  EtcdStore store(min_lease_ttl_s, next_lease_id);
  store.raft_term_ = raft_term;
  store.revision_ = revision;
  if (!r.GetVarint(&lease_count) || lease_count > kEtcdLeasesMax) return damaged("bad lease count");
  for (uint64_t i = 0; i < lease_count; ++i) {
    int64_t id = 0, ttl_s = 0;
    if (!r.GetSignedVarint(&id) || !r.GetSignedVarint(&ttl_s) || id == 0 || ttl_s < 1 ||
        !store.leases_.emplace(id, StoredLease{ttl_s, DeadlineAfter(now_ns, ttl_s)}).second) {
      return damaged("bad lease");
    }
  }
  if (!r.GetVarint(&key_count) || key_count > kEtcdKeysMax) return damaged("bad key count");
  for (uint64_t i = 0; i < key_count; ++i) {
    std::string key;
    StoredKey kv;
    if (!r.GetString(&key) || !r.GetString(&kv.value) || !r.GetSignedVarint(&kv.create_revision) ||
        !r.GetSignedVarint(&kv.mod_revision) || !r.GetSignedVarint(&kv.version) ||
        !r.GetSignedVarint(&kv.lease)) {
      return damaged("truncated key");
    }
    const bool ordered = store.keys_.empty() || store.keys_.rbegin()->first < key;
    const bool revisions = kv.create_revision >= 1 && kv.create_revision <= kv.mod_revision &&
                           kv.mod_revision <= revision && kv.version >= 1;
    const bool lease = kv.lease == 0 || store.leases_.count(kv.lease) == 1;
    if (key.empty() || !ordered || !revisions || !lease) return damaged("inconsistent key");
    store.keys_.emplace_hint(store.keys_.end(), std::move(key), std::move(kv));
  }
  if (!r.empty()) return damaged("trailing bytes");
  return store;
}

}  // namespace sluice::sim
