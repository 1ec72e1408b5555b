// A run's timeline (scenarios::TimelineEvent) as Chrome trace-event JSON, which Perfetto
// (ui.perfetto.dev) and chrome://tracing open: {"traceEvents": [...], "displayTimeUnit": "ms"}.
// Each host is a process and each (host, thread) a thread; pids and tids are numbered from 1 in
// the bytewise order of host names and of thread names within a host, so the same hosts and
// threads get the same numbers in every run. "process_name" / "thread_name" metadata events
// ("ph": "M") name them. Events keep their phase (B, E; anything else becomes an instant event,
// "ph": "i" with "s": "t"), their name, ts in microseconds and args {"detail": ...}.
#pragma once

#include <string>
#include <vector>

#include "scenarios/scenario.h"

namespace sluice::tools {

// The trace as one JSON document (never throws; invalid UTF-8 is replaced by U+FFFD).
std::string ChromeTraceJson(const std::vector<scenarios::TimelineEvent>& timeline);

}  // namespace sluice::tools
