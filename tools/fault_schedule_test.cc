#include "tools/fault_schedule.h"

#include <gtest/gtest.h>

#include "tools/test_faults.h"

namespace sluice::tools {
namespace {
namespace fault_schedule_test {

using testing::Fault;

using scenarios::FaultRecord;

std::string ErrorOf(std::string_view text) {
  auto parsed = ParseFaultSchedule(text);
  EXPECT_FALSE(parsed.ok()) << text;
  return parsed.ok() ? "" : parsed.status().message();
}

TEST(FaultScheduleTest, RoundTripsEveryFieldThroughTheFileText) {
  const std::vector<FaultRecord> faults = {
      Fault(100, "crash", "taskmanager-1"),
      Fault(250, "pause", "jobmanager", 300),
      Fault(400, "partition_one_way", "taskmanager-2", 0, "jobmanager,store"),
      Fault(500, "latency_spike", "taskmanager-3", 1000, "", 2.5),
      Fault(600, "heal", ""),
  };
  const std::string text = FaultScheduleFileText(faults);
  auto parsed = ParseFaultSchedule(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed.value(), faults);
  // One entry per line, and default fields left out.
  EXPECT_EQ(text.find("\"duration_ms\":0"), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 7) << text;
  EXPECT_EQ(FaultScheduleFileText({}), "[]\n");
}

TEST(FaultScheduleTest, AcceptsARunJsonObjectWithFaults) {
  auto parsed =
      ParseFaultSchedule(R"({"seed": 3, "faults": [{"at_ms": 5, "kind": "crash", "host": "tm"}]})");
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ(parsed->at(0).host, "tm");
}

TEST(FaultScheduleTest, NamesTheEntryAndTheProblem) {
  EXPECT_EQ(ErrorOf(R"([{"at_ms": 1, "kind": "crash", "host": "a"},
                        {"at_ms": 2, "kind": "crash", "host": "a"},
                        {"at_ms": -5, "kind": "crash", "host": "a"}])"),
            "entry 3: at_ms must be a non-negative integer, got -5");
  EXPECT_NE(ErrorOf(R"([{"at_ms": 1.5, "kind": "crash", "host": "a"}])").find("entry 1: at_ms"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"([{"at_ms": "1", "kind": "crash", "host": "a"}])").find("the string"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"([{"at_ms": 1, "host": "a"}])").find("entry 1: kind is missing"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"([{"at_ms": 1, "kind": "explode", "host": "a"}])").find("unknown kind"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"([{"at_ms": 1, "kind": "crash", "host": "a", "durationms": 3}])")
                .find("unknown field 'durationms'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"([{"at_ms": 1, "kind": "pause", "host": "a", "factor": "x"}])")
                .find("factor must be a number"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"([{"at_ms": 1, "kind": "pause", "host": 7}])").find("host must be a string"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"([3])").find("entry 1: expected an object"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"seed": 1})").find("no \"faults\""), std::string::npos);
  EXPECT_NE(ErrorOf(R"("crash")").find("expected a JSON array"), std::string::npos);
  EXPECT_NE(ErrorOf("[\n{\"at_ms\": 1,\n").find("line"), std::string::npos);
}

TEST(FaultScheduleTest, ReadingAMissingFileNamesIt) {
  auto read = ReadFaultScheduleFile("/nonexistent/schedule.json");
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find("/nonexistent/schedule.json"), std::string::npos);
}

TEST(FaultScheduleTest, DescribesOnlyFieldsThatAreSet) {
  EXPECT_EQ(DescribeFault(Fault(100, "crash", "tm-1")), "100 ms crash tm-1");
  EXPECT_EQ(DescribeFault(Fault(5, "clog", "tm-1", 300, "jm", 4)),
            "5 ms clog tm-1 duration_ms=300 peer=jm factor=4");
}

}  // namespace fault_schedule_test
}  // namespace
}  // namespace sluice::tools
