#include "scenarios/timeline.h"

namespace sluice::scenarios {

TimelineRecorder::TimelineRecorder(WordCountCluster& cluster, std::vector<TimelineEvent>* out)
    : cluster_(cluster), out_(out) {
  if (out_ == nullptr) return;
  cluster_.AddEventObserver([this](sim::World::HostId host, Severity, std::string_view category,
                                   std::string_view message) { OnEvent(host, category, message); });
}

void TimelineRecorder::Add(const std::string& host, std::string thread, std::string name,
                           char phase, std::string detail) {
  out_->push_back(TimelineEvent{cluster_.world().now_ns() / kNanosPerMicro, host,
                                std::move(thread), std::move(name), phase, std::move(detail)});
}

void TimelineRecorder::AddFaults(const std::vector<FaultRecord>& faults) {
  if (out_ == nullptr) return;
  for (const FaultRecord& f : faults) {
    std::string detail = f.peer.empty() ? "" : "peer " + f.peer;
    if (f.duration_ms > 0) detail += (detail.empty() ? "" : ", ") + std::to_string(f.duration_ms) + " ms";
    out_->push_back(TimelineEvent{f.at_ms * 1000, f.host.empty() ? "world" : f.host, "faults",
                                  std::string(FaultKindName(f.kind)), 'i', detail});
  }
}

void TimelineRecorder::OnEvent(sim::World::HostId host_id, std::string_view category,
                               std::string_view message) {
  const std::string host = cluster_.world().host_name(host_id);
  const std::string text(message);
  if (category == "checkpoint.triggered") {
    Add(host, "checkpoints", "checkpoint " + text, 'B', "");
  } else if (category == "checkpoint.completed") {
    Add(host, "checkpoints", "checkpoint " + text, 'E', "completed");
  } else if (category == "checkpoint.aborted") {
    Add(host, "checkpoints", "checkpoint aborted", 'E', text);
  } else if (category == "job.deployed" || category == "job.restarting" ||
             category == "job.finished" || category == "job.failed" ||
             category == "taskmanager.lost" || category == "checkpoint.discarded") {
    Add(host, "job", std::string(category), 'i', text);
  } else if (category == "task.running") {
    Add(host, text, "running", 'B', "");
  } else if (category == "task.finished") {
    Add(host, text, "running", 'E', "finished");
  } else if (category == "task.failed") {
    Add(host, text.substr(0, text.find(':')), "running", 'E', text);
  } else if (category == "sink.committed") {
    Add(host, "sink", "commit", 'i', text);
  }
}

}  // namespace sluice::scenarios
