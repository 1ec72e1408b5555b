// Fault schedules as JSON: the `faults` list of `sluice sim run --json`, the file `--faults FILE`
// replays and the file `sluice sim shrink` writes. One entry is an object
//   {"at_ms": 1200, "kind": "pause", "host": "taskmanager-2", "duration_ms": 300,
//    "peer": "jobmanager", "factor": 2.5}
// where duration_ms, peer and factor are optional and written only when they differ from the
// defaults of scenarios::FaultRecord. None of these throw.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/status.h"
#include "scenarios/scenario.h"

namespace sluice::tools {

nlohmann::json FaultToJson(const scenarios::FaultRecord& fault);
nlohmann::json FaultsToJson(const std::vector<scenarios::FaultRecord>& faults);

// A schedule file's text: "[\n" + one entry per line + "]\n" (diffable, readable).
std::string FaultScheduleFileText(const std::vector<scenarios::FaultRecord>& faults);

// Parses a schedule: a JSON array of entries, or an object whose "faults" member is one (so a
// `sim run --json` line can be replayed as it is). kInvalidArgument naming the problem and the
// entry, counted from 1: "entry 3: at_ms must be a non-negative integer, got -5".
Result<std::vector<scenarios::FaultRecord>> ParseFaultSchedule(std::string_view text);
// The same for a parsed value (an array of entries).
Result<std::vector<scenarios::FaultRecord>> FaultsFromJson(const nlohmann::json& list);

// Reads and parses `path`; errors start with "--faults 'PATH': ".
Result<std::vector<scenarios::FaultRecord>> ReadFaultScheduleFile(const std::string& path);

// "1200 ms pause taskmanager-2 duration_ms=300 peer=jobmanager factor=2.5" (defaults omitted).
std::string DescribeFault(const scenarios::FaultRecord& fault);

}  // namespace sluice::tools
