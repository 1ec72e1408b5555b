// JobManager leader election and fencing on etcd (engine/ha/etcd_client.h), for JobManager high
// availability: several JobManager processes campaign, one leads, the others stand by and take
// over when the leader's lease expires.
//
// The leader key (LeaderElectionConfig::LeaderKey()) holds a LeaderRecord (the leader's candidate
// id and the address where TaskManagers reach it: Flink's leader retrieval reads the same) and is
// attached to an etcd lease of lease_ttl_s seconds that the leader keeps alive. A candidate
// creates the key in a transaction that succeeds only if the key is missing (etcd's concurrency
// election, clientv3/concurrency/election.go, takes the same step); the key's mod revision after
// that put is the leadership's epoch, the fencing token every control message carries
// (Kleppmann, "How to do distributed locking", 2016): etcd revisions only grow, so a later
// leadership always has a higher epoch. When the leader stops renewing (crashed, cut off, paused),
// etcd deletes the key as the lease expires and a standby's transaction succeeds.
//
// The leader renews every renew_interval and steps down when it has not renewed for
// renew_deadline (< the lease's TTL: it gives up before etcd can hand the key to another). A
// leader that was paused past its lease still believes it leads until its watchdog runs; the
// epoch is what makes its late actions harmless: TaskManagers drop commands from epochs older
// than the newest they registered with, and every write only a leader may make (job results,
// checkpoint pointers) is an etcd transaction comparing the leader key's mod revision with the
// epoch (LeaderFence), which a newer leadership has changed.
//
// A candidate whose id holds the key takes it over at once with a new epoch (a put comparing the
// key's mod revision): it is the same JobManager restarted, or leading again after a rescale, and
// its previous incarnation has stopped. Ids must therefore be unique.
//
// Not shared between fibers except as documented: Campaign runs on the caller's fiber; the
// renewal runs on two fibers of its own, started by StartRenewing.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/status.h"
#include "engine/ha/etcd_client.h"
#include "engine/runtime/host.h"

namespace sluice {

struct LeaderElectionConfig {
  std::string candidate_id = "jobmanager";  // unique among the JobManagers of a cluster
  // Where TaskManagers reach this JobManager once it leads ("host:port"), published in the
  // leader key for leader retrieval; "" publishes none.
  std::string address;
  // high-availability.cluster-id under the etcd root: every HA key of the cluster begins so.
  std::string key_prefix = "/sluice/default/";
  int64_t lease_ttl_s = 1;                          // etcd's minimum is 1 s or more
  int64_t renew_deadline_ns = 700 * 1000 * 1000LL;  // leader steps down if not renewed in this
  int64_t renew_interval_ns = 200 * 1000 * 1000LL;  // leader renews (standbys poll) this often
  std::string LeaderKey() const { return key_prefix + "leader"; }
};

// The leader key's value: "<candidate id>\n<address>". Decode never fails: a value without a
// newline is an id alone (no address).
struct LeaderRecord {
  std::string id;
  std::string address;
  std::string Encode() const { return id + "\n" + address; }
  static LeaderRecord Decode(const std::string& value);
};

// The precondition of every write only the current leadership may make: the leader key was last
// written at `revision` (this leadership's epoch).
struct LeaderFence {
  std::string leader_key;
  int64_t revision = 0;
};

// Runs `ops` in one etcd transaction if `fence` holds. kFailedPrecondition ("fenced") when a
// newer leadership exists; etcd's and the transport's errors as EtcdClient::Txn. May suspend.
Status FencedWrite(EtcdClient& etcd, const LeaderFence& fence, const std::vector<EtcdOp>& ops);

class LeaderElection {
 public:
  // `request_timeout_ns` bounds each etcd request (EtcdClient).
  LeaderElection(Host& host, std::vector<Address> etcd, LeaderElectionConfig config,
                 int64_t request_timeout_ns);
  ~LeaderElection();
  LeaderElection(const LeaderElection&) = delete;
  LeaderElection& operator=(const LeaderElection&) = delete;

  // Campaigns until this candidate holds the leader key and returns its epoch. Returns kAborted
  // as soon as `should_stop` (called once per renew interval; may suspend) returns true. etcd
  // outages are waited out. May suspend.
  Result<int64_t> Campaign(const std::function<bool()>& should_stop);

  // Leader only, after Campaign: renews the lease on two fibers of this host until
  // StopRenewing. `on_lost(reason)` is called once, from one of them, when leadership is lost:
  // the lease expired, or renew_deadline passed since the start of the last successful
  // renewal. It must not suspend for long (push an event; do not act inline).
  void StartRenewing(std::function<void(const std::string& reason)> on_lost);
  // Stops (cancels and joins) the renewal fibers. May suspend.
  void StopRenewing();

  LeaderFence fence() const { return LeaderFence{config_.LeaderKey(), epoch_}; }
  int64_t epoch() const { return epoch_; }
  // A client for this host's fiber that calls it (each fiber needs its own).
  EtcdClient NewClient() const { return EtcdClient(host_, etcd_, request_timeout_ns_); }

 private:
  // One campaign step: the epoch if this candidate now leads, nullopt if another does (or the
  // key just changed), an error if etcd did not answer.
  Result<std::optional<int64_t>> TryToLead();
  void Renew();
  void Watch();
  void Lose(const std::string& reason);

  Host& host_;
  const std::vector<Address> etcd_;
  const int64_t request_timeout_ns_;
  EtcdClient client_;  // Campaign's
  const LeaderElectionConfig config_;
  int64_t lease_ = 0;                // the etcd lease the leader key is attached to
  int64_t epoch_ = 0;                // the leader key's mod revision as this leader wrote it
  int64_t renewed_started_ns_ = 0;   // start of the last successful renewal
  bool lost_ = true;
  std::function<void(const std::string&)> on_lost_;
  std::optional<FiberId> renewer_;
  std::optional<FiberId> watchdog_;
};

}  // namespace sluice
