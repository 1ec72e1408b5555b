// The simulated etcd's store on its own, without a host: the time is passed in, so lease expiry
// is exact to the nanosecond, and the bytes written to disk read back to the same store.
#include "simnet/etcd_store.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "engine/ha/etcd_json.h"
#include "engine/runtime/clock.h"

namespace sluice::sim {
namespace {
namespace etcd_store_test {

using nlohmann::json;

struct Answer {
  int status = 0;
  json body;
  bool mutated = false;
};

Answer Call(EtcdStore& store, const std::string& path, const json& body, int64_t now_ns) {
  HttpRequest request;
  request.method = "POST";
  request.path = path;
  request.body = body.dump();
  Answer answer;
  const HttpResponse response = store.Handle(request, now_ns, &answer.mutated);
  answer.status = response.status;
  answer.body = json::parse(response.body);
  return answer;
}

std::string Revision(const Answer& answer) {
  return answer.body["header"]["revision"].get<std::string>();
}

// The number of keys under "" (every key), as a range answers it.
int64_t KeyCount(EtcdStore& store, int64_t now_ns) {
  const json all = {{"key", Base64Encode(std::string(1, '\0'))},
                    {"range_end", Base64Encode(std::string(1, '\0'))},
                    {"count_only", true}};
  const Answer answer = Call(store, "/v3/kv/range", all, now_ns);
  return answer.body.contains("count") ? std::stoll(answer.body["count"].get<std::string>()) : 0;
}

TEST(EtcdStoreTest, ALeaseExpiresExactlyAtItsDeadlineWithItsKeysAtOneNewRevision) {
  EtcdStore store(/*min_lease_ttl_s=*/1, /*first_lease_id=*/100);
  const Answer grant = Call(store, "/v3/lease/grant", {{"TTL", "2"}}, 0);
  ASSERT_EQ(grant.status, 200) << grant.body.dump();
  EXPECT_EQ(grant.body["ID"], "100");
  EXPECT_TRUE(grant.mutated);
  for (const char* key : {"a", "b"}) {
    const json put = {{"key", Base64Encode(key)}, {"value", Base64Encode("v")}, {"lease", "100"}};
    ASSERT_EQ(Call(store, "/v3/kv/put", put, 0).status, 200);
  }
  const int64_t deadline_ns = 2 * kNanosPerSecond;
  EXPECT_EQ(KeyCount(store, deadline_ns - 1), 2);
  const Answer read = Call(store, "/v3/lease/leases", json::object(), deadline_ns - 1);
  EXPECT_FALSE(read.mutated) << "a read changes nothing";
  EXPECT_EQ(Revision(read), "3");

  const Answer expired = Call(store, "/v3/lease/leases", json::object(), deadline_ns);
  EXPECT_TRUE(expired.mutated) << "the expiry is a change to write";
  EXPECT_EQ(Revision(expired), "4") << "both keys deleted at one revision";
  EXPECT_FALSE(expired.body.contains("leases")) << expired.body.dump();
  EXPECT_EQ(KeyCount(store, deadline_ns), 0);
}

TEST(EtcdStoreTest, EncodedStateDecodesToTheSameStoreWithDeadlinesFromTheStart) {
  EtcdStore store(/*min_lease_ttl_s=*/1, /*first_lease_id=*/7);
  store.Started();
  ASSERT_EQ(Call(store, "/v3/lease/grant", {{"TTL", "10"}}, 0).status, 200);
  const json put = {{"key", Base64Encode("k")}, {"value", Base64Encode("v")}, {"lease", "7"}};
  ASSERT_EQ(Call(store, "/v3/kv/put", put, 0).status, 200);
  const std::string bytes = store.Encode();

  const int64_t restart_ns = 9 * kNanosPerSecond;  // 1 s left on the lease before the restart
  Result<EtcdStore> decoded = EtcdStore::Decode(bytes, "etcd/state", restart_ns, 1);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->Encode(), bytes) << "the same durable state";
  const Answer ttl = Call(*decoded, "/v3/lease/timetolive", {{"ID", "7"}}, restart_ns);
  EXPECT_EQ(ttl.body["TTL"], "10") << "a start refreshes every lease: " << ttl.body.dump();
  EXPECT_EQ(ttl.body["header"]["raft_term"], "1");
  EXPECT_EQ(Call(*decoded, "/v3/lease/grant", {{"TTL", "10"}}, restart_ns).body["ID"], "8")
      << "IDs go on counting up";

  std::string damaged = bytes;
  damaged[damaged.size() / 2] ^= 0x01;
  const Result<EtcdStore> refused = EtcdStore::Decode(damaged, "etcd/state", restart_ns, 1);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(refused.status().message().find("etcd/state"), std::string::npos);
}

}  // namespace etcd_store_test
}  // namespace
}  // namespace sluice::sim
