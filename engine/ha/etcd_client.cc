#include "engine/ha/etcd_client.h"

#include <memory>
#include <utility>

#include <nlohmann/json.hpp>

#include "engine/base/assert.h"
#include "engine/ha/etcd_json.h"
#include "engine/rest/http.h"

namespace sluice {
namespace {

using nlohmann::json;

const char* TargetName(EtcdCompare::Target target) {
  switch (target) {
    case EtcdCompare::Target::kVersion:
      return "VERSION";
    case EtcdCompare::Target::kCreate:
      return "CREATE";
    case EtcdCompare::Target::kMod:
      return "MOD";
    case EtcdCompare::Target::kValue:
      return "VALUE";
    case EtcdCompare::Target::kLease:
      return "LEASE";
  }
  return "VERSION";
}

const char* ResultName(EtcdCompare::Result result) {
  switch (result) {
    case EtcdCompare::Result::kEqual:
      return "EQUAL";
    case EtcdCompare::Result::kGreater:
      return "GREATER";
    case EtcdCompare::Result::kLess:
      return "LESS";
    case EtcdCompare::Result::kNotEqual:
      return "NOT_EQUAL";
  }
  return "EQUAL";
}

json CompareJson(const EtcdCompare& compare) {
  json out = {{"key", Base64Encode(compare.key)},
              {"target", TargetName(compare.target)},
              {"result", ResultName(compare.result)}};
  // The gateway takes 64-bit integers as strings (a JSON number may lose precision).
  const std::string number = std::to_string(compare.number);
  switch (compare.target) {
    case EtcdCompare::Target::kVersion:
      out["version"] = number;
      break;
    case EtcdCompare::Target::kCreate:
      out["create_revision"] = number;
      break;
    case EtcdCompare::Target::kMod:
      out["mod_revision"] = number;
      break;
    case EtcdCompare::Target::kValue:
      out["value"] = Base64Encode(compare.value);
      break;
    case EtcdCompare::Target::kLease:
      out["lease"] = number;
      break;
  }
  return out;
}

json RangeJson(const std::string& key, const std::string& range_end, int64_t limit) {
  json out = {{"key", Base64Encode(key)}};
  if (!range_end.empty()) out["range_end"] = Base64Encode(range_end);
  if (limit > 0) out["limit"] = std::to_string(limit);
  return out;
}

json PutJson(const std::string& key, const std::string& value, int64_t lease) {
  json out = {{"key", Base64Encode(key)}, {"value", Base64Encode(value)}};
  if (lease != 0) out["lease"] = std::to_string(lease);
  return out;
}

json DeleteJson(const std::string& key, const std::string& range_end) {
  json out = {{"key", Base64Encode(key)}};
  if (!range_end.empty()) out["range_end"] = Base64Encode(range_end);
  return out;
}

json OpJson(const EtcdOp& op) {
  switch (op.kind) {
    case EtcdOp::Kind::kRange:
      return {{"request_range", RangeJson(op.key, op.range_end, 0)}};
    case EtcdOp::Kind::kPut:
      return {{"request_put", PutJson(op.key, op.value, op.lease)}};
    case EtcdOp::Kind::kDelete:
      return {{"request_delete_range", DeleteJson(op.key, op.range_end)}};
  }
  return json::object();
}

// The object member `name` of `object`, or an empty object when absent.
Result<json> JsonObject(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return json::object();
  if (!it->is_object()) return InvalidArgumentError(std::string(name) + ": not an object");
  return *it;
}

// The array member `name` of `object`, or an empty array when absent.
Result<json> JsonArray(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return json::array();
  if (!it->is_array()) return InvalidArgumentError(std::string(name) + ": not an array");
  return *it;
}

Result<EtcdKeyValue> DecodeKeyValue(const json& object) {
  if (!object.is_object()) return InvalidArgumentError("kvs: an entry is not an object");
  EtcdKeyValue kv;
  ASSIGN_OR_RETURN(kv.key, JsonBytes(object, "key"));
  ASSIGN_OR_RETURN(kv.value, JsonBytes(object, "value"));
  ASSIGN_OR_RETURN(kv.create_revision, JsonInt64(object, "create_revision"));
  ASSIGN_OR_RETURN(kv.mod_revision, JsonInt64(object, "mod_revision"));
  ASSIGN_OR_RETURN(kv.version, JsonInt64(object, "version"));
  ASSIGN_OR_RETURN(kv.lease, JsonInt64(object, "lease"));
  return kv;
}

Result<std::vector<EtcdKeyValue>> DecodeKeyValues(const json& response) {
  ASSIGN_OR_RETURN(const json kvs, JsonArray(response, "kvs"));
  std::vector<EtcdKeyValue> out;
  out.reserve(kvs.size());
  for (const json& entry : kvs) {
    ASSIGN_OR_RETURN(EtcdKeyValue kv, DecodeKeyValue(entry));
    out.push_back(std::move(kv));
  }
  return out;
}

Result<int64_t> HeaderRevision(const json& response) {
  ASSIGN_OR_RETURN(const json header, JsonObject(response, "header"));
  ASSIGN_OR_RETURN(const int64_t revision, JsonInt64(header, "revision"));
  if (revision <= 0) return InvalidArgumentError("header.revision: missing or not positive");
  return revision;
}

Result<EtcdRangeResult> DecodeRange(const json& response) {
  EtcdRangeResult out;
  ASSIGN_OR_RETURN(out.revision, HeaderRevision(response));
  ASSIGN_OR_RETURN(out.kvs, DecodeKeyValues(response));
  ASSIGN_OR_RETURN(out.count, JsonInt64(response, "count"));
  ASSIGN_OR_RETURN(out.more, JsonBool(response, "more"));
  return out;
}

Result<EtcdOpResult> DecodeOpResult(const json& response) {
  if (!response.is_object()) return InvalidArgumentError("responses: an entry is not an object");
  EtcdOpResult out;
  if (response.contains("response_range")) {
    ASSIGN_OR_RETURN(const json range, JsonObject(response, "response_range"));
    ASSIGN_OR_RETURN(out.kvs, DecodeKeyValues(range));
  } else if (response.contains("response_delete_range")) {
    ASSIGN_OR_RETURN(const json deleted, JsonObject(response, "response_delete_range"));
    ASSIGN_OR_RETURN(out.deleted, JsonInt64(deleted, "deleted"));
  } else if (!response.contains("response_put")) {
    return InvalidArgumentError("responses: an entry is no range, put or delete response");
  }
  return out;
}

// etcd's errors by gRPC code (google.golang.org/grpc/codes).
StatusCode CodeOfGrpc(int64_t code) {
  switch (code) {
    case 3:
      return StatusCode::kInvalidArgument;
    case 4:
      return StatusCode::kDeadlineExceeded;
    case 5:
      return StatusCode::kNotFound;
    case 8:
      return StatusCode::kResourceExhausted;
    case 9:
      return StatusCode::kFailedPrecondition;
    case 14:
      return StatusCode::kUnavailable;
    default:
      return StatusCode::kInternal;
  }
}

// An error answer: the gateway's {"error","message","code"} for unary calls, {"error":{
// "grpc_code","message"}} inside a stream's 200 response. OK when `object` is no error.
Status ErrorOf(const json& object, const std::string& endpoint) {
  auto error = object.find("error");
  if (error == object.end()) return Status::Ok();
  int64_t code = -1;
  std::string message;
  if (error->is_object()) {  // a stream's error
    code = JsonInt64(*error, "grpc_code", -1).value_or(-1);
    auto text = error->find("message");
    if (text != error->end() && text->is_string()) message = text->get<std::string>();
  } else {
    code = JsonInt64(object, "code", -1).value_or(-1);
    auto text = object.find("message");
    if (text != object.end() && text->is_string()) message = text->get<std::string>();
    if (message.empty() && error->is_string()) message = error->get<std::string>();
  }
  if (code <= 0) return UnavailableError(endpoint + ": an error answer without a gRPC code");
  return Status(CodeOfGrpc(code), endpoint + ": " + message);
}

// Closes a request's connection once its time is up, so that a read waiting on an endpoint that
// went silent (partitioned, paused) fails instead of waiting forever. Never suspends.
class RequestDeadline {
 public:
  RequestDeadline(Fibers& fibers, std::shared_ptr<Stream> stream, int64_t timeout_ns)
      : fibers_(fibers), expired_(std::make_shared<bool>(false)) {
    fiber_ = fibers.Spawn("etcd-request-deadline",
                          [&fibers, stream = std::move(stream), timeout_ns, expired = expired_] {
                            fibers.SleepFor(timeout_ns);
                            *expired = true;
                            stream->Close();
                          });
  }
  ~RequestDeadline() {
    if (fiber_ != kNoFiber) fibers_.Cancel(fiber_);
  }
  RequestDeadline(const RequestDeadline&) = delete;
  RequestDeadline& operator=(const RequestDeadline&) = delete;
  bool expired() const { return *expired_; }

 private:
  Fibers& fibers_;
  // Shared with the deadline's fiber, which may outlive this object by its cancellation.
  std::shared_ptr<bool> expired_;
  FiberId fiber_ = kNoFiber;
};

}  // namespace

EtcdCompare EtcdCompare::Missing(std::string key) {
  return EtcdCompare{std::move(key), Target::kCreate, Result::kEqual, 0, ""};
}

EtcdCompare EtcdCompare::ModRevisionIs(std::string key, int64_t revision) {
  return EtcdCompare{std::move(key), Target::kMod, Result::kEqual, revision, ""};
}

EtcdCompare EtcdCompare::ValueIs(std::string key, std::string value) {
  return EtcdCompare{std::move(key), Target::kValue, Result::kEqual, 0, std::move(value)};
}

EtcdOp EtcdOp::Get(std::string key) { return EtcdOp{Kind::kRange, std::move(key), "", "", 0}; }

EtcdOp EtcdOp::GetPrefix(const std::string& prefix) {
  return EtcdOp{Kind::kRange, PrefixRangeStart(prefix), PrefixRangeEnd(prefix), "", 0};
}

EtcdOp EtcdOp::Put(std::string key, std::string value, int64_t lease) {
  return EtcdOp{Kind::kPut, std::move(key), "", std::move(value), lease};
}

EtcdOp EtcdOp::Delete(std::string key) { return EtcdOp{Kind::kDelete, std::move(key), "", "", 0}; }

EtcdClient::EtcdClient(Host& host, std::vector<Address> endpoints, int64_t request_timeout_ns)
    : host_(host), endpoints_(std::move(endpoints)), request_timeout_ns_(request_timeout_ns) {
  SLUICE_ASSERT(!endpoints_.empty(), "an etcd client needs at least one endpoint");
  SLUICE_ASSERT(request_timeout_ns_ > 0, "an etcd request needs a time limit");
}

Result<nlohmann::json> EtcdClient::CallOnce(const Address& endpoint, const std::string& path,
                                            const std::string& body) {
  const std::string name = "etcd " + endpoint.ToString();
  const int64_t started_ns = host_.clock.NowNs();
  auto connected = host_.network.Connect(endpoint, request_timeout_ns_, Protocol::kHttp);
  if (!connected.ok()) return UnavailableError(name + ": " + connected.status().message());
  std::shared_ptr<Stream> stream = std::move(connected).value();
  const int64_t left_ns = request_timeout_ns_ - (host_.clock.NowNs() - started_ns);
  RequestDeadline deadline(host_.fibers, stream, left_ns > 0 ? left_ns : 1);
  Status sent = stream->Write(EncodeHttpRequest("POST", endpoint.ToString(), path, body));
  Result<HttpResponse> response =
      sent.ok() ? ReadHttpResponse(*stream) : Result<HttpResponse>(sent);
  stream->Close();
  if (!response.ok()) {
    if (deadline.expired()) {
      return UnavailableError(name + ": no answer to " + path + " within " +
                              std::to_string(request_timeout_ns_ / kNanosPerMilli) + " ms");
    }
    return UnavailableError(name + ": " + response.status().message());
  }
  json parsed = json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return UnavailableError(name + ": answered " + path + " with HTTP " +
                            std::to_string(response->status) + " and a body that is no JSON object");
  }
  RETURN_IF_ERROR(DecodeEtcdError(parsed, name));
  if (response->status != 200) {
    return UnavailableError(name + ": HTTP " + std::to_string(response->status) + " for " + path);
  }
  return parsed;
}

Result<nlohmann::json> EtcdClient::Call(const std::string& path, const nlohmann::json& body) {
  const std::string text = body.dump();
  Status last;
  for (size_t tried = 0; tried < endpoints_.size(); ++tried) {
    const size_t index = (preferred_ + tried) % endpoints_.size();
    Result<json> answer = CallOnce(endpoints_[index], path, text);
    if (answer.ok() || answer.status().code() != StatusCode::kUnavailable) {
      if (answer.ok()) preferred_ = index;
      return answer;
    }
    last = answer.status();
  }
  return last;
}

namespace {

// Runs `decode` on `object`, turning anything nlohmann::json throws into kInvalidArgument.
template <typename T, typename Decode>
Result<T> Guarded(const json& object, Decode decode) {
  try {
    return decode(object);
  } catch (const json::exception& e) {
    return InvalidArgumentError(std::string("malformed etcd response: ") + e.what());
  }
}

// An answer decoded with `decode`; a malformed one is dropped as kUnavailable naming `path` (the
// endpoint answered, but nothing it said can be trusted).
template <typename T, typename Decode>
Result<T> DecodeAnswer(const Result<json>& answer, const std::string& path, Decode decode) {
  if (!answer.ok()) return answer.status();
  Result<T> decoded = decode(*answer);
  if (!decoded.ok()) {
    return UnavailableError("etcd answered " + path + " with a malformed response: " +
                            decoded.status().message());
  }
  return decoded;
}

}  // namespace

Result<EtcdRangeResult> DecodeEtcdRange(const nlohmann::json& response) {
  return Guarded<EtcdRangeResult>(response, DecodeRange);
}

Result<EtcdTxnResult> DecodeEtcdTxn(const nlohmann::json& response, size_t success_ops,
                                    size_t failure_ops) {
  return Guarded<EtcdTxnResult>(response, [&](const json& object) -> Result<EtcdTxnResult> {
    EtcdTxnResult out;
    ASSIGN_OR_RETURN(out.revision, HeaderRevision(object));
    ASSIGN_OR_RETURN(out.succeeded, JsonBool(object, "succeeded"));
    ASSIGN_OR_RETURN(const json responses, JsonArray(object, "responses"));
    const size_t want = out.succeeded ? success_ops : failure_ops;
    if (responses.size() != want) {
      return InvalidArgumentError(std::to_string(responses.size()) + " responses to " +
                                  std::to_string(want) + " operations");
    }
    for (const json& entry : responses) {
      ASSIGN_OR_RETURN(EtcdOpResult result, DecodeOpResult(entry));
      out.responses.push_back(std::move(result));
    }
    return out;
  });
}

Result<EtcdLease> DecodeEtcdLeaseGrant(const nlohmann::json& response) {
  return Guarded<EtcdLease>(response, [](const json& object) -> Result<EtcdLease> {
    EtcdLease lease;
    ASSIGN_OR_RETURN(lease.id, JsonInt64(object, "ID"));
    ASSIGN_OR_RETURN(lease.ttl_s, JsonInt64(object, "TTL"));
    if (lease.id <= 0 || lease.ttl_s <= 0) {
      return InvalidArgumentError("a granted lease needs a positive ID and TTL");
    }
    return lease;
  });
}

Result<int64_t> DecodeEtcdKeepAlive(const nlohmann::json& response) {
  // The gateway streams: each message arrives wrapped as {"result": ...}.
  return Guarded<int64_t>(response, [](const json& object) -> Result<int64_t> {
    ASSIGN_OR_RETURN(const json result, JsonObject(object, "result"));
    ASSIGN_OR_RETURN(const int64_t ttl_s, JsonInt64(result, "TTL"));
    return ttl_s > 0 ? ttl_s : 0;
  });
}

Result<int64_t> DecodeEtcdRevision(const nlohmann::json& response) {
  return Guarded<int64_t>(response, HeaderRevision);
}

Status DecodeEtcdError(const nlohmann::json& response, const std::string& endpoint) {
  return Guarded<bool>(response, [&](const json& object) -> Result<bool> {
           RETURN_IF_ERROR(ErrorOf(object, endpoint));
           return true;
         })
      .status();
}

Result<EtcdRangeResult> EtcdClient::Get(const std::string& key) {
  constexpr char kPath[] = "/v3/kv/range";
  return DecodeAnswer<EtcdRangeResult>(Call(kPath, RangeJson(key, "", 0)), kPath,
                                       DecodeEtcdRange);
}

Result<EtcdRangeResult> EtcdClient::GetPrefix(const std::string& prefix, int64_t limit) {
  constexpr char kPath[] = "/v3/kv/range";
  return DecodeAnswer<EtcdRangeResult>(
      Call(kPath, RangeJson(PrefixRangeStart(prefix), PrefixRangeEnd(prefix), limit)), kPath,
      DecodeEtcdRange);
}

Result<int64_t> EtcdClient::Put(const std::string& key, const std::string& value, int64_t lease) {
  constexpr char kPath[] = "/v3/kv/put";
  return DecodeAnswer<int64_t>(Call(kPath, PutJson(key, value, lease)), kPath,
                               DecodeEtcdRevision);
}

Result<int64_t> EtcdClient::Delete(const std::string& key, const std::string& range_end) {
  constexpr char kPath[] = "/v3/kv/deleterange";
  return DecodeAnswer<int64_t>(Call(kPath, DeleteJson(key, range_end)), kPath,
                               [](const json& response) {
                                 return Guarded<int64_t>(
                                     response, [](const json& object) -> Result<int64_t> {
                                       RETURN_IF_ERROR(HeaderRevision(object).status());
                                       return JsonInt64(object, "deleted");
                                     });
                               });
}

Result<EtcdTxnResult> EtcdClient::Txn(const std::vector<EtcdCompare>& compares,
                                      const std::vector<EtcdOp>& success,
                                      const std::vector<EtcdOp>& failure) {
  constexpr char kPath[] = "/v3/kv/txn";
  json body = json::object();
  json& compare_list = body["compare"] = json::array();
  for (const EtcdCompare& compare : compares) compare_list.push_back(CompareJson(compare));
  json& success_list = body["success"] = json::array();
  for (const EtcdOp& op : success) success_list.push_back(OpJson(op));
  json& failure_list = body["failure"] = json::array();
  for (const EtcdOp& op : failure) failure_list.push_back(OpJson(op));
  const size_t success_ops = success.size();
  const size_t failure_ops = failure.size();
  return DecodeAnswer<EtcdTxnResult>(Call(kPath, body), kPath, [&](const json& response) {
    return DecodeEtcdTxn(response, success_ops, failure_ops);
  });
}

Result<EtcdLease> EtcdClient::GrantLease(int64_t ttl_s) {
  constexpr char kPath[] = "/v3/lease/grant";
  return DecodeAnswer<EtcdLease>(Call(kPath, json{{"TTL", std::to_string(ttl_s)}}), kPath,
                                 DecodeEtcdLeaseGrant);
}

Result<int64_t> EtcdClient::KeepAlive(int64_t lease) {
  constexpr char kPath[] = "/v3/lease/keepalive";
  return DecodeAnswer<int64_t>(Call(kPath, json{{"ID", std::to_string(lease)}}), kPath,
                               DecodeEtcdKeepAlive);
}

Status EtcdClient::Revoke(int64_t lease) {
  constexpr char kPath[] = "/v3/lease/revoke";
  return DecodeAnswer<int64_t>(Call(kPath, json{{"ID", std::to_string(lease)}}), kPath,
                               DecodeEtcdRevision)
      .status();
}

}  // namespace sluice
