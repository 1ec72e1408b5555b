#include "engine/ha/leader_election.h"

#include <utility>

#include "engine/base/assert.h"

namespace sluice {

LeaderRecord LeaderRecord::Decode(const std::string& value) {
  const size_t newline = value.find('\n');
  if (newline == std::string::npos) return LeaderRecord{value, ""};
  return LeaderRecord{value.substr(0, newline), value.substr(newline + 1)};
}

Status FencedWrite(EtcdClient& etcd, const LeaderFence& fence, const std::vector<EtcdOp>& ops) {
  SLUICE_ASSERT(fence.revision > 0, "a fenced write needs the leadership's epoch");
  ASSIGN_OR_RETURN(const EtcdTxnResult txn,
                   etcd.Txn({EtcdCompare::ModRevisionIs(fence.leader_key, fence.revision)}, ops));
  if (!txn.succeeded) {
    return FailedPreconditionError("fenced: " + fence.leader_key +
                                   " is no longer at epoch " + std::to_string(fence.revision));
  }
  return Status::Ok();
}

LeaderElection::LeaderElection(Host& host, std::vector<Address> etcd, LeaderElectionConfig config,
                               int64_t request_timeout_ns)
    : host_(host),
      etcd_(std::move(etcd)),
      request_timeout_ns_(request_timeout_ns),
      client_(host, etcd_, request_timeout_ns),
      config_(std::move(config)) {
  SLUICE_ASSERT(config_.renew_deadline_ns < config_.lease_ttl_s * 1000 * 1000 * 1000,
                "the leader must step down before etcd can expire its lease");
  SLUICE_ASSERT(config_.renew_interval_ns < config_.renew_deadline_ns,
                "a leader renews more often than its renew deadline");
}

LeaderElection::~LeaderElection() = default;

Result<std::optional<int64_t>> LeaderElection::TryToLead() {
  const std::string key = config_.LeaderKey();
  ASSIGN_OR_RETURN(const EtcdRangeResult current, client_.Get(key));
  const EtcdKeyValue* held = current.kvs.empty() ? nullptr : &current.kvs[0];
  if (held != nullptr && LeaderRecord::Decode(held->value).id != config_.candidate_id) {
    return std::optional<int64_t>();
  }
  // A fresh lease for each attempt: one granted for an earlier attempt may have expired.
  ASSIGN_OR_RETURN(const EtcdLease lease, client_.GrantLease(config_.lease_ttl_s));
  // Missing: create it. Held by this candidate's id: an earlier incarnation of it, gone now:
  // take it over unless it changed meanwhile.
  const EtcdCompare unchanged = held == nullptr
                                    ? EtcdCompare::Missing(key)
                                    : EtcdCompare::ModRevisionIs(key, held->mod_revision);
  const LeaderRecord record{config_.candidate_id, config_.address};
  auto txn = client_.Txn({unchanged}, {EtcdOp::Put(key, record.Encode(), lease.id)});
  if (!txn.ok() || !txn->succeeded) {
    // Best effort: an unused lease would only expire on its own.
    (void)client_.Revoke(lease.id);
    if (!txn.ok()) return txn.status();
    return std::optional<int64_t>();
  }
  lease_ = lease.id;
  return std::optional<int64_t>(txn->revision);
}

Result<int64_t> LeaderElection::Campaign(const std::function<bool()>& should_stop) {
  for (;;) {
    if (should_stop()) return AbortedError("campaign stopped: the job has a result");
    const int64_t started_ns = host_.clock.NowNs();
    auto led = TryToLead();
    if (led.ok() && led->has_value()) {
      epoch_ = **led;
      renewed_started_ns_ = started_ns;
      lost_ = false;
      host_.log.Info("jobmanager.elected",
                     config_.candidate_id + " epoch " + std::to_string(epoch_));
      return epoch_;
    }
    // Another leads, or etcd is unreachable: wait and look again.
    host_.fibers.SleepFor(config_.renew_interval_ns);
  }
}

void LeaderElection::StartRenewing(std::function<void(const std::string&)> on_lost) {
  on_lost_ = std::move(on_lost);
  renewer_ = host_.fibers.Spawn("lease-renewer", [this] { Renew(); });
  watchdog_ = host_.fibers.Spawn("lease-watchdog", [this] { Watch(); });
}

void LeaderElection::StopRenewing() {
  for (auto* fiber : {&renewer_, &watchdog_}) {
    if (!*fiber) continue;
    host_.fibers.Cancel(**fiber);
    host_.fibers.Join(**fiber);
    fiber->reset();
  }
  lost_ = true;
}

void LeaderElection::Lose(const std::string& reason) {
  if (lost_) return;
  lost_ = true;
  host_.log.Warn("jobmanager.leadership_lost", config_.candidate_id + " epoch " +
                                                   std::to_string(epoch_) + ": " + reason);
  if (on_lost_) on_lost_(reason);
}

void LeaderElection::Renew() {
  // A client of its own: a cancelled renewal may leave a request half-answered on it.
  EtcdClient etcd = NewClient();
  while (!lost_) {
    host_.fibers.SleepFor(config_.renew_interval_ns);
    const int64_t started_ns = host_.clock.NowNs();
    auto ttl_s = etcd.KeepAlive(lease_);
    if (!ttl_s.ok()) continue;  // etcd is unreachable: the watchdog keeps the deadline
    if (*ttl_s == 0) {
      Lose("the lease expired");
      return;
    }
    renewed_started_ns_ = started_ns;
  }
}

void LeaderElection::Watch() {
  while (!lost_) {
    const int64_t deadline_ns = renewed_started_ns_ + config_.renew_deadline_ns;
    if (host_.clock.NowNs() >= deadline_ns) {
      Lose("no renewal within " + std::to_string(config_.renew_deadline_ns / 1000000) + " ms");
      return;
    }
    host_.fibers.SleepUntil(deadline_ns);
  }
}

}  // namespace sluice
