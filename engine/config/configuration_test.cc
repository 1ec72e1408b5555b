#include "engine/config/configuration.h"

#include <gtest/gtest.h>

#include <string>
#include <tuple>

#include "engine/config/core_options.h"

namespace sluice {
namespace {

TEST(ParseDurationTest, AcceptsFlinkDurationSyntax) {
  EXPECT_EQ(ParseDurationMs("500ms").value(), 500);
  EXPECT_EQ(ParseDurationMs("500").value(), 500) << "no unit: milliseconds";
  EXPECT_EQ(ParseDurationMs("10 s").value(), 10'000);
  EXPECT_EQ(ParseDurationMs(" 1 min ").value(), 60'000);
  EXPECT_EQ(ParseDurationMs("2m").value(), 120'000) << "m is minutes, as in Flink";
  EXPECT_EQ(ParseDurationMs("1h").value(), 3'600'000);
  EXPECT_EQ(ParseDurationMs("3000us").value(), 3);
  EXPECT_EQ(ParseDurationMs("1d").value(), 86'400'000);
}

TEST(ParseDurationTest, RejectsWhatItCannotRepresent) {
  EXPECT_FALSE(ParseDurationMs("").ok());
  EXPECT_FALSE(ParseDurationMs("ms").ok());
  EXPECT_FALSE(ParseDurationMs("-5ms").ok());
  EXPECT_FALSE(ParseDurationMs("5 fortnights").ok());
  EXPECT_FALSE(ParseDurationMs("1500us").ok()) << "not a whole number of milliseconds";
  EXPECT_FALSE(ParseDurationMs("99999999999999999999ms").ok());
  EXPECT_FALSE(ParseDurationMs("9999999999999999d").ok()) << "overflows int64 ms";
}

TEST(ConfigurationTest, ValidatesKeysAndValuesNamingTheKey) {
  Configuration config;
  ASSERT_TRUE(config.SetFromArgument("parallelism.default=3").ok());
  ASSERT_TRUE(config.SetFromArgument("execution.checkpointing.interval=250 ms").ok());
  EXPECT_TRUE(config.Validate(CoreOptions()).ok());
  EXPECT_EQ(config.GetInt(ParallelismDefault()), 3);
  EXPECT_EQ(config.GetDurationMs(CheckpointingInterval()), 250);
  EXPECT_EQ(config.GetDurationMs(HeartbeatTimeout()), 50000) << "unset: the default (Flink's)";

  Configuration bad_value;
  bad_value.Set("parallelism.default", "three");
  Status status = bad_value.Validate(CoreOptions());
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("'parallelism.default'"), std::string::npos) << status.message();

  Configuration out_of_range;
  out_of_range.Set("parallelism.default", "0");
  EXPECT_FALSE(out_of_range.Validate(CoreOptions()).ok());

  Configuration unknown;
  unknown.Set("execution.checkpointing.intervall", "1s");
  status = unknown.Validate(CoreOptions());
  EXPECT_NE(status.message().find("did you mean 'execution.checkpointing.interval'"),
            std::string::npos)
      << status.message();

  Configuration bad_enum;
  bad_enum.Set("restart-strategy.type", "sometimes");
  EXPECT_FALSE(bad_enum.Validate(CoreOptions()).ok());
}

TEST(ConfigurationTest, ParsesDashDArguments) {
  Configuration config;
  EXPECT_FALSE(config.SetFromArgument("novalue").ok());
  EXPECT_FALSE(config.SetFromArgument("=3").ok());
  EXPECT_FALSE(config.SetFromArgument(" parallelism.default=3").ok());
  ASSERT_TRUE(config.SetFromArgument("a=b=c").ok());
  EXPECT_EQ(config.entries().at("a"), "b=c") << "the value is everything after the first '='";
  ASSERT_TRUE(config.SetFromArgument("a=d").ok());
  EXPECT_EQ(config.entries().at("a"), "d") << "the last -D wins";
  EXPECT_EQ(config.ToArguments(), std::vector<std::string>{"a=d"});
}

TEST(ConfigurationTest, RoundTripsThroughBytes) {
  Configuration config;
  config.Set("parallelism.default", "3");
  config.Set("source.rate-limit", "100");
  std::string bytes;
  ByteWriter w(&bytes);
  config.Encode(w);
  Configuration decoded;
  ByteReader r(bytes);
  ASSERT_TRUE(decoded.Decode(r));
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(decoded, config);
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    ByteReader truncated(std::string_view(bytes).substr(0, cut));
    Configuration partial;
    EXPECT_FALSE(partial.Decode(truncated)) << "truncated at " << cut;
  }
}

TEST(CoreOptionsTest, MaxParallelismDefaultsAsFlink) {
  Configuration config;
  EXPECT_EQ(MaxParallelismFor(config, 1), 128);
  EXPECT_EQ(MaxParallelismFor(config, 100), 256) << "100 * 1.5 = 150, rounded up to 256";
  EXPECT_EQ(MaxParallelismFor(config, 30000), 32768) << "capped at 32768";
  config.Set("pipeline.max-parallelism", "64");
  EXPECT_EQ(MaxParallelismFor(config, 4), 64);
  for (const ConfigOption& option : CoreOptions()) {
    EXPECT_TRUE(CheckValue(option, option.default_value).ok()) << option.key;
  }
}

}  // namespace
}  // namespace sluice

namespace sluice {
namespace {

// Flink's rules for unaligned checkpoints (CheckpointConfig), and Sluice's one more (reactive
// mode rescales from checkpoints, and in-flight data is not restored at another parallelism).
TEST(CoreOptionsTest, UnalignedCheckpointsNeedExactlyOnceAndOneCheckpointAtATime) {
  Configuration config;
  EXPECT_TRUE(CheckCheckpointingSettings(config).ok());
  config.Set(CheckpointingUnaligned().key, "true");
  EXPECT_TRUE(CheckCheckpointingSettings(config).ok());
  EXPECT_TRUE(UnalignedCheckpointsOf(config));
  for (const auto& [key, value, why] :
       {std::tuple{CheckpointingMode().key, "AT_LEAST_ONCE", "EXACTLY_ONCE"},
        std::tuple{CheckpointingMaxConcurrent().key, "2", "max-concurrent-checkpoints 1"},
        std::tuple{SchedulerMode().key, "reactive", "reactive mode"}}) {
    Configuration contradicting = config;
    contradicting.Set(key, value);
    const Status refused = CheckCheckpointingSettings(contradicting);
    EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument) << key;
    EXPECT_NE(refused.message().find("'execution.checkpointing.unaligned.enabled'"),
              std::string::npos);
    EXPECT_NE(refused.message().find(why), std::string::npos) << refused.message();
  }
}

}  // namespace
}  // namespace sluice
