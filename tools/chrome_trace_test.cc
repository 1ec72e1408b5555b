#include "tools/chrome_trace.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace sluice::tools {
namespace {
namespace chrome_trace_test {

using scenarios::TimelineEvent;
using Json = nlohmann::json;

const Json* FindEvent(const Json& events, const std::string& ph, const std::string& name) {
  for (const Json& event : events) {
    if (event["ph"] == ph && event["name"] == name) return &event;
  }
  return nullptr;
}

TEST(ChromeTraceTest, HostsAreProcessesAndThreadsAreNamedWithStableIds) {
  const std::vector<TimelineEvent> timeline = {
      {2000, "taskmanager-1", "sink", "commit", 'i', "part-0"},
      {1000, "jobmanager", "checkpoints", "checkpoint 1", 'B', ""},
      {1500, "jobmanager", "checkpoints", "checkpoint 1", 'E', "completed"},
      {1700, "taskmanager-1", "", "crash", 'x', ""},
  };
  const Json trace = Json::parse(ChromeTraceJson(timeline));
  const Json& events = trace.at("traceEvents");
  // Hosts in name order: jobmanager 1, taskmanager-1 2; threads per host in name order.
  int process_names = 0;
  for (const Json& event : events) {
    if (event["ph"] == "M" && event["name"] == "process_name") {
      ++process_names;
      EXPECT_EQ(event["pid"], event["args"]["name"] == "jobmanager" ? 1 : 2);
    }
    if (event["ph"] == "M" && event["name"] == "thread_name" && event["pid"] == 2) {
      EXPECT_EQ(event["tid"], event["args"]["name"] == "(host)" ? 1 : 2) << event;
    }
  }
  EXPECT_EQ(process_names, 2);

  const Json* begin = FindEvent(events, "B", "checkpoint 1");
  ASSERT_NE(begin, nullptr);
  EXPECT_EQ((*begin)["ts"], 1000);
  EXPECT_EQ((*begin)["pid"], 1);
  const Json* end = FindEvent(events, "E", "checkpoint 1");
  ASSERT_NE(end, nullptr);
  EXPECT_EQ((*end)["args"]["detail"], "completed");
  const Json* commit = FindEvent(events, "i", "commit");
  ASSERT_NE(commit, nullptr);
  EXPECT_EQ((*commit)["s"], "t");
  EXPECT_EQ((*commit)["tid"], 2);
  EXPECT_NE(FindEvent(events, "i", "crash"), nullptr);  // unknown phase → instant

  // Non-metadata events come out in time order.
  int64_t previous = -1;
  for (const Json& event : events) {
    if (event["ph"] == "M") continue;
    EXPECT_GE(event["ts"].get<int64_t>(), previous);
    previous = event["ts"].get<int64_t>();
  }
}

TEST(ChromeTraceTest, EmptyTimelineIsAValidTrace) {
  const Json trace = Json::parse(ChromeTraceJson({}));
  EXPECT_TRUE(trace.at("traceEvents").is_array());
  EXPECT_TRUE(trace.at("traceEvents").empty());
}

TEST(ChromeTraceTest, InvalidUtf8DoesNotThrow) {
  const std::string json = ChromeTraceJson({{1, "h", "t", "n", 'i', "bad \xff byte"}});
  EXPECT_TRUE(Json::accept(json));
}

}  // namespace chrome_trace_test
}  // namespace
}  // namespace sluice::tools
