#include "tools/chrome_trace.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <utility>

namespace sluice::tools {
namespace {

using scenarios::TimelineEvent;
using Json = nlohmann::json;

constexpr char kUnnamedThread[] = "(host)";  // for events with an empty thread

struct Ids {
  std::map<std::string, int> pids;                          // host → pid
  std::map<std::pair<std::string, std::string>, int> tids;  // (host, thread) → tid
};

std::string ThreadName(const TimelineEvent& event) {
  return event.thread.empty() ? kUnnamedThread : event.thread;
}

// Numbers hosts, and threads within each host, from 1 in sorted order (std::map iterates sorted).
Ids NumberHostsAndThreads(const std::vector<TimelineEvent>& timeline) {
  Ids ids;
  for (const TimelineEvent& event : timeline) {
    ids.pids.emplace(event.host, 0);
    ids.tids.emplace(std::make_pair(event.host, ThreadName(event)), 0);
  }
  int next_pid = 1;
  for (auto& [host, pid] : ids.pids) pid = next_pid++;
  const std::string* previous_host = nullptr;
  int next_tid = 1;
  for (auto& [key, tid] : ids.tids) {
    if (previous_host == nullptr || key.first != *previous_host) next_tid = 1;
    previous_host = &key.first;
    tid = next_tid++;
  }
  return ids;
}

void AppendMetadata(const Ids& ids, Json& events) {
  for (const auto& [host, pid] : ids.pids) {
    events.push_back({{"ph", "M"},
                      {"name", "process_name"},
                      {"pid", pid},
                      {"tid", 0},
                      {"args", {{"name", host}}}});
    events.push_back({{"ph", "M"},
                      {"name", "process_sort_index"},
                      {"pid", pid},
                      {"tid", 0},
                      {"args", {{"sort_index", pid}}}});
  }
  for (const auto& [key, tid] : ids.tids) {
    const int pid = ids.pids.at(key.first);
    events.push_back({{"ph", "M"},
                      {"name", "thread_name"},
                      {"pid", pid},
                      {"tid", tid},
                      {"args", {{"name", key.second}}}});
  }
}

}  // namespace

std::string ChromeTraceJson(const std::vector<TimelineEvent>& timeline) {
  const Ids ids = NumberHostsAndThreads(timeline);
  Json events = Json::array();
  AppendMetadata(ids, events);
  // In time order (viewers cope with unsorted events, diff tools and readers less so); stable, so
  // a B and an E at the same microsecond keep their order.
  std::vector<const TimelineEvent*> sorted;
  sorted.reserve(timeline.size());
  for (const TimelineEvent& event : timeline) sorted.push_back(&event);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto* a, const auto* b) { return a->at_us < b->at_us; });
  for (const TimelineEvent* pointer : sorted) {
    const TimelineEvent& event = *pointer;
    Json json = {{"name", event.name},
                 {"pid", ids.pids.at(event.host)},
                 {"tid", ids.tids.at({event.host, ThreadName(event)})},
                 {"ts", event.at_us},
                 {"args", {{"detail", event.detail}}}};
    if (event.phase == 'B' || event.phase == 'E') {
      json["ph"] = std::string(1, event.phase);
    } else {
      json["ph"] = "i";
      json["s"] = "t";  // instant events scoped to their thread
    }
    events.push_back(std::move(json));
  }
  const Json trace = {{"traceEvents", std::move(events)}, {"displayTimeUnit", "ms"}};
  return trace.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace sluice::tools
