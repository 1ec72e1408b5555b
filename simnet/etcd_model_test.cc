// The simulated etcd driven over HTTP from a client host, with the bytes a real etcd 3.4's JSON
// gateway takes and gives: revisions and versions, ranges, transactions, leases in simulated
// time, durability across a crash, and requests that are malformed.
#include "simnet/etcd_model.h"

#include <gtest/gtest.h>

#include <charconv>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/ha/etcd_json.h"
#include "engine/rest/http.h"
#include "simnet/sim_disk.h"
#include "simnet/sim_test_util.h"
#include "simnet/world.h"

namespace sluice::sim {
namespace {
namespace etcd_model_test {

using nlohmann::json;
using testing::RunFor;
using testing::SeededOptions;

struct Reply {
  int status = -1;  // -1: no answer
  json body;        // discarded when the answer is no JSON
};

// Sends `bytes` to the model and reads its answer.
Reply Send(Host& host, const std::string& bytes) {
  Reply reply;
  auto stream = host.network.Connect(Address{"etcd", 2379}, kNanosPerSecond, Protocol::kHttp);
  if (!stream.ok() || !(*stream)->Write(bytes).ok()) return reply;
  auto response = ReadHttpResponse(**stream);
  if (!response.ok()) return reply;
  reply.status = response->status;
  reply.body = json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  return reply;
}

Reply PostText(Host& host, const std::string& path, const std::string& body) {
  return Send(host, EncodeHttpRequest("POST", "etcd:2379", path, body));
}

Reply Post(Host& host, const std::string& path, const json& body) {
  return PostText(host, path, body.dump());
}

// The member `name` of `object`, null when absent (or when `object` is no object).
json Field(const json& object, const char* name) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(name);
  return it == object.end() ? json() : *it;
}

// A 64-bit field as the gateway writes it (a JSON string); 0 when omitted, -999 if malformed.
int64_t Int(const json& object, const char* name) {
  const json field = Field(object, name);
  if (field.is_null()) return 0;
  if (!field.is_string()) return -999;
  const std::string& text = field.get_ref<const std::string&>();
  int64_t value = -999;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() ? value : -999;
}

// The value at JSON pointer `path` ("/kvs/0") in `value`, or null.
json At(const json& value, const std::string& path) {
  const json::json_pointer pointer(path);
  return value.contains(pointer) ? value.at(pointer) : json();
}

int64_t Revision(const Reply& reply) { return Int(Field(reply.body, "header"), "revision"); }

std::string B64(const std::string& bytes) { return Base64Encode(bytes); }

// The decoded key or value `name` of a KeyValue.
std::string Bytes(const json& kv, const char* name) {
  const json field = Field(kv, name);
  return field.is_string() ? Base64Decode(field.get<std::string>(), name).value_or("?") : "";
}

Reply Put(Host& host, const std::string& key, const std::string& value, int64_t lease = 0) {
  json body = {{"key", B64(key)}, {"value", B64(value)}};
  if (lease != 0) body["lease"] = std::to_string(lease);
  return Post(host, "/v3/kv/put", body);
}

Reply Get(Host& host, const std::string& key, json extra = json::object()) {
  extra["key"] = B64(key);
  return Post(host, "/v3/kv/range", extra);
}

Reply GetPrefix(Host& host, const std::string& prefix, json extra = json::object()) {
  extra["range_end"] = B64(PrefixRangeEnd(prefix));
  return Get(host, prefix, extra);
}

// The keys of a range answer, in order.
std::vector<std::string> Keys(const Reply& reply) {
  std::vector<std::string> keys;
  const json kvs = Field(reply.body, "kvs");
  if (kvs.is_array()) {
    for (const json& kv : kvs) keys.push_back(Bytes(kv, "key"));
  }
  return keys;
}

// Expects an etcd error: HTTP status, gRPC code and message.
void ExpectError(const Reply& reply, int status, int code, const std::string& message) {
  EXPECT_EQ(reply.status, status) << reply.body.dump();
  EXPECT_EQ(Field(reply.body, "code"), code) << reply.body.dump();
  EXPECT_EQ(Field(reply.body, "error"), message) << reply.body.dump();
  EXPECT_EQ(Field(reply.body, "message"), message) << reply.body.dump();
}

// The model on host "etcd", and client scripts, each on a host of its own.
class EtcdWorld {
 public:
  explicit EtcdWorld(uint64_t seed, EtcdModelConfig config = {})
      : world_(SeededOptions(seed)), model_(std::make_shared<Model>()) {
    etcd_ = world_.AddHost("etcd", [config, model = model_](Host& host) {
      model->status = RunEtcdModel(host, config);
      model->returned = true;
    });
  }

  // Runs `script` on a new client host until it returns (at most a minute of simulated time).
  void Run(std::function<void(Host&)> script) {
    auto done = std::make_shared<bool>(false);
    world_.AddHost("client-" + std::to_string(++clients_), [script, done](Host& host) {
      host.fibers.SleepFor(100 * kNanosPerMilli);  // the model starts (or restarts) meanwhile
      script(host);
      *done = true;
    });
    RunFor(
        world_, [done] { return *done; }, 60 * kNanosPerSecond);
    EXPECT_TRUE(*done) << "the client script did not finish";
  }

  World& world() { return world_; }
  World::HostId etcd() const { return etcd_; }
  bool model_returned() const { return model_->returned; }
  const Status& model_status() const { return model_->status; }

 private:
  struct Model {
    Status status;
    bool returned = false;
  };
  World world_;
  std::shared_ptr<Model> model_;
  World::HostId etcd_ = 0;
  int clients_ = 0;
};

TEST(EtcdModelTest, PutsBumpTheRevisionAndTheKeysVersion) {
  EtcdWorld etcd(1);
  etcd.Run([](Host& host) {
    const Reply empty = Get(host, "a");
    EXPECT_EQ(empty.status, 200) << empty.body.dump();
    EXPECT_EQ(Revision(empty), 1) << "etcd starts at revision 1";
    const json header = Field(empty.body, "header");
    EXPECT_TRUE(Field(header, "cluster_id").is_string()) << header.dump();  // a uint64
    EXPECT_TRUE(Field(header, "member_id").is_string());
    EXPECT_EQ(Int(header, "raft_term"), 1);
    EXPECT_FALSE(empty.body.contains("kvs")) << "defaults are omitted";
    EXPECT_FALSE(empty.body.contains("count"));
    EXPECT_FALSE(empty.body.contains("more"));

    EXPECT_EQ(Revision(Put(host, "a", "1")), 2);
    EXPECT_EQ(Revision(Put(host, "a", "2")), 3);
    EXPECT_EQ(Revision(Put(host, "b", "")), 4);
    const Reply a = Get(host, "a");
    EXPECT_EQ(Revision(a), 4);
    EXPECT_EQ(Int(a.body, "count"), 1);
    ASSERT_EQ(Keys(a), std::vector<std::string>{"a"});
    const json kv = At(a.body, "/kvs/0");
    EXPECT_EQ(Bytes(kv, "value"), "2");
    EXPECT_EQ(Int(kv, "create_revision"), 2);
    EXPECT_EQ(Int(kv, "mod_revision"), 3);
    EXPECT_EQ(Int(kv, "version"), 2);
    EXPECT_FALSE(kv.contains("lease"));
    EXPECT_FALSE(At(Get(host, "b").body, "/kvs/0").contains("value"))
        << "an empty value is omitted";

    const Reply prev =
        Post(host, "/v3/kv/put", {{"key", B64("a")}, {"value", B64("3")}, {"prev_kv", true}});
    EXPECT_EQ(Bytes(Field(prev.body, "prev_kv"), "value"), "2");
    EXPECT_EQ(Revision(prev), 5);
  });
}

TEST(EtcdModelTest, RangesSelectOneKeyAPrefixAnIntervalOrEverythingAbove) {
  EtcdWorld etcd(2);
  etcd.Run([](Host& host) {
    for (const char* key : {"job/b", "k", "job/a", "jobs", "job/c"}) Put(host, key, "v");
    using Keys_ = std::vector<std::string>;
    const Reply prefix = GetPrefix(host, "job/");
    EXPECT_EQ(Keys(prefix), (Keys_{"job/a", "job/b", "job/c"}));
    EXPECT_EQ(Int(prefix.body, "count"), 3);
    EXPECT_EQ(Keys(Get(host, "job/b", {{"range_end", B64(std::string(1, '\0'))}})),
              (Keys_{"job/b", "job/c", "jobs", "k"}));
    EXPECT_EQ(Keys(Get(host, "job/b", {{"range_end", B64("jobs")}})), (Keys_{"job/b", "job/c"}));

    const Reply limited = GetPrefix(host, "job/", {{"limit", "2"}});
    EXPECT_EQ(Keys(limited), (Keys_{"job/a", "job/b"}));
    EXPECT_EQ(Field(limited.body, "more"), true);
    EXPECT_EQ(Int(limited.body, "count"), 3) << "count is of the whole range";
    EXPECT_FALSE(GetPrefix(host, "job/", {{"limit", 3}}).body.contains("more"));

    const Reply keys_only = GetPrefix(host, "job/", {{"keys_only", true}});
    EXPECT_EQ(Keys(keys_only).size(), 3u);
    EXPECT_FALSE(At(keys_only.body, "/kvs/0").contains("value"));
    const Reply count_only = GetPrefix(host, "job/", {{"count_only", true}});
    EXPECT_FALSE(count_only.body.contains("kvs"));
    EXPECT_EQ(Int(count_only.body, "count"), 3);
    EXPECT_EQ(Keys(GetPrefix(host, "job/", {{"sort_order", "DESCEND"}})),
              (Keys_{"job/c", "job/b", "job/a"}));

    ExpectError(Get(host, "k", {{"revision", "2"}}), 400, 11,
                "etcdserver: mvcc: required revision has been compacted");
    ExpectError(Get(host, "k", {{"revision", "99"}}), 400, 11,
                "etcdserver: mvcc: required revision is a future revision");
    EXPECT_EQ(Get(host, "k", {{"revision", "6"}}).status, 200) << "the current revision";
  });
}

TEST(EtcdModelTest, DeleteRangeBumpsTheRevisionOnlyWhenItDeletes) {
  EtcdWorld etcd(3);
  etcd.Run([](Host& host) {
    Put(host, "x/1", "a");
    Put(host, "x/2", "b");
    Put(host, "y", "c");
    const Reply nothing = Post(host, "/v3/kv/deleterange", {{"key", B64("z")}});
    EXPECT_EQ(nothing.status, 200);
    EXPECT_EQ(Revision(nothing), 4);
    EXPECT_FALSE(nothing.body.contains("deleted"));

    const Reply deleted =
        Post(host, "/v3/kv/deleterange",
             {{"key", B64("x/")}, {"range_end", B64(PrefixRangeEnd("x/"))}, {"prev_kv", true}});
    EXPECT_EQ(Int(deleted.body, "deleted"), 2);
    EXPECT_EQ(Revision(deleted), 5) << "one revision for the whole range";
    ASSERT_EQ(Field(deleted.body, "prev_kvs").size(), 2u);
    EXPECT_EQ(Bytes(At(deleted.body, "/prev_kvs/1"), "value"), "b");
    EXPECT_TRUE(Keys(GetPrefix(host, "x/")).empty());

    Put(host, "x/1", "again");
    const json kv = At(Get(host, "x/1").body, "/kvs/0");
    EXPECT_EQ(Int(kv, "create_revision"), 6) << "created anew";
    EXPECT_EQ(Int(kv, "version"), 1);
  });
}

json PutOp(const std::string& key, const std::string& value, int64_t lease = 0) {
  json put = {{"key", B64(key)}, {"value", B64(value)}};
  if (lease != 0) put["lease"] = std::to_string(lease);
  return {{"request_put", put}};
}

json RangeOp(const std::string& key) { return {{"request_range", {{"key", B64(key)}}}}; }

json CompareJson(const std::string& key, const char* target, const char* result, const char* field,
                 const json& operand) {
  return {{"key", B64(key)}, {"target", target}, {"result", result}, {field, operand}};
}

TEST(EtcdModelTest, TxnRunsOneBranchAtOneRevision) {
  EtcdWorld etcd(4);
  etcd.Run([](Host& host) {
    // Create-if-missing: the leader election pattern.
    const json create = {
        {"compare",
         json::array({CompareJson("leader", "CREATE", "EQUAL", "create_revision", "0")})},
        {"success", json::array({PutOp("leader", "me"), PutOp("epoch", "1"), RangeOp("leader")})},
        {"failure", json::array({RangeOp("leader")})}};
    const Reply won = Post(host, "/v3/kv/txn", create);
    EXPECT_EQ(won.status, 200) << won.body.dump();
    EXPECT_EQ(Field(won.body, "succeeded"), true);
    EXPECT_EQ(Revision(won), 2) << "all ops at one revision";
    ASSERT_EQ(Field(won.body, "responses").size(), 3u);
    EXPECT_EQ(Int(At(won.body, "/responses/1/response_put/header"), "revision"), 2);
    const json read = At(won.body, "/responses/2/response_range");
    EXPECT_EQ(Bytes(At(read, "/kvs/0"), "value"), "me") << "a txn reads its own writes";
    EXPECT_EQ(Int(At(Get(host, "epoch").body, "/kvs/0"), "mod_revision"), 2);

    const Reply lost = Post(host, "/v3/kv/txn", create);
    EXPECT_FALSE(lost.body.contains("succeeded")) << "false is omitted";
    EXPECT_EQ(Revision(lost), 2) << "a read-only branch writes nothing";
    EXPECT_EQ(Bytes(At(lost.body, "/responses/0/response_range/kvs/0"), "value"), "me");

    // Fenced write: only while the leader key is still the one written at revision 2.
    const json fenced = {
        {"compare", json::array({CompareJson("leader", "MOD", "EQUAL", "mod_revision", 2)})},
        {"success", json::array({PutOp("state", "s1")})}};
    EXPECT_EQ(Field(Post(host, "/v3/kv/txn", fenced).body, "succeeded"), true);
    Put(host, "leader", "other");
    const Reply stale = Post(host, "/v3/kv/txn", fenced);
    EXPECT_EQ(stale.status, 200);
    EXPECT_FALSE(stale.body.contains("succeeded"));
    EXPECT_FALSE(stale.body.contains("responses")) << "an empty failure branch";

    // A VALUE compare on a missing key is false, whatever it asks.
    for (const char* result : {"EQUAL", "NOT_EQUAL", "GREATER", "LESS"}) {
      const json missing = {
          {"compare", json::array({CompareJson("nope", "VALUE", result, "value", B64("x"))})},
          {"success", json::array({PutOp("hit", "1")})}};
      EXPECT_FALSE(Post(host, "/v3/kv/txn", missing).body.contains("succeeded")) << result;
    }
    // Target and result absent: VERSION and EQUAL.
    json version = {{"key", B64("leader")}, {"version", "2"}};
    EXPECT_EQ(
        Field(Post(host, "/v3/kv/txn", {{"compare", json::array({version})}}).body, "succeeded"),
        true);
    version["result"] = "GREATER";
    version["version"] = "1";
    EXPECT_EQ(
        Field(Post(host, "/v3/kv/txn", {{"compare", json::array({version})}}).body, "succeeded"),
        true);
  });
}

TEST(EtcdModelTest, TxnRefusesDuplicateKeysAndDeadLeasesAndAppliesNothing) {
  EtcdWorld etcd(5);
  etcd.Run([](Host& host) {
    const std::string duplicate = "etcdserver: duplicate key given in txn request";
    auto txn = [&host](const char* branch, json ops) {
      return Post(host, "/v3/kv/txn", json{{branch, std::move(ops)}});
    };
    ExpectError(txn("success", json::array({PutOp("a", "1"), PutOp("a", "2")})), 400, 3, duplicate);
    const json erase = {{"request_delete_range", {{"key", B64("a/")}, {"range_end", B64("a0")}}}};
    ExpectError(txn("success", json::array({PutOp("a/1", "1"), erase})), 400, 3, duplicate);
    ExpectError(txn("failure", json::array({PutOp("b", "1"), PutOp("b", "2")})), 400, 3, duplicate);
    ExpectError(txn("success", json::array({PutOp("a", "1"), PutOp("b", "2", 12345)})), 404, 5,
                "etcdserver: requested lease not found");
    ExpectError(txn("success", json::array({PutOp("", "1")})), 400, 3,
                "etcdserver: key is not provided");
    json many = json::array();
    for (int i = 0; i <= 128; ++i) many.push_back(PutOp("k" + std::to_string(i), "v"));
    ExpectError(txn("success", many), 400, 3, "etcdserver: too many operations in txn request");
    const Reply after = Get(host, "a");
    EXPECT_TRUE(Keys(after).empty()) << "nothing of a refused txn applied";
    EXPECT_EQ(Revision(after), 1);
  });
}

TEST(EtcdModelTest, LeasesAreRaisedKeptAliveExpireAndAreRevoked) {
  EtcdModelConfig config;
  config.min_lease_ttl_s = 2;
  EtcdWorld etcd(6, config);
  etcd.Run([](Host& host) {
    const Reply grant = Post(host, "/v3/lease/grant", {{"TTL", 1}});
    EXPECT_EQ(grant.status, 200) << grant.body.dump();
    EXPECT_EQ(Int(grant.body, "TTL"), 2) << "raised to the minimum";
    const int64_t lease = Int(grant.body, "ID");
    EXPECT_GT(lease, 0);
    EXPECT_EQ(Revision(grant), 1) << "a grant writes no key";
    EXPECT_EQ(Revision(Put(host, "lock", "me", lease)), 2);
    EXPECT_EQ(Int(At(Get(host, "lock").body, "/kvs/0"), "lease"), lease);

    host.fibers.SleepFor(1500 * kNanosPerMilli);
    const Reply alive = Post(host, "/v3/lease/keepalive", {{"ID", std::to_string(lease)}});
    EXPECT_EQ(Int(Field(alive.body, "result"), "TTL"), 2) << alive.body.dump();
    EXPECT_EQ(Int(Field(alive.body, "result"), "ID"), lease);
    host.fibers.SleepFor(kNanosPerSecond);
    const Reply ttl = Post(host, "/v3/lease/timetolive", {{"ID", lease}, {"keys", true}});
    EXPECT_EQ(Int(ttl.body, "TTL"), 0) << "under a second left, rounded down: " << ttl.body.dump();
    EXPECT_EQ(Int(ttl.body, "grantedTTL"), 2);
    EXPECT_EQ(Field(ttl.body, "keys"), json::array({B64("lock")}));
    EXPECT_EQ(Keys(Get(host, "lock")).size(), 1u) << "kept alive past its first deadline";

    host.fibers.SleepFor(kNanosPerSecond);
    const Reply expired = Get(host, "lock");
    EXPECT_TRUE(Keys(expired).empty());
    EXPECT_EQ(Revision(expired), 3) << "expiry deletes the keys at a new revision";
    EXPECT_EQ(Int(Post(host, "/v3/lease/timetolive", {{"ID", lease}}).body, "TTL"), -1);
    const Reply late = Post(host, "/v3/lease/keepalive", {{"ID", std::to_string(lease)}});
    EXPECT_EQ(late.status, 200);
    EXPECT_FALSE(Field(late.body, "result").contains("TTL")) << late.body.dump();
    ExpectError(Put(host, "lock", "again", lease), 404, 5, "etcdserver: requested lease not found");

    const Reply chosen = Post(host, "/v3/lease/grant", {{"TTL", "30"}, {"ID", "7"}});
    EXPECT_EQ(Int(chosen.body, "ID"), 7);
    ExpectError(Post(host, "/v3/lease/grant", {{"TTL", "30"}, {"ID", "7"}}), 400, 9,
                "etcdserver: lease already exists");
    const int64_t other = Int(Post(host, "/v3/lease/grant", {{"TTL", "30"}}).body, "ID");
    EXPECT_NE(other, lease) << "ids are not reused";
    Put(host, "k1", "v", 7);
    Put(host, "k2", "v", 7);
    const Reply revoked = Post(host, "/v3/lease/revoke", {{"ID", "7"}});
    EXPECT_EQ(revoked.status, 200);
    EXPECT_EQ(Revision(revoked), 6) << "both keys deleted at one revision";
    EXPECT_TRUE(Keys(GetPrefix(host, "k")).empty());
    ExpectError(Post(host, "/v3/kv/lease/revoke", {{"ID", "7"}}), 404, 5,
                "etcdserver: requested lease not found");
  });
}

TEST(EtcdModelTest, AcknowledgedWritesAndLeasesSurviveACrash) {
  EtcdWorld etcd(7);
  int64_t lease = 0;
  int64_t acknowledged = 0;  // the revision of the last put answered before the crash
  etcd.Run([&](Host& host) {
    lease = Int(Post(host, "/v3/lease/grant", {{"TTL", "10"}}).body, "ID");
    Put(host, "leader", "me", lease);
    host.fibers.SleepFor(8 * kNanosPerSecond);  // 2 s left on the lease
    acknowledged = Revision(Put(host, "config", "v1"));
  });
  ASSERT_EQ(acknowledged, 3);
  etcd.world().Crash(etcd.etcd());  // right after the answer
  etcd.world().Restart(etcd.etcd());
  etcd.Run([&](Host& host) {
    host.fibers.SleepFor(5 * kNanosPerSecond);  // past the lease's deadline before the crash
    const Reply config = Get(host, "config");
    EXPECT_EQ(Bytes(At(config.body, "/kvs/0"), "value"), "v1");
    EXPECT_EQ(Int(At(config.body, "/kvs/0"), "mod_revision"), acknowledged);
    EXPECT_EQ(Revision(config), acknowledged);
    EXPECT_EQ(Int(At(config.body, "/header"), "raft_term"), 2) << "a start is a new term";
    EXPECT_EQ(Keys(Get(host, "leader")).size(), 1u) << "a start refreshes every lease";
    const Reply ttl = Post(host, "/v3/lease/timetolive", {{"ID", lease}});
    EXPECT_EQ(Int(ttl.body, "TTL"), 4) << ttl.body.dump();
    EXPECT_EQ(Int(ttl.body, "grantedTTL"), 10);
    host.fibers.SleepFor(6 * kNanosPerSecond);
    const Reply gone = Get(host, "leader");
    EXPECT_TRUE(Keys(gone).empty());
    EXPECT_EQ(Revision(gone), acknowledged + 1);
    const int64_t next = Int(Post(host, "/v3/lease/grant", {{"TTL", "10"}}).body, "ID");
    EXPECT_GT(next, lease) << "ids count up across restarts";
  });
}

TEST(EtcdModelTest, AFailedWriteIsAnsweredUnavailableAndWrittenBeforeTheNextAnswer) {
  EtcdWorld etcd(8);
  etcd.Run([&](Host& host) { EXPECT_EQ(Revision(Put(host, "a", "1")), 2); });
  etcd.world().disk(etcd.etcd()).SetIoErrorProbability(1.0);
  etcd.Run([&](Host& host) {
    ExpectError(Put(host, "a", "2"), 503, 14, "etcdserver: request timed out");
    ExpectError(Get(host, "a"), 503, 14, "etcdserver: request timed out");
  });
  etcd.world().disk(etcd.etcd()).SetIoErrorProbability(0.0);
  etcd.Run([&](Host& host) {
    EXPECT_EQ(Bytes(At(Get(host, "a").body, "/kvs/0"), "value"), "2") << "the outcome was unknown";
  });
  etcd.world().Crash(etcd.etcd());
  etcd.world().Restart(etcd.etcd());
  etcd.Run([&](Host& host) {
    const Reply a = Get(host, "a");
    EXPECT_EQ(Bytes(At(a.body, "/kvs/0"), "value"), "2") << "written before it was answered";
    EXPECT_EQ(Revision(a), 3);
  });
}

TEST(EtcdModelTest, MalformedRequestsAreRefusedAndTheServerKeepsServing) {
  EtcdWorld etcd(9);
  etcd.Run([](Host& host) {
    const Reply broken = PostText(host, "/v3/kv/put", "{not json");
    EXPECT_EQ(broken.status, 400);
    EXPECT_EQ(Field(broken.body, "code"), 3);
    EXPECT_NE(Field(broken.body, "message").dump().find("malformed JSON"), std::string::npos);
    EXPECT_EQ(PostText(host, "/v3/kv/put", "[1, 2]").status, 400);
    EXPECT_EQ(PostText(host, "/v3/kv/put", std::string(30000, '[')).status, 400);
    EXPECT_EQ(PostText(host, "/v3/kv/put", "{\"key\":\"\xff\xfe\"}").status, 400)
        << "bytes that are no UTF-8, quoted in the message";
    EXPECT_EQ(Post(host, "/v3/kv/put", {{"key", 5}}).status, 400);
    EXPECT_EQ(Post(host, "/v3/kv/put", {{"key", "*not base64*"}}).status, 400);
    EXPECT_EQ(Post(host, "/v3/kv/put", {{"key", B64("k")}, {"lease", "abc"}}).status, 400);
    EXPECT_EQ(Post(host, "/v3/kv/txn", {{"success", "everything"}}).status, 400);
    const json bad_op = {{"request_put", 1}};
    EXPECT_EQ(Post(host, "/v3/kv/txn", {{"success", json::array({bad_op})}}).status, 400);
    const json bad_compare = CompareJson("k", "NOPE", "EQUAL", "version", 1);
    EXPECT_EQ(Post(host, "/v3/kv/txn", {{"compare", json::array({bad_compare})}}).status, 400);
    ExpectError(PostText(host, "/v3/kv/range", ""), 400, 3, "etcdserver: key is not provided");
    ExpectError(PostText(host, "/v3/kv/nope", "{}"), 404, 5, "Not Found");
    ExpectError(Send(host, EncodeHttpRequest("GET", "etcd:2379", "/v3/kv/range")), 501, 12,
                "Method Not Allowed");
    const Reply garbage = Send(host, "\x16\x03\x01 not http\r\n\r\n");
    EXPECT_TRUE(garbage.status == 400 || garbage.status == -1) << garbage.status;

    EXPECT_EQ(
        Post(host, "/v3/kv/put", {{"key", B64("k")}, {"value", B64("v")}, {"bogus", 1}}).status,
        200)
        << "unknown fields are ignored";
    EXPECT_EQ(Bytes(At(Get(host, "k").body, "/kvs/0"), "value"), "v");
    const Reply health = Send(host, EncodeHttpRequest("GET", "etcd:2379", "/health"));
    EXPECT_EQ(health.body, json({{"health", "true"}}));
  });
  EXPECT_FALSE(etcd.model_returned());
}

TEST(EtcdModelTest, ConcurrentCreatesElectExactlyOneWinner) {
  EtcdWorld etcd(11);
  etcd.Run([](Host& host) {
    const json create = {
        {"compare", json::array({CompareJson("leader", "CREATE", "EQUAL", "create_revision", 0)})},
        {"success", json::array({PutOp("leader", "someone")})}};
    int winners = 0;
    int answers = 0;
    std::vector<FiberId> fibers;
    for (int i = 0; i < 5; ++i) {
      fibers.push_back(host.fibers.Spawn("candidate", [&host, &create, &winners, &answers] {
        const Reply reply = Post(host, "/v3/kv/txn", create);
        answers += reply.status == 200 ? 1 : 0;
        winners += Field(reply.body, "succeeded") == true ? 1 : 0;
      }));
    }
    for (FiberId fiber : fibers) host.fibers.Join(fiber);
    EXPECT_EQ(answers, 5);
    EXPECT_EQ(winners, 1);
    EXPECT_EQ(Revision(Get(host, "leader")), 2);
  });
}

TEST(EtcdModelTest, LimitsAreAnsweredWithEtcdsErrors) {
  EtcdWorld etcd(12);
  etcd.Run([](Host& host) {
    for (size_t i = 0; i < kEtcdLeasesMax; ++i) {
      ASSERT_EQ(Post(host, "/v3/lease/grant", {{"TTL", "60"}}).status, 200) << i;
    }
    const Reply over = Post(host, "/v3/lease/grant", {{"TTL", "60"}});
    EXPECT_EQ(over.status, 429);
    EXPECT_EQ(Field(over.body, "code"), 8) << over.body.dump();
    const Reply leases = Post(host, "/v3/lease/leases", json::object());
    EXPECT_EQ(Field(leases.body, "leases").size(), kEtcdLeasesMax);
    ExpectError(Put(host, "big", std::string(kMaxHttpMessageBytes, 'x')), 400, 3,
                "etcdserver: request is too large");
    EXPECT_EQ(Revision(Put(host, "small", "x")), 2);
  });
}

TEST(EtcdModelTest, DamagedStateIsDataLossNamingTheFile) {
  EtcdWorld etcd(10);
  etcd.Run([](Host& host) { Put(host, "a", "1"); });
  etcd.world().Crash(etcd.etcd());
  ASSERT_TRUE(etcd.world().disk(etcd.etcd()).CorruptDurableByte("etcd/state").ok());
  etcd.world().Restart(etcd.etcd());
  RunFor(
      etcd.world(), [&] { return etcd.model_returned(); }, kNanosPerSecond);
  ASSERT_TRUE(etcd.model_returned());
  EXPECT_EQ(etcd.model_status().code(), StatusCode::kDataLoss) << etcd.model_status().ToString();
  EXPECT_NE(etcd.model_status().message().find("etcd/state"), std::string::npos);
}

}  // namespace etcd_model_test
}  // namespace
}  // namespace sluice::sim
