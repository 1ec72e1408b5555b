// JobManager leader election and fencing over the checkpoint store, for JobManager high
// availability: several JobManager processes campaign, one leads, the others stand by and take
// over when the leader's lease runs out.
//
// The lease is one record on the checkpoint store (shared storage, as Flink keeps its HA data in
// ZooKeeper or a Kubernetes ConfigMap), at kLeasePath:
//   "<epoch>\n<holder>\n<renewals>\n"
// and is only ever changed by compare-and-swap (StoreClient::CompareAndSwap). The algorithm is
// the Kubernetes client-go lease election (leaderelection.go): a candidate takes the lease over
// once it has seen the record unchanged for lease_duration on its own clock (so clock offsets do
// not matter, only rates); the leader renews every renew_interval and steps down when it has not
// renewed for renew_deadline (< lease_duration). Taking the lease over increments the epoch: the
// fencing token every control message and every checkpoint-metadata write carries (Kleppmann,
// "How to do distributed locking", 2016). A leader that was paused (a GC stall) past its lease
// still believes it leads until its watchdog runs; the token is what makes its late messages
// harmless: TaskManagers drop commands from epochs older than the newest they registered with,
// and the store refuses its fenced writes (StoreFence).
//
// A candidate whose id is the lease's holder takes it over at once (epoch + 1): it is the same
// JobManager restarted, and its previous incarnation is gone. Ids must therefore be unique.
//
// Not shared between fibers except as documented: Campaign runs on the caller's fiber; the
// renewal runs on two fibers of its own, started by StartRenewing.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "engine/base/status.h"
#include "engine/checkpoint/store.h"
#include "engine/runtime/host.h"

namespace sluice {

struct LeaderElectionConfig {
  std::string candidate_id = "jobmanager";       // unique among the JobManagers of a cluster
  int64_t lease_duration_ns = 1000 * 1000 * 1000LL;  // unchanged this long: the lease is free
  int64_t renew_deadline_ns = 700 * 1000 * 1000LL;   // leader steps down if not renewed in this
  int64_t renew_interval_ns = 200 * 1000 * 1000LL;   // leader renews (and candidates poll) this often
};

// The lease record. Encode/Decode are exact inverses; Decode names what is wrong.
struct LeaseRecord {
  int64_t epoch = 0;
  std::string holder;
  int64_t renewals = 0;

  std::string Encode() const;
  static Result<LeaseRecord> Decode(std::string_view text, const std::string& what);
  // The prefix every record of this leadership (any renewal count) begins with.
  std::string FencePrefix() const;
};

inline constexpr char kLeasePath[] = "jobmanager/leader";

class LeaderElection {
 public:
  LeaderElection(Host& host, Address store, LeaderElectionConfig config);
  ~LeaderElection();
  LeaderElection(const LeaderElection&) = delete;
  LeaderElection& operator=(const LeaderElection&) = delete;

  // Campaigns until this candidate holds the lease and returns its epoch. Returns kAborted as
  // soon as `should_stop` (called once per renew interval; may suspend) returns true, and
  // kDataLoss if the lease record is unreadable (no safe epoch can be chosen). Store outages are
  // waited out. May suspend.
  Result<int64_t> Campaign(const std::function<bool()>& should_stop);

  // Leader only, after Campaign: renews the lease on two fibers of this host until
  // StopRenewing. `on_lost(reason)` is called once, from one of them, when leadership is lost:
  // a renewal found another holder, or renew_deadline passed since the start of the last
  // successful renewal. It must not suspend for long (push an event; do not act inline).
  void StartRenewing(std::function<void(const std::string& reason)> on_lost);
  // Stops (cancels and joins) the renewal fibers. May suspend.
  void StopRenewing();

  // The fence for writes only this leadership may make (see StoreFence).
  StoreFence fence() const { return StoreFence{kLeasePath, lease_.FencePrefix()}; }
  int64_t epoch() const { return lease_.epoch; }

 private:
  void Renew();
  void Watch();
  void Lose(const std::string& reason);

  Host& host_;
  const Address store_address_;
  StoreClient store_;  // Campaign's
  const LeaderElectionConfig config_;
  LeaseRecord lease_;                  // the record this leader last wrote
  int64_t renewed_started_ns_ = 0;     // start of the last successful write of lease_
  bool lost_ = true;
  std::function<void(const std::string&)> on_lost_;
  std::optional<FiberId> renewer_;
  std::optional<FiberId> watchdog_;
};

}  // namespace sluice
