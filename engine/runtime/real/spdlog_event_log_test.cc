#include "engine/runtime/real/spdlog_event_log.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace sluice::real {
namespace {
namespace spdlog_event_log_test {

// One JSON object per event and line: time (UTC), host, level, event, message, then the
// event's fields and the recorder's context, the first value of a name kept; text escaped.
TEST(SpdlogEventLogTest, OneJsonObjectPerLineWithFieldsAndContext) {
  testing::internal::CaptureStderr();
  {
    SpdlogEventLog log("taskmanager-1", /*verbose=*/false);
    ContextEventLog task(log, {EventField{"job", 0, "wordcount"}, EventField{"attempt", 1000002},
                               EventField{"epoch", 3}});
    task.Info("task.restored", "chain1[0] from \"its\" local copy\n", {{"local_bytes", 756061},
                                                                      {"epoch", 4}});
    log.Warn("taskmanager.jobmanager_timeout", "taskmanager-1");
    log.Record(Severity::kDebug, "dropped", "not verbose");
  }
  const std::string out = testing::internal::GetCapturedStderr();
  const size_t newline = out.find('\n');
  ASSERT_NE(newline, std::string::npos) << out;
  const auto first = nlohmann::ordered_json::parse(out.substr(0, newline));
  std::vector<std::string> keys;
  for (const auto& item : first.items()) keys.push_back(item.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"time", "host", "level", "event", "message",
                                            "local_bytes", "epoch", "job", "attempt"}));
  EXPECT_EQ(first["host"], "taskmanager-1");
  EXPECT_EQ(first["level"], "info");
  EXPECT_EQ(first["event"], "task.restored");
  EXPECT_EQ(first["message"], "chain1[0] from \"its\" local copy\n");
  EXPECT_EQ(first["local_bytes"], 756061);
  EXPECT_EQ(first["epoch"], 4) << "the event's own value wins over the context's";
  EXPECT_EQ(first["job"], "wordcount");
  EXPECT_EQ(first["attempt"], 1000002);
  const std::string time = first["time"];
  EXPECT_EQ(time.size(), 24u) << time;  // 2026-11-29T15:35:08.123Z
  EXPECT_EQ(time.back(), 'Z');
  const auto second = nlohmann::json::parse(out.substr(newline + 1, out.find('\n', newline + 1) - newline - 1));
  EXPECT_EQ(second["level"], "warning");
  EXPECT_EQ(second["event"], "taskmanager.jobmanager_timeout");
  EXPECT_EQ(out.find("dropped"), std::string::npos) << "debug events only when verbose";
}

}  // namespace spdlog_event_log_test
}  // namespace
}  // namespace sluice::real
