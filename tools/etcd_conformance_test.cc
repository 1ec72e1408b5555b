// The simulator's etcd (simnet/etcd_model.h) against the real one: one script of client calls
// (engine/ha/etcd_client.h) runs against a fresh etcd 3.4 process (Debian's etcd-server,
// installed by tools/setup) and against the model on a simulated host, and both must answer
// alike: the same values, versions, revisions, compare outcomes, error codes and lease expiry.
// This is what lets the simulator stand in for etcd: a difference here is a model bug (or a new
// etcd behaviour the model must learn).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "engine/ha/etcd_client.h"
#include "engine/runtime/real/real_runtime.h"
#include "simnet/etcd_model.h"
#include "simnet/world.h"
#include "tools/process.h"

namespace sluice::tools {
namespace {
namespace etcd_conformance_test {

constexpr int64_t kRequestTimeoutNs = 2 * kNanosPerSecond;

std::string Describe(const Status& status) {
  return std::string("error ") + StatusCodeName(status.code());
}

// Runs the script, describing every answer with revisions relative to the store's revision at
// the start (a fresh etcd and a fresh model both start at 1, but the script must not care).
std::vector<std::string> RunScript(Host& host, EtcdClient& etcd) {
  std::vector<std::string> out;
  auto start = etcd.Get("probe");
  if (!start.ok()) return {"start: " + start.status().ToString()};
  const int64_t base = start->revision;
  auto rel = [&](int64_t revision) { return std::to_string(revision - base); };
  auto kv_text = [&](const EtcdKeyValue& kv) {
    return kv.key + "=" + kv.value + " c" + rel(kv.create_revision) + " m" +
           rel(kv.mod_revision) + " v" + std::to_string(kv.version) +
           (kv.lease != 0 ? " leased" : "");
  };
  auto range_text = [&](const Result<EtcdRangeResult>& range) {
    if (!range.ok()) return Describe(range.status());
    std::string text = "rev " + rel(range->revision) + " count " + std::to_string(range->count) +
                       (range->more ? " more" : "") + ":";
    for (const EtcdKeyValue& kv : range->kvs) text += " [" + kv_text(kv) + "]";
    return text;
  };
  auto put_text = [&](const Result<int64_t>& put) {
    return put.ok() ? "put at " + rel(*put) : Describe(put.status());
  };
  auto txn_text = [&](const Result<EtcdTxnResult>& txn) {
    if (!txn.ok()) return Describe(txn.status());
    std::string text = std::string(txn->succeeded ? "succeeded" : "failed") + " rev " +
                       rel(txn->revision) + ":";
    for (const EtcdOpResult& result : txn->responses) {
      text += " {";
      for (const EtcdKeyValue& kv : result.kvs) text += "[" + kv_text(kv) + "]";
      text += " deleted " + std::to_string(result.deleted) + "}";
    }
    return text;
  };

  out.push_back("put a=1: " + put_text(etcd.Put("a", "1")));
  out.push_back("put a=2: " + put_text(etcd.Put("a", "2")));
  out.push_back("get a: " + range_text(etcd.Get("a")));
  out.push_back("get missing: " + range_text(etcd.Get("missing")));
  for (const char* key : {"job/1", "job/2", "job/3", "joc", "jo"}) {
    out.push_back(std::string("put ") + key + ": " + put_text(etcd.Put(key, "x")));
  }
  out.push_back("prefix job/: " + range_text(etcd.GetPrefix("job/")));
  out.push_back("prefix job/ limit 2: " + range_text(etcd.GetPrefix("job/", 2)));
  out.push_back("prefix '': " + range_text(etcd.GetPrefix("")));
  // The create-if-missing pattern (leader election), both ways.
  out.push_back("txn a missing: " + txn_text(etcd.Txn({EtcdCompare::Missing("a")},
                                                      {EtcdOp::Put("a", "won")},
                                                      {EtcdOp::Get("a")})));
  out.push_back("txn b missing: " + txn_text(etcd.Txn({EtcdCompare::Missing("b")},
                                                      {EtcdOp::Put("b", "won")},
                                                      {EtcdOp::Get("b")})));
  // The fenced write: compare the guard's mod revision, then write and read in one step.
  auto guard = etcd.Get("b");
  const int64_t guard_revision = guard.ok() && !guard->kvs.empty() ? guard->kvs[0].mod_revision : 0;
  out.push_back("txn fenced by b: " +
                txn_text(etcd.Txn({EtcdCompare::ModRevisionIs("b", guard_revision)},
                                  {EtcdOp::Put("pointer", "1"), EtcdOp::Put("c", "1"),
                                   EtcdOp::Get("a"), EtcdOp::Delete("jo")})));
  out.push_back("txn fenced by a stale revision: " +
                txn_text(etcd.Txn({EtcdCompare::ModRevisionIs("b", guard_revision - 1)},
                                  {EtcdOp::Put("pointer", "2")})));
  out.push_back("txn value of a missing key: " +
                txn_text(etcd.Txn({EtcdCompare::ValueIs("nothing", "")}, {EtcdOp::Put("z", "1")},
                                  {})));
  out.push_back("txn value: " + txn_text(etcd.Txn({EtcdCompare::ValueIs("a", "2")},
                                                  {EtcdOp::Get("pointer")})));
  out.push_back("txn one key twice: " +
                txn_text(etcd.Txn({}, {EtcdOp::Put("d", "1"), EtcdOp::Put("d", "2")})));
  auto deleted = etcd.Delete("c");
  out.push_back("delete c: " + (deleted.ok() ? std::to_string(*deleted) : Describe(deleted.status())));
  deleted = etcd.Delete("c");
  out.push_back("delete c again: " +
                (deleted.ok() ? std::to_string(*deleted) : Describe(deleted.status())));
  out.push_back("get after deletes: " + range_text(etcd.Get("a")));

  // Leases: attach, renew, expire (its key goes at a new revision), then what a dead lease gets.
  auto lease = etcd.GrantLease(1);
  out.push_back("grant 1 s: " + (lease.ok() ? "ttl " + std::to_string(lease->ttl_s)
                                            : Describe(lease.status())));
  if (!lease.ok()) return out;
  out.push_back("put leader: " + put_text(etcd.Put("leader", "me", lease->id)));
  auto kept = etcd.KeepAlive(lease->id);
  out.push_back("keepalive: " + (kept.ok() ? "ttl " + std::to_string(*kept) : Describe(kept.status())));
  out.push_back("get leader: " + range_text(etcd.Get("leader")));
  const int64_t give_up_ns = host.clock.NowNs() + 10 * kNanosPerSecond;
  bool gone = false;
  while (!gone && host.clock.NowNs() < give_up_ns) {
    host.fibers.SleepFor(100 * kNanosPerMilli);
    auto leader = etcd.Get("leader");
    gone = leader.ok() && leader->kvs.empty();
  }
  out.push_back(std::string("leader key ") + (gone ? "expired" : "still there after 10 s"));
  out.push_back("get leader: " + range_text(etcd.Get("leader")));
  kept = etcd.KeepAlive(lease->id);
  out.push_back("keepalive expired: " +
                (kept.ok() ? "ttl " + std::to_string(*kept) : Describe(kept.status())));
  out.push_back("put with expired lease: " + put_text(etcd.Put("leader", "me", lease->id)));
  out.push_back("revoke expired: " + Describe(etcd.Revoke(lease->id)));
  auto second = etcd.GrantLease(5);
  if (!second.ok()) return out;
  out.push_back("put held: " + put_text(etcd.Put("held", "1", second->id)));
  out.push_back("revoke: " + Describe(etcd.Revoke(second->id)));
  out.push_back("get held: " + range_text(etcd.Get("held")));
  return out;
}

std::vector<std::string> AgainstTheModel() {
  sim::World world(sim::WorldOptions{.seed = 7});
  world.AddHost("etcd", [](Host& host) {
    // Returns only if it cannot serve; the script then fails on its first request.
    Status served = sim::RunEtcdModel(host, sim::EtcdModelConfig{});
    host.log.Error("etcd.failed", served.ToString());
  });
  std::vector<std::string> transcript;
  bool done = false;
  world.AddHost("client", [&](Host& host) {
    EtcdClient etcd(host, {Address{"etcd", 2379}}, kRequestTimeoutNs);
    transcript = RunScript(host, etcd);
    done = true;
  });
  world.RunUntil([&] { return done; }, 60 * kNanosPerSecond);
  return transcript;
}

std::vector<std::string> AgainstRealEtcd(const std::string& dir) {
  auto ports = PickFreePorts(2);
  if (!ports.ok()) return {ports.status().ToString()};
  const std::string client_url = "http://127.0.0.1:" + std::to_string((*ports)[0]);
  const std::string peer_url = "http://127.0.0.1:" + std::to_string((*ports)[1]);
  // A heartbeat of 10 ms and an election timeout of 100 ms make etcd's minimum lease TTL
  // ceil(1.5 x 100 ms) = 1 s, the model's default.
  auto pid = SpawnProgram("etcd", "etcd",
                          {"--name", "default", "--data-dir", dir + "/data",
                           "--listen-client-urls", client_url, "--advertise-client-urls",
                           client_url, "--listen-peer-urls", peer_url,
                           "--initial-advertise-peer-urls", peer_url, "--initial-cluster",
                           "default=" + peer_url, "--heartbeat-interval", "10",
                           "--election-timeout", "100"},
                          dir + "/etcd.log");
  if (!pid.ok()) return {pid.status().ToString()};
  std::vector<std::string> transcript;
  {
    real::RealRuntime runtime("client", "", /*seed=*/7);
    Status ran = runtime.Run([&](Host& host) {
      EtcdClient etcd(host, {Address{"127.0.0.1", (*ports)[0]}}, kRequestTimeoutNs);
      // Wait for etcd to elect itself: until then requests fail or time out.
      const int64_t give_up_ns = host.clock.NowNs() + 20 * kNanosPerSecond;
      while (!etcd.Get("probe").ok() && host.clock.NowNs() < give_up_ns) {
        host.fibers.SleepFor(50 * kNanosPerMilli);
      }
      transcript = RunScript(host, etcd);
      return Status::Ok();
    });
    if (!ran.ok()) transcript.push_back(ran.ToString());
  }
  TerminateAndWait(*pid, 5000);
  return transcript;
}

TEST(EtcdConformanceTest, TheModelAnswersAsEtcdDoes) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("sluice-etcd-conformance-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::vector<std::string> real = AgainstRealEtcd(dir.string());
  const std::vector<std::string> model = AgainstTheModel();
  ASSERT_GT(real.size(), 20u) << "the script did not run against etcd (is etcd-server installed? "
                                 "tools/setup installs it); log in "
                              << dir << "/etcd.log\n"
                              << ::testing::PrintToString(real);
  EXPECT_EQ(model, real);
  // The script reaches what it is for.
  const std::string all = ::testing::PrintToString(real);
  for (const char* expected : {"txn a missing: failed", "txn b missing: succeeded",
                               "txn fenced by a stale revision: failed", "leader key expired",
                               "put with expired lease: error NOT_FOUND",
                               "txn one key twice: error INVALID_ARGUMENT"}) {
    EXPECT_NE(all.find(expected), std::string::npos) << expected << " in " << all;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace etcd_conformance_test
}  // namespace
}  // namespace sluice::tools
