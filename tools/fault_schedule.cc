#include "tools/fault_schedule.h"

#include <fmt/core.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <set>

#include "tools/file_util.h"

namespace sluice::tools {
namespace {

using scenarios::FaultRecord;
using Json = nlohmann::json;

constexpr size_t kScheduleEntriesMax = 100'000;  // a schedule longer than this is not a schedule

std::string JsonTypeName(const Json& value) {
  if (value.is_number_float()) return fmt::format("{} (a fraction)", value.dump());
  if (value.is_number()) return value.dump();
  if (value.is_string()) return fmt::format("the string {}", value.dump());
  return fmt::format("a JSON {}", value.type_name());
}

// Dump that never throws on invalid UTF-8 in strings.
std::string SafeDump(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Status EntryError(size_t index, const std::string& problem) {
  return InvalidArgumentError(fmt::format("entry {}: {}", index + 1, problem));
}

// A non-negative integer that fits in int64_t.
Result<int64_t> NonNegativeInteger(const Json& entry, size_t index, const char* key) {
  const Json& value = entry.at(key);
  if (value.is_number_unsigned() &&
      value.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return static_cast<int64_t>(value.get<uint64_t>());
  }
  if (value.is_number_integer() && value.get<int64_t>() >= 0) return value.get<int64_t>();
  return EntryError(
      index, fmt::format("{} must be a non-negative integer, got {}", key, JsonTypeName(value)));
}

Result<std::string> StringField(const Json& entry, size_t index, const char* key) {
  const Json& value = entry.at(key);
  if (!value.is_string()) {
    return EntryError(index, fmt::format("{} must be a string, got {}", key, JsonTypeName(value)));
  }
  return value.get<std::string>();
}

Status CheckKeys(const Json& entry, size_t index) {
  static const std::set<std::string> kKeys = {"at_ms", "kind",        "host",
                                              "peer",  "duration_ms", "factor"};
  for (const auto& [key, value] : entry.items()) {
    if (kKeys.count(key) == 0) {
      return EntryError(index, fmt::format("unknown field '{}' (fields: at_ms, kind, host, "
                                           "duration_ms, peer, factor)",
                                           key));
    }
  }
  for (const char* key : {"at_ms", "kind", "host"}) {
    if (!entry.contains(key)) return EntryError(index, fmt::format("{} is missing", key));
  }
  return Status::Ok();
}

Result<FaultRecord> FaultFromJson(const Json& entry, size_t index) {
  if (!entry.is_object()) {
    return EntryError(index, fmt::format("expected an object, got {}", JsonTypeName(entry)));
  }
  RETURN_IF_ERROR(CheckKeys(entry, index));
  FaultRecord fault;
  ASSIGN_OR_RETURN(fault.at_ms, NonNegativeInteger(entry, index, "at_ms"));
  ASSIGN_OR_RETURN(const std::string kind, StringField(entry, index, "kind"));
  const std::optional<scenarios::FaultKind> known = scenarios::FaultKindNamed(kind);
  if (!known) {
    std::string names;
    for (const scenarios::FaultKindInfo& info : scenarios::FaultKinds()) {
      names += (names.empty() ? "" : ", ") + std::string(info.name);
    }
    return EntryError(index, fmt::format("unknown kind '{}' (kinds: {})", kind, names));
  }
  fault.kind = *known;
  ASSIGN_OR_RETURN(fault.host, StringField(entry, index, "host"));
  if (entry.contains("duration_ms")) {
    ASSIGN_OR_RETURN(fault.duration_ms, NonNegativeInteger(entry, index, "duration_ms"));
  }
  if (entry.contains("peer")) {
    ASSIGN_OR_RETURN(fault.peer, StringField(entry, index, "peer"));
  }
  if (entry.contains("factor")) {
    const Json& factor = entry.at("factor");
    if (!factor.is_number()) {
      return EntryError(index,
                        fmt::format("factor must be a number, got {}", JsonTypeName(factor)));
    }
    fault.factor = factor.get<double>();
  }
  return fault;
}

}  // namespace

Json FaultToJson(const FaultRecord& fault) {
  Json json = {{"at_ms", fault.at_ms},
               {"kind", scenarios::FaultKindName(fault.kind)},
               {"host", fault.host}};
  const FaultRecord defaults;
  if (fault.duration_ms != defaults.duration_ms) json["duration_ms"] = fault.duration_ms;
  if (fault.peer != defaults.peer) json["peer"] = fault.peer;
  if (fault.factor != defaults.factor) json["factor"] = fault.factor;
  return json;
}

Json FaultsToJson(const std::vector<FaultRecord>& faults) {
  Json list = Json::array();
  for (const FaultRecord& fault : faults) list.push_back(FaultToJson(fault));
  return list;
}

std::string FaultScheduleFileText(const std::vector<FaultRecord>& faults) {
  std::string text = "[";
  for (size_t i = 0; i < faults.size(); ++i) {
    text += i == 0 ? "\n  " : ",\n  ";
    text += SafeDump(FaultToJson(faults[i]));
  }
  text += faults.empty() ? "]\n" : "\n]\n";
  return text;
}

Result<std::vector<FaultRecord>> FaultsFromJson(const Json& list) {
  if (!list.is_array()) {
    return InvalidArgumentError(fmt::format(
        "expected a JSON array of faults (or an object with a \"faults\" array), got {}",
        JsonTypeName(list)));
  }
  if (list.size() > kScheduleEntriesMax) {
    return InvalidArgumentError(fmt::format("{} entries, more than the {} a schedule may have",
                                            list.size(), kScheduleEntriesMax));
  }
  std::vector<FaultRecord> faults;
  faults.reserve(list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    ASSIGN_OR_RETURN(FaultRecord fault, FaultFromJson(list[i], i));
    faults.push_back(std::move(fault));
  }
  return faults;
}

Result<std::vector<FaultRecord>> ParseFaultSchedule(std::string_view text) {
  const Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    // Parse again with exceptions for nlohmann's message, which says where (line and column).
    try {
      [[maybe_unused]] const Json again = Json::parse(text);
    } catch (const Json::parse_error& error) {
      return InvalidArgumentError(fmt::format("not valid JSON: {}", error.what()));
    }
    return InvalidArgumentError("not valid JSON");
  }
  if (parsed.is_object()) {
    if (!parsed.contains("faults")) {
      return InvalidArgumentError(
          "expected a JSON array of faults, or an object with a "
          "\"faults\" array; this object has no \"faults\"");
    }
    return FaultsFromJson(parsed.at("faults"));
  }
  return FaultsFromJson(parsed);
}

Result<std::vector<FaultRecord>> ReadFaultScheduleFile(const std::string& path) {
  auto text = ReadWholeFile(path);
  if (!text.ok()) return InvalidArgumentError("--faults: " + text.status().message());
  auto faults = ParseFaultSchedule(text.value());
  if (!faults.ok()) {
    return InvalidArgumentError(fmt::format("--faults '{}': {}", path, faults.status().message()));
  }
  return faults;
}

std::string DescribeFault(const FaultRecord& fault) {
  std::string text = fmt::format("{} ms {}", fault.at_ms, scenarios::FaultKindName(fault.kind));
  if (!fault.host.empty()) text += " " + fault.host;
  const FaultRecord defaults;
  if (fault.duration_ms != defaults.duration_ms) {
    text += fmt::format(" duration_ms={}", fault.duration_ms);
  }
  if (fault.peer != defaults.peer) text += " peer=" + fault.peer;
  if (fault.factor != defaults.factor) text += fmt::format(" factor={}", fault.factor);
  return text;
}

}  // namespace sluice::tools
