// Nexmark JSON lines are untrusted input: any bytes give an event or an error naming the problem,
// never a crash; a parsed event prints back to a line that parses to the same event; and every
// generated event round-trips. RapidCheck prints the failing case and how to reproduce it
// (RC_PARAMS="reproduce=...").
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>

#include "engine/jobs/nexmark/generator.h"
#include "engine/jobs/nexmark/json.h"

namespace sluice::nexmark {
namespace {

// A generated event's line.
std::string GeneratedLine(uint64_t seed, int64_t n) {
  GeneratorConfig config;
  config.seed = seed;
  return EventToJson(NexmarkGenerator(config).Generate(n));
}

RC_GTEST_PROP(NexmarkJsonProperties, GeneratedEventsRoundTrip, ()) {
  const uint64_t seed = *rc::gen::inRange<uint64_t>(0, 1000);
  const int64_t n = *rc::gen::inRange<int64_t>(0, 1'000'000);
  GeneratorConfig config;
  config.seed = seed;
  const Event event = NexmarkGenerator(config).Generate(n);
  auto parsed = ParseEventJson(EventToJson(event));
  RC_ASSERT(parsed.ok());
  RC_ASSERT(*parsed == event);
}

RC_GTEST_PROP(NexmarkJsonProperties, AnyMutationParsesOrNamesAnError, ()) {
  std::string line = GeneratedLine(*rc::gen::inRange<uint64_t>(0, 10),
                                   *rc::gen::inRange<int64_t>(0, 100));
  const int edits = *rc::gen::inRange(1, 6);
  for (int i = 0; i < edits && !line.empty(); ++i) {
    const size_t at = *rc::gen::inRange<size_t>(0, line.size());
    switch (*rc::gen::inRange(0, 4)) {
      case 0:
        line[at] = *rc::gen::arbitrary<char>();
        break;
      case 1:
        line.erase(at, *rc::gen::inRange<size_t>(1, 20));
        break;
      case 2:
        line.insert(at, *rc::gen::arbitrary<std::string>());
        break;
      default:
        line.resize(at);
        break;
    }
  }
  auto parsed = ParseEventJson(line);
  if (!parsed.ok()) {
    RC_ASSERT(!parsed.status().message().empty());
    return;
  }
  auto again = ParseEventJson(EventToJson(*parsed));
  RC_ASSERT(again.ok());
  RC_ASSERT(*again == *parsed);
}

RC_GTEST_PROP(NexmarkJsonProperties, ArbitraryTextNeverCrashesTheValidator, (std::string text)) {
  const Status status = ValidateEventsFile(text, "fuzz.json", 4000);
  if (!status.ok()) RC_ASSERT(status.message().rfind("fuzz.json:", 0) == 0);
}

}  // namespace
}  // namespace sluice::nexmark
