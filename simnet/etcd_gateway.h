// etcd's v3 JSON gateway as the simulated etcd's store (simnet/etcd_store.h) reads and answers
// it: request bodies parsed into etcd's request messages, with the checks etcd makes before it
// looks at the store, and etcd's errors as the gateway writes them. Pure: nothing here suspends,
// does I/O or reads a clock.
//
// Requests are proto3 JSON as grpc-gateway reads it (the encoding of engine/ha/etcd_json.h):
// bytes fields in base64, 64-bit integers as strings or numbers, enums by name or by number,
// absent or null fields at their defaults, unknown fields ignored; only etcd's own field names
// ("range_end", not "rangeEnd"). Each Parse* fills in its request and returns nullopt, or returns
// etcd's error (code 3) and leaves the request partly filled.
//
// Errors are values: a gRPC code and etcd's message. ErrorResponse writes one as the gateway does,
// {"error","message","code"}, with the HTTP status grpc-gateway v1 gives the code (see
// simnet/etcd_model.h).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/base/status.h"
#include "engine/rest/http.h"

namespace sluice::sim::etcd_gateway {

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

// Returns the failure of `expr`, a Failure, if it failed.
#define ETCD_RETURN_IF_FAILED(expr) \
  do {                              \
    Failure failure_ = (expr);      \
    if (failure_) return failure_;  \
  } while (0)

// Code 3 (kInvalidArgument) with `message`.
EtcdError Invalid(std::string message);

// `error` as the gateway answers it.
HttpResponse ErrorResponse(const EtcdError& error);

// `value` as JSON text. Error messages may quote request bytes, which need not be UTF-8: those are
// replaced rather than thrown on.
std::string Dump(const nlohmann::json& value);

// Moves a decoded field into *out; a decoding error is the request's fault (code 3).
template <typename T>
Failure Take(Result<T> result, T* out) {
  if (!result.ok()) return Invalid(result.status().message());
  *out = std::move(result).value();
  return std::nullopt;
}

// Whether `key` is in etcd's range [begin, end): "" is `begin` alone, "\0" every key >= begin.
bool InRange(const std::string& key, const std::string& begin, const std::string& end);

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

// A /v3/kv/range body. An empty key: "etcdserver: key is not provided".
Failure ParseRange(const nlohmann::json& in, RangeRequest* r);
// A /v3/kv/put body. Also refuses ignore_value with a value, ignore_lease with a lease and a value
// over kEtcdValueBytesMax ("etcdserver: request is too large").
Failure ParsePut(const nlohmann::json& in, PutRequest* p);
// A /v3/kv/deleterange body.
Failure ParseDelete(const nlohmann::json& in, DeleteRequest* d);
// A /v3/kv/txn body: at most kEtcdTxnOpsMax compares and ops in each branch, no nested txn, and
// etcd's checkIntervals (within a branch, no key put twice, or put and deleted).
Failure ParseTxn(const nlohmann::json& in, TxnRequest* t);

}  // namespace sluice::sim::etcd_gateway
