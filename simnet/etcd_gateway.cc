#include "simnet/etcd_gateway.h"

#include <algorithm>
#include <initializer_list>
#include <string_view>

#include "engine/ha/etcd_json.h"
#include "simnet/etcd_store.h"

namespace sluice::sim::etcd_gateway {

using nlohmann::json;

namespace {

const EtcdError kEmptyKey = Invalid("etcdserver: key is not provided");

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

}  // namespace

EtcdError Invalid(std::string message) { return {Grpc::kInvalidArgument, std::move(message)}; }

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

bool InRange(const std::string& key, const std::string& begin, const std::string& end) {
  if (end.empty()) return key == begin;
  if (end == std::string(1, '\0')) return key >= begin;
  return key >= begin && key < end;
}

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

namespace {

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

}  // namespace

Failure ParseTxn(const json& in, TxnRequest* t) {
  ETCD_RETURN_IF_FAILED(ParseList(in, "compare", &ParseCompare, &t->compares));
  ETCD_RETURN_IF_FAILED(ParseList(in, "success", &ParseOp, &t->success));
  ETCD_RETURN_IF_FAILED(ParseList(in, "failure", &ParseOp, &t->failure));
  ETCD_RETURN_IF_FAILED(CheckDuplicates(t->success));
  return CheckDuplicates(t->failure);
}

}  // namespace sluice::sim::etcd_gateway
