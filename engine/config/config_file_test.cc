#include "engine/config/config_file.h"

#include <gtest/gtest.h>

#include "engine/config/core_options.h"

namespace sluice {
namespace {
namespace config_file_test {

std::string Value(const ConfigFile& file, const std::string& key) {
  auto it = file.settings.entries().find(key);
  return it == file.settings.entries().end() ? "<unset>" : it->second;
}

TEST(ConfigFileTest, DottedQuotedAndNestedKeysFlattenToFlinkKeys) {
  auto file = ParseConfigFile(R"(# a JobManager
jobmanager.rpc.address = "jm-1.example.org"
"jobmanager.rpc.port" = 6123
heartbeat.timeout = "50 s"

[taskmanager]
numberOfTaskSlots = 4
[execution.checkpointing]
interval = "10s"
unaligned.enabled = true
[restart-strategy.exponential-delay]
backoff-multiplier = 1.5
[high-availability.etcd]
endpoints = ["http://10.0.0.1:2379", "http://10.0.0.2:2379"]
)",
                              "conf/jobmanager.toml");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(Value(*file, "jobmanager.rpc.address"), "jm-1.example.org");
  EXPECT_EQ(Value(*file, "jobmanager.rpc.port"), "6123");
  EXPECT_EQ(Value(*file, "heartbeat.timeout"), "50 s");
  EXPECT_EQ(Value(*file, "taskmanager.numberOfTaskSlots"), "4");
  EXPECT_EQ(Value(*file, "execution.checkpointing.interval"), "10s");
  EXPECT_EQ(Value(*file, "execution.checkpointing.unaligned.enabled"), "true");
  EXPECT_EQ(Value(*file, "restart-strategy.exponential-delay.backoff-multiplier"), "1.5");
  EXPECT_EQ(Value(*file, "high-availability.etcd.endpoints"),
            "http://10.0.0.1:2379,http://10.0.0.2:2379");
  EXPECT_EQ(file->lines.at("jobmanager.rpc.port"), 3);
  EXPECT_EQ(file->lines.at("taskmanager.numberOfTaskSlots"), 7);
  EXPECT_FALSE(file->settings.Validate(CoreOptions()).ok()) << "rpc keys are not job settings";
}

TEST(ConfigFileTest, SyntaxErrorsNameTheFileLineAndColumn) {
  auto file = ParseConfigFile("parallelism.default = 3\nstate.backend.type = rocksdb\n", "a.toml");
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(file.status().message().rfind("a.toml:2:", 0), 0u) << file.status().message();
}

TEST(ConfigFileTest, AKeyGivenTwiceIsRefusedNamingBothLines) {
  auto file = ParseConfigFile(
      "\"parallelism.default\" = 2\n[parallelism]\ndefault = 3\n", "twice.toml");
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.status().message().find("twice.toml:3: parallelism.default: set twice (first "
                                         "on line 1)"),
            std::string::npos)
      << file.status().message();
}

TEST(ConfigFileTest, DatesAndTablesInArraysAreRefused) {
  auto date = ParseConfigFile("\n\nexecution.checkpointing.interval = 1979-05-27\n", "d.toml");
  ASSERT_FALSE(date.ok());
  EXPECT_NE(date.status().message().find("d.toml:3: execution.checkpointing.interval"),
            std::string::npos)
      << date.status().message();
  auto tables = ParseConfigFile("high-availability.etcd.endpoints = [{a = 1}]\n", "t.toml");
  ASSERT_FALSE(tables.ok());
  EXPECT_NE(tables.status().message().find("t.toml:1:"), std::string::npos);
}

TEST(ConfigFileTest, ValidationNamesTheLineOfAnUnknownKeyOrABadValue) {
  auto file = ParseConfigFile("parallelism.default = 3\n\n[execution.checkpointing]\n"
                              "interval = \"soon\"\n",
                              "job.toml");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  Status status = ValidateConfigFile(*file, CoreOptions());
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message().rfind("job.toml:4: ", 0), 0u) << status.message();
  EXPECT_NE(status.message().find("execution.checkpointing.interval"), std::string::npos);

  auto unknown = ParseConfigFile("parallelism.defualt = 3\n", "typo.toml");
  ASSERT_TRUE(unknown.ok());
  status = ValidateConfigFile(*unknown, CoreOptions());
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message().rfind("typo.toml:1: unknown configuration key 'parallelism.defualt'",
                                   0),
            0u)
      << status.message();
  EXPECT_NE(status.message().find("parallelism.default"), std::string::npos) << "a close key";

  auto good = ParseConfigFile("parallelism.default = 3\n", "ok.toml");
  ASSERT_TRUE(good.ok());
  EXPECT_TRUE(ValidateConfigFile(*good, CoreOptions()).ok());
  EXPECT_EQ(good->settings.GetInt(ParallelismDefault()), 3);
}

}  // namespace config_file_test
}  // namespace
}  // namespace sluice
