#include "engine/jobmanager/leader_election.h"

#include <cstdlib>
#include <utility>

namespace sluice {
namespace {

Result<int64_t> ParseCount(std::string_view field, const std::string& what, const char* name) {
  const std::string text(field);
  char* end = nullptr;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || end != text.c_str() + text.size() || value < 0) {
    return DataLossError(what + ": " + name + " '" + text + "' is not a count");
  }
  return static_cast<int64_t>(value);
}

}  // namespace

std::string LeaseRecord::Encode() const {
  return FencePrefix() + std::to_string(renewals) + "\n";
}

std::string LeaseRecord::FencePrefix() const {
  return std::to_string(epoch) + "\n" + holder + "\n";
}

Result<LeaseRecord> LeaseRecord::Decode(std::string_view text, const std::string& what) {
  std::string_view fields[3];
  for (auto& field : fields) {
    const size_t newline = text.find('\n');
    if (newline == std::string_view::npos) {
      return DataLossError(what + ": truncated lease record (want epoch, holder, renewals)");
    }
    field = text.substr(0, newline);
    text.remove_prefix(newline + 1);
  }
  if (!text.empty()) return DataLossError(what + ": trailing bytes after the lease record");
  LeaseRecord record;
  ASSIGN_OR_RETURN(record.epoch, ParseCount(fields[0], what, "epoch"));
  if (fields[1].empty()) return DataLossError(what + ": empty lease holder");
  record.holder = std::string(fields[1]);
  ASSIGN_OR_RETURN(record.renewals, ParseCount(fields[2], what, "renewal count"));
  return record;
}

LeaderElection::LeaderElection(Host& host, Address store, LeaderElectionConfig config)
    : host_(host), store_address_(store), store_(host, store), config_(std::move(config)) {}

LeaderElection::~LeaderElection() = default;

Result<int64_t> LeaderElection::Campaign(const std::function<bool()>& should_stop) {
  std::optional<std::string> observed;  // the record as last read (nullopt: none)
  int64_t observed_since_ns = host_.clock.NowNs();
  for (;;) {
    if (should_stop()) return AbortedError("campaign stopped: the job has a result");
    const int64_t started_ns = host_.clock.NowNs();
    auto current = store_.ReadFile(kLeasePath);
    if (!current.ok() && current.status().code() != StatusCode::kNotFound) {
      host_.fibers.SleepFor(config_.renew_interval_ns);  // the store is down: wait it out
      continue;
    }
    std::optional<std::string> record;
    if (current.ok()) record = std::move(current).value();
    LeaseRecord previous;
    if (record) {
      ASSIGN_OR_RETURN(previous, LeaseRecord::Decode(*record, kLeasePath));
    }
    if (record != observed) {
      observed = record;
      observed_since_ns = started_ns;
    }
    const bool take = !record || previous.holder == config_.candidate_id ||
                      started_ns - observed_since_ns >= config_.lease_duration_ns;
    if (take) {
      LeaseRecord mine{previous.epoch + 1, config_.candidate_id, 0};
      auto swapped = store_.CompareAndSwap(kLeasePath, record, mine.Encode());
      if (swapped.ok() && swapped.value()) {
        lease_ = std::move(mine);
        renewed_started_ns_ = started_ns;
        lost_ = false;
        host_.log.Info("jobmanager.elected",
                       config_.candidate_id + " epoch " + std::to_string(lease_.epoch));
        return lease_.epoch;
      }
    }
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
                                                   std::to_string(lease_.epoch) + ": " + reason);
  if (on_lost_) on_lost_(reason);
}

void LeaderElection::Renew() {
  // A client of its own: a cancelled renewal may leave a request half-answered on it.
  StoreClient store(host_, store_address_);
  while (!lost_) {
    host_.fibers.SleepFor(config_.renew_interval_ns);
    const int64_t started_ns = host_.clock.NowNs();
    LeaseRecord next = lease_;
    ++next.renewals;
    auto swapped = store.CompareAndSwap(kLeasePath, lease_.Encode(), next.Encode());
    if (!swapped.ok()) continue;  // the store is unreachable: the watchdog keeps the deadline
    if (!swapped.value()) {
      Lose("the lease was taken over");
      return;
    }
    lease_ = std::move(next);
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
