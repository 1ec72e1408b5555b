// Nexmark events as JSON lines, in the nexmark table layout, one event per line:
//   {"event_type":0,"person":{"id","name","emailAddress","creditCard","city","state","dateTime","extra"}}
//   {"event_type":1,"auction":{"id","itemName","description","initialBid","reserve","dateTime",
//                              "expires","seller","category","extra"}}
//   {"event_type":2,"bid":{"auction","bidder","price","channel","url","dateTime","extra"}}
// Every field of the event's type is required; numbers are JSON integers (times in epoch ms),
// the others strings. The other types' members may be absent or null (Flink's JSON format writes
// them as null); unknown keys are ignored. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/base/status.h"
#include "engine/jobs/nexmark/model.h"

namespace sluice::nexmark {

// One line as an event. kInvalidArgument naming the field ("field 'bid.price': expected an
// integer") or the JSON error.
Result<Event> ParseEventJson(std::string_view line);

// The event as one JSON line in the layout above (no newline); inverse of ParseEventJson.
std::string EventToJson(const Event& event);

// Checks a whole events file before a job runs: every non-empty line must parse. With
// `max_out_of_orderness_ms` >= 0, an event whose dateTime is more than that behind the latest
// earlier one is refused too: the queries' watermark (dateTime minus that bound) could make it
// late, and whether a late event is dropped depends on timing, so the result would not be
// deterministic. kInvalidArgument "FILE:LINE: field 'bid.dateTime': ..." for the first bad line.
Status ValidateEventsFile(std::string_view text, std::string_view file_name,
                          int64_t max_out_of_orderness_ms);

}  // namespace sluice::nexmark
