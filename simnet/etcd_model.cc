#include "simnet/etcd_model.h"

#include <algorithm>
#include <climits>
#include <initializer_list>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/base/assert.h"
#include "engine/base/bytes.h"
#include "engine/base/checksum.h"
#include "engine/ha/etcd_json.h"
#include "engine/rest/http.h"
#include "engine/runtime/sync.h"

namespace sluice::sim {
namespace {
namespace etcd_model {

using nlohmann::json;

constexpr uint32_t kStateMagic = 0x44435445;  // "ETCD"
constexpr uint64_t kStateFormat = 1;
// The ids etcd gives a one-member cluster with its default name and URLs: fixed, as a real
// cluster's are, so that no answer depends on anything random.
constexpr uint64_t kClusterId = 14841639068965178418ull;
constexpr uint64_t kMemberId = 10276657743932975437ull;
constexpr int64_t kMaxLeaseTtlS = 9000000000;              // etcd's lease.MaxLeaseTTL
constexpr uint64_t kFirstLeaseIdSpan = uint64_t{1} << 62;  // ids count up from a draw below this

// The gRPC codes etcd answers with (google.golang.org/grpc/codes).
enum class Grpc {
  kInvalidArgument = 3,
  kNotFound = 5,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kUnavailable = 14,
};

struct EtcdError {
  Grpc code;
  std::string message;
};
using Failure = std::optional<EtcdError>;  // nullopt: success

#define ETCD_RETURN_IF_FAILED(expr) \
  do {                              \
    Failure failure_ = (expr);      \
    if (failure_) return failure_;  \
  } while (0)

EtcdError Invalid(std::string message) { return {Grpc::kInvalidArgument, std::move(message)}; }
const EtcdError kEmptyKey = Invalid("etcdserver: key is not provided");
const EtcdError kLeaseNotFound{Grpc::kNotFound, "etcdserver: requested lease not found"};
const EtcdError kNoSpace{Grpc::kResourceExhausted, "etcdserver: mvcc: database space exceeded"};

// grpc-gateway v1's runtime.HTTPStatusFromCode, as etcd 3.4 serves it.
int HttpStatusOf(Grpc code) {
  switch (code) {
    case Grpc::kInvalidArgument:
    case Grpc::kFailedPrecondition:  // deliberately not 412 in grpc-gateway v1
    case Grpc::kOutOfRange:
      return 400;
    case Grpc::kNotFound:
      return 404;
    case Grpc::kResourceExhausted:
      return 429;
    case Grpc::kUnimplemented:
      return 501;
    case Grpc::kUnavailable:
      return 503;
  }
  return 500;
}

// Error messages may quote request bytes, which need not be UTF-8: replace rather than throw.
std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

HttpResponse ErrorResponse(const EtcdError& error) {
  HttpResponse response;
  response.status = HttpStatusOf(error.code);
  response.body = Dump(json{{"error", error.message},
                            {"message", error.message},
                            {"code", static_cast<int>(error.code)}});
  return response;
}

// Moves a decoded field into *out; a decoding error is the request's fault (code 3).
template <typename T>
Failure Take(Result<T> result, T* out) {
  if (!result.ok()) return Invalid(result.status().message());
  *out = std::move(result).value();
  return std::nullopt;
}

// Member `name` of `object`, or nullptr when absent or null (the proto3 default).
const json* Member(const json& object, const char* name) {
  auto it = object.find(name);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

// Enum field `name`, given by its name or its number; 0 when absent.
Failure TakeEnum(const json& object, const char* name,
                 std::initializer_list<std::string_view> names, int* out) {
  *out = 0;
  const json* field = Member(object, name);
  if (field == nullptr) return std::nullopt;
  int index = -1;
  if (field->is_string()) {
    auto it = std::find(names.begin(), names.end(), field->get_ref<const std::string&>());
    if (it != names.end()) index = static_cast<int>(it - names.begin());
  } else if (field->is_number_integer()) {
    const int64_t number = field->get<int64_t>();
    if (number >= 0 && number < static_cast<int64_t>(names.size()))
      index = static_cast<int>(number);
  }
  if (index < 0) return Invalid(std::string(name) + ": not one of its enum's values");
  *out = index;
  return std::nullopt;
}

// Whether `key` is in etcd's range [begin, end): "" is `begin` alone, "\0" every key >= begin.
bool InRange(const std::string& key, const std::string& begin, const std::string& end) {
  if (end.empty()) return key == begin;
  if (end == std::string(1, '\0')) return key >= begin;
  return key >= begin && key < end;
}

struct RangeRequest {
  std::string key, range_end;
  int64_t limit = 0, revision = 0;
  int sort_order = 0;   // NONE, ASCEND, DESCEND
  int sort_target = 0;  // KEY, VERSION, CREATE, MOD, VALUE
  bool count_only = false, keys_only = false;
  int64_t min_mod_revision = 0, max_mod_revision = 0;
  int64_t min_create_revision = 0, max_create_revision = 0;
};

struct PutRequest {
  std::string key, value;
  int64_t lease = 0;
  bool prev_kv = false, ignore_value = false, ignore_lease = false;
};

struct DeleteRequest {
  std::string key, range_end;
  bool prev_kv = false;
};

struct Op {
  enum class Kind { kRange, kPut, kDelete };
  Kind kind = Kind::kRange;
  RangeRequest range;
  PutRequest put;
  DeleteRequest erase;
};

struct Compare {
  enum Target { kVersion, kCreate, kMod, kValue, kLease };
  enum Result { kEqual, kGreater, kLess, kNotEqual };
  int result = kEqual;
  int target = kVersion;
  std::string key, range_end, value;
  int64_t number = 0;
};

struct TxnRequest {
  std::vector<Compare> compares;
  std::vector<Op> success, failure;
};

Failure ParseRange(const json& in, RangeRequest* r) {
  ETCD_RETURN_IF_FAILED(Take(JsonBytes(in, "key"), &r->key));
  ETCD_RETURN_IF_FAILED(Take(JsonBytes(in, "range_end"), &r->range_end));
  ETCD_RETURN_IF_FAILED(Take(JsonInt64(in, "limit"), &r->limit));
  ETCD_RETURN_IF_FAILED(Take(JsonInt64(in, "revision"), &r->revision));
  ETCD_RETURN_IF_FAILED(TakeEnum(in, "sort_order", {"NONE", "ASCEND", "DESCEND"}, &r->sort_order));
  ETCD_RETURN_IF_FAILED(
      TakeEnum(in, "sort_target", {"KEY", "VERSION", "CREATE", "MOD", "VALUE"}, &r->sort_target));
  ETCD_RETURN_IF_FAILED(Take(JsonBool(in, "count_only"), &r->count_only));
  ETCD_RETURN_IF_FAILED(Take(JsonBool(in, "keys_only"), &r->keys_only));
  ETCD_RETURN_IF_FAILED(Take(JsonInt64(in, "min_mod_revision"), &r->min_mod_revision));
  ETCD_RETURN_IF_FAILED(Take(JsonInt64(in, "max_mod_revision"), &r->max_mod_revision));
  ETCD_RETURN_IF_FAILED(Take(JsonInt64(in, "min_create_revision"), &r->min_create_revision));
  ETCD_RETURN_IF_FAILED(Take(JsonInt64(in, "max_create_revision"), &r->max_create_revision));
  if (r->key.empty()) return kEmptyKey;
  return std::nullopt;
}

Failure ParsePut(const json& in, PutRequest* p) {
  ETCD_RETURN_IF_FAILED(Take(JsonBytes(in, "key"), &p->key));
  ETCD_RETURN_IF_FAILED(Take(JsonBytes(in, "value"), &p->value));
  ETCD_RETURN_IF_FAILED(Take(JsonInt64(in, "lease"), &p->lease));
  ETCD_RETURN_IF_FAILED(Take(JsonBool(in, "prev_kv"), &p->prev_kv));
  ETCD_RETURN_IF_FAILED(Take(JsonBool(in, "ignore_value"), &p->ignore_value));
  ETCD_RETURN_IF_FAILED(Take(JsonBool(in, "ignore_lease"), &p->ignore_lease));
  if (p->key.empty()) return kEmptyKey;
  if (p->ignore_value && !p->value.empty()) return Invalid("etcdserver: value is provided");
  if (p->ignore_lease && p->lease != 0) return Invalid("etcdserver: lease is provided");
  if (p->value.size() > kEtcdValueBytesMax) return Invalid("etcdserver: request is too large");
  return std::nullopt;
}

Failure ParseDelete(const json& in, DeleteRequest* d) {
  ETCD_RETURN_IF_FAILED(Take(JsonBytes(in, "key"), &d->key));
  ETCD_RETURN_IF_FAILED(Take(JsonBytes(in, "range_end"), &d->range_end));
  ETCD_RETURN_IF_FAILED(Take(JsonBool(in, "prev_kv"), &d->prev_kv));
  if (d->key.empty()) return kEmptyKey;
  return std::nullopt;
}

Failure ParseOp(const json& in, Op* op) {
  if (!in.is_object()) return Invalid("txn: an op is not an object");
  if (Member(in, "request_txn") != nullptr) {
    return Invalid("request_txn: nested transactions are not modeled by the simulated etcd");
  }
  static constexpr std::pair<const char*, Op::Kind> kKinds[] = {
      {"request_range", Op::Kind::kRange},
      {"request_put", Op::Kind::kPut},
      {"request_delete_range", Op::Kind::kDelete}};
  for (const auto& [name, kind] : kKinds) {
    const json* request = Member(in, name);
    if (request == nullptr) continue;
    if (!request->is_object()) return Invalid(std::string(name) + ": not an object");
    op->kind = kind;
    if (kind == Op::Kind::kRange) return ParseRange(*request, &op->range);
    if (kind == Op::Kind::kPut) return ParsePut(*request, &op->put);
    return ParseDelete(*request, &op->erase);
  }
  return Invalid("etcdserver: key not found");  // etcd's answer to an empty op
}

Failure ParseCompare(const json& in, Compare* c) {
  if (!in.is_object()) return Invalid("compare: an entry is not an object");
  ETCD_RETURN_IF_FAILED(
      TakeEnum(in, "result", {"EQUAL", "GREATER", "LESS", "NOT_EQUAL"}, &c->result));
  ETCD_RETURN_IF_FAILED(
      TakeEnum(in, "target", {"VERSION", "CREATE", "MOD", "VALUE", "LEASE"}, &c->target));
  ETCD_RETURN_IF_FAILED(Take(JsonBytes(in, "key"), &c->key));
  ETCD_RETURN_IF_FAILED(Take(JsonBytes(in, "range_end"), &c->range_end));
  static constexpr const char* kFields[] = {"version", "create_revision", "mod_revision", "value",
                                            "lease"};
  if (c->target == Compare::kValue) {
    ETCD_RETURN_IF_FAILED(Take(JsonBytes(in, "value"), &c->value));
  } else {
    ETCD_RETURN_IF_FAILED(Take(JsonInt64(in, kFields[c->target]), &c->number));
  }
  if (c->key.empty()) return kEmptyKey;
  return std::nullopt;
}

// etcd's checkIntervals: within one branch, no key is put twice or put and deleted.
Failure CheckDuplicates(const std::vector<Op>& ops) {
  const EtcdError duplicate = Invalid("etcdserver: duplicate key given in txn request");
  for (size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].kind != Op::Kind::kPut) continue;
    for (size_t j = 0; j < ops.size(); ++j) {
      if (ops[j].kind == Op::Kind::kPut && j < i && ops[j].put.key == ops[i].put.key) {
        return duplicate;
      }
      if (ops[j].kind == Op::Kind::kDelete &&
          InRange(ops[i].put.key, ops[j].erase.key, ops[j].erase.range_end)) {
        return duplicate;
      }
    }
  }
  return std::nullopt;
}

template <typename T>
Failure ParseList(const json& in, const char* name, Failure (*parse)(const json&, T*),
                  std::vector<T>* out) {
  const json* list = Member(in, name);
  if (list == nullptr) return std::nullopt;
  if (!list->is_array()) return Invalid(std::string(name) + ": not a list");
  if (list->size() > kEtcdTxnOpsMax)
    return Invalid("etcdserver: too many operations in txn request");
  for (const json& entry : *list) {
    out->emplace_back();
    ETCD_RETURN_IF_FAILED(parse(entry, &out->back()));
  }
  return std::nullopt;
}

Failure ParseTxn(const json& in, TxnRequest* t) {
  ETCD_RETURN_IF_FAILED(ParseList(in, "compare", &ParseCompare, &t->compares));
  ETCD_RETURN_IF_FAILED(ParseList(in, "success", &ParseOp, &t->success));
  ETCD_RETURN_IF_FAILED(ParseList(in, "failure", &ParseOp, &t->failure));
  ETCD_RETURN_IF_FAILED(CheckDuplicates(t->success));
  return CheckDuplicates(t->failure);
}

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

struct StoredKey {
  std::string value;
  int64_t create_revision = 0, mod_revision = 0, version = 0, lease = 0;
};

struct StoredLease {
  int64_t ttl_s = 0;
  int64_t deadline_ns = 0;  // not stored: a start sets every deadline to now + TTL
};

// The store's state and etcd's semantics, without I/O: pure logic that never suspends.
class Store {
 public:
  Store(int64_t min_lease_ttl_s, int64_t first_lease_id)
      : min_lease_ttl_s_(min_lease_ttl_s), next_lease_id_(first_lease_id) {}

  // The state as written to disk, sealed with a checksum.
  std::string Encode() const;
  // Reads back Encode's bytes; every lease's deadline becomes now_ns + its TTL. kDataLoss naming
  // `what` for bytes that do not verify or are inconsistent.
  static Result<Store> Decode(std::string_view sealed, const std::string& what, int64_t now_ns,
                              int64_t min_lease_ttl_s);
  // Counts a start of the program (etcd's raft term grows with each election).
  void Started() { ++raft_term_; }
  // Answers one request at now_ns; *mutated tells whether the durable state changed.
  HttpResponse Handle(const HttpRequest& request, int64_t now_ns, bool* mutated);

 private:
  using Handler = Failure (Store::*)(const json&, json*);
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

json Store::Header() const {
  return {{"cluster_id", std::to_string(kClusterId)},
          {"member_id", std::to_string(kMemberId)},
          {"revision", std::to_string(revision_)},
          {"raft_term", std::to_string(raft_term_)}};
}

json Store::KeyValueJson(const std::string& key, const StoredKey& kv, bool keys_only) const {
  json out = {{"key", Base64Encode(key)}};
  SetInt(out, "create_revision", kv.create_revision);
  SetInt(out, "mod_revision", kv.mod_revision);
  SetInt(out, "version", kv.version);
  if (!keys_only && !kv.value.empty()) out["value"] = Base64Encode(kv.value);
  SetInt(out, "lease", kv.lease);
  return out;
}

HttpResponse Store::Handle(const HttpRequest& request, int64_t now_ns, bool* mutated) {
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

Failure Store::Dispatch(const HttpRequest& request, json* out) {
  if (request.path == "/health") {
    *out = {{"health", "true"}};
    return std::nullopt;
  }
  static const std::pair<std::string_view, Handler> kRoutes[] = {
      {"/v3/kv/range", &Store::Range},
      {"/v3/kv/put", &Store::Put},
      {"/v3/kv/deleterange", &Store::DeleteRange},
      {"/v3/kv/txn", &Store::Txn},
      {"/v3/lease/grant", &Store::LeaseGrant},
      {"/v3/lease/revoke", &Store::LeaseRevoke},
      {"/v3/kv/lease/revoke", &Store::LeaseRevoke},
      {"/v3/lease/keepalive", &Store::LeaseKeepAlive},
      {"/v3/lease/timetolive", &Store::LeaseTimeToLive},
      {"/v3/kv/lease/timetolive", &Store::LeaseTimeToLive},
      {"/v3/lease/leases", &Store::LeaseLeases},
      {"/v3/kv/lease/leases", &Store::LeaseLeases}};
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

Failure Store::CheckRevision(int64_t wanted, int64_t at) const {
  if (wanted > at) {
    return EtcdError{Grpc::kOutOfRange, "etcdserver: mvcc: required revision is a future revision"};
  }
  // No history is kept: every older revision is as if compacted.
  if (wanted > 0 && wanted < at) {
    return EtcdError{Grpc::kOutOfRange, "etcdserver: mvcc: required revision has been compacted"};
  }
  return std::nullopt;
}

json Store::RangeResponse(const RangeRequest& r, int64_t revision) const {
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

Failure Store::Range(const json& in, json* out) {
  RangeRequest r;
  ETCD_RETURN_IF_FAILED(ParseRange(in, &r));
  ETCD_RETURN_IF_FAILED(CheckRevision(r.revision, revision_));
  *out = RangeResponse(r, revision_);
  (*out)["header"] = Header();
  return std::nullopt;
}

Failure Store::CheckPut(const PutRequest& p) const {
  if (p.lease != 0 && !p.ignore_lease && leases_.count(p.lease) == 0) return kLeaseNotFound;
  // ignore_value and ignore_lease take the key's current ones: it must exist.
  if ((p.ignore_value || p.ignore_lease) && keys_.count(p.key) == 0) {
    return Invalid("etcdserver: key not found");
  }
  return std::nullopt;
}

Failure Store::CheckRoom(const std::vector<const PutRequest*>& puts) const {
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

json Store::ApplyPut(const PutRequest& p, int64_t revision) {
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

Failure Store::Put(const json& in, json* out) {
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

json Store::ApplyDelete(const DeleteRequest& d, int64_t* deleted) {
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

Failure Store::DeleteRange(const json& in, json* out) {
  DeleteRequest d;
  ETCD_RETURN_IF_FAILED(ParseDelete(in, &d));
  int64_t deleted = 0;
  *out = ApplyDelete(d, &deleted);
  if (deleted > 0) revision_ += 1;  // one revision for the whole range, none for nothing
  (*out)["header"] = Header();
  return std::nullopt;
}

bool Store::Holds(const Compare& c) const {
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

Failure Store::CheckOps(const std::vector<Op>& ops) const {
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

json Store::ApplyOp(const Op& op, int64_t begin, bool* changed) {
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

Failure Store::Txn(const json& in, json* out) {
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

int64_t Store::NextLeaseId() {
  // At most kEtcdLeasesMax ids are live, so this skips at most that many.
  while (next_lease_id_ <= 0 || leases_.count(next_lease_id_) != 0) ++next_lease_id_;
  SLUICE_ASSERT(next_lease_id_ < INT64_MAX, "lease ids start below 2^62 and count up by one");
  mutated_ = true;  // the next id is stored: no id is handed out twice, even across a crash
  return next_lease_id_++;
}

void Store::DropLease(int64_t id) {
  SLUICE_ASSERT(leases_.count(id) == 1, "only a live lease is dropped");
  const size_t erased =
      std::erase_if(keys_, [id](const auto& entry) { return entry.second.lease == id; });
  if (erased > 0) revision_ += 1;
  leases_.erase(id);
  mutated_ = true;
}

void Store::ExpireLeases() {
  std::vector<std::pair<int64_t, int64_t>> expired;  // (deadline, id): in the order they expired
  for (const auto& [id, lease] : leases_) {
    if (lease.deadline_ns <= now_ns_) expired.emplace_back(lease.deadline_ns, id);
  }
  std::sort(expired.begin(), expired.end());
  for (const auto& [deadline_ns, id] : expired) DropLease(id);
}

Failure Store::LeaseGrant(const json& in, json* out) {
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

Failure Store::LeaseRevoke(const json& in, json* out) {
  int64_t id = 0;
  ETCD_RETURN_IF_FAILED(Take(JsonInt64(in, "ID"), &id));
  if (leases_.count(id) == 0) return kLeaseNotFound;
  DropLease(id);
  *out = {{"header", Header()}};
  return std::nullopt;
}

Failure Store::LeaseKeepAlive(const json& in, json* out) {
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

Failure Store::LeaseTimeToLive(const json& in, json* out) {
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

Failure Store::LeaseLeases(const json& in, json* out) {
  *out = {{"header", Header()}};
  for (const auto& [id, lease] : leases_) {
    (*out)["leases"].push_back(json{{"ID", std::to_string(id)}});
  }
  return std::nullopt;
}

std::string Store::Encode() const {
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

Result<Store> Store::Decode(std::string_view sealed, const std::string& what, int64_t now_ns,
                            int64_t min_lease_ttl_s) {
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
  Store store(min_lease_ttl_s, next_lease_id);
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
  Server(Host& host, std::string state_path, Store store)
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
  Store store_;
  RequestLock lock_;
  bool unpersisted_ = false;  // the state holds a change not yet written
  std::map<uint64_t, Connection> connections_;
  WaitList connections_changed_;
};

Status Server::Persist() {
  const std::string bytes = store_.Encode();
  SLUICE_ASSERT_SIM(host_, Store::Decode(bytes, state_path_, 0, 1).ok(),
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
Result<Store> LoadStore(Host& host, const EtcdModelConfig& config, const std::string& path) {
  ASSIGN_OR_RETURN(const bool exists, host.fs.Exists(path));
  if (!exists) {
    const int64_t first_lease_id = 1 + static_cast<int64_t>(host.random.Uniform(kFirstLeaseIdSpan));
    return Store(config.min_lease_ttl_s, first_lease_id);
  }
  ASSIGN_OR_RETURN(const std::string sealed, host.fs.ReadFile(path));
  return Store::Decode(sealed, path, host.clock.NowNs(), config.min_lease_ttl_s);
}

#undef ETCD_RETURN_IF_FAILED

}  // namespace etcd_model
}  // namespace

Status RunEtcdModel(Host& host, const EtcdModelConfig& config) {
  using etcd_model::Server;
  using etcd_model::Store;
  SLUICE_ASSERT(config.min_lease_ttl_s >= 1, "etcd's minimum lease TTL is at least a second");
  const std::string path = config.data_dir + "/state";
  RETURN_IF_ERROR(host.fs.CreateDir(config.data_dir));
  ASSIGN_OR_RETURN(Store store, etcd_model::LoadStore(host, config, path));
  store.Started();
  // Listening first: clients connecting while the start is recorded wait in the backlog.
  ASSIGN_OR_RETURN(auto listener,
                   host.network.Listen(Address{host.name, config.port}, Protocol::kHttp));
  Server server(host, path, std::move(store));
  RETURN_IF_ERROR(server.Persist());
  host.log.Info("etcd.listening", host.name + ":" + std::to_string(config.port));
  server.Serve(*listener);
  return UnavailableError("etcd model: the listener on port " + std::to_string(config.port) +
                          " failed");
}

}  // namespace sluice::sim
