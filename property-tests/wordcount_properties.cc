// Word count stays exactly once for random seeds, random inputs and random crash schedules: any
// TaskManager, crashing at any time in the run (or after it), restarting after any delay.
// A failure prints RapidCheck's counterexample (seed, schedule, input) and its reproduce string
// (rerun with RC_PARAMS="reproduce=...").
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

#include "scenarios/wordcount_tm_crash.h"

namespace sluice::scenarios {
namespace {

// Lines of words from a small vocabulary (so counts grow past 1), with punctuation and case.
rc::Gen<std::string> GenInput() {
  static const std::vector<std::string> kWords = {
      "Sluice", "stream", "the", "a", "42", "Barrier", "ONCE", "exactly", "x1", "key-group", "fox"};
  auto line = rc::gen::container<std::vector<std::string>>(rc::gen::elementOf(kWords));
  return rc::gen::map(rc::gen::container<std::vector<std::vector<std::string>>>(line),
                      [](const std::vector<std::vector<std::string>>& lines) {
                        std::string text;
                        for (const auto& words : lines) {
                          for (const auto& word : words) text += word + ", ";
                          text += "\n";
                        }
                        return text;
                      });
}

RC_GTEST_PROP(WordCountProperties, ExactlyOnceUnderAnyTaskManagerCrash, ()) {
  ScenarioOptions options;
  options.seed = *rc::gen::inRange<uint64_t>(1, 1u << 30);
  options.input_text = *GenInput();
  CrashSchedule schedule;
  schedule.taskmanager = *rc::gen::inRange(0, 3);
  schedule.crash_ms = *rc::gen::inRange<int64_t>(0, 6000);
  schedule.restart_ms = schedule.crash_ms + *rc::gen::inRange<int64_t>(0, 3000);
  const ScenarioResult result = RunWordCountWithCrash(options, schedule);
  RC_LOG() << "seed " << options.seed << " taskmanager " << schedule.taskmanager << " crash "
           << schedule.crash_ms << " ms restart " << schedule.restart_ms << " ms\n";
  RC_ASSERT(result.failure == "");
  RC_ASSERT(result.pass);
}

}  // namespace
}  // namespace sluice::scenarios
