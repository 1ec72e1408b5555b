#include "engine/api/job_registry.h"

#include <gtest/gtest.h>

#include "engine/api/data_stream.h"
#include "engine/connectors/line_source.h"

namespace sluice {
namespace {
namespace job_registry_test {

Result<JobGraph> TinyJob(const JobContext& context) {
  StreamEnvironment env("tiny");
  env.AddSource("Source", LineSource(SourceSpec{context.input_dir}), context.input_splits);
  return env.Build();
}

TEST(JobRegistryTest, ListsJobsByNameAndFindsThem) {
  JobRegistry jobs;
  ASSERT_TRUE(jobs.Register({.name = "zeta", .description = "z", .build = TinyJob}).ok());
  ASSERT_TRUE(jobs.Register({.name = "alpha", .description = "a", .build = TinyJob}).ok());
  ASSERT_EQ(jobs.jobs().size(), 2u);
  EXPECT_EQ(jobs.jobs()[0].name, "alpha");
  EXPECT_EQ(jobs.jobs()[1].name, "zeta");
  EXPECT_NE(jobs.Find("zeta"), nullptr);
  EXPECT_EQ(jobs.Find("beta"), nullptr);
}

TEST(JobRegistryTest, RefusesBadRegistrations) {
  JobRegistry jobs;
  ASSERT_TRUE(jobs.Register({.name = "job", .build = TinyJob}).ok());
  EXPECT_EQ(jobs.Register({.name = "job", .build = TinyJob}).code(), StatusCode::kAlreadyExists);
  EXPECT_FALSE(jobs.Register({.name = "Bad Name", .build = TinyJob}).ok());
  EXPECT_FALSE(jobs.Register({.name = "nobuild"}).ok());
  EXPECT_FALSE(jobs.Register({.name = "clash",
                              .options = {ConfigOption{.key = "parallelism.default"}},
                              .build = TinyJob})
                   .ok())
      << "a job cannot redefine an engine option";
  EXPECT_FALSE(
      jobs.Register({.name = "baddefault", .default_settings = {{"parallelism.default", "x"}},
                     .build = TinyJob})
          .ok());
}

TEST(JobRegistryTest, JobOptionsAndDefaultsApply) {
  JobRegistry jobs;
  const ConfigOption events{.key = "tiny.events",
                            .type = ConfigType::kLong,
                            .default_value = "10",
                            .min = 0};
  ASSERT_TRUE(jobs.Register({.name = "tiny",
                             .options = {events},
                             .default_settings = {{"parallelism.default", "4"}},
                             .build = TinyJob})
                  .ok());
  JobSpec spec;
  spec.job = "tiny";
  auto settings = jobs.EffectiveSettings(spec);
  ASSERT_TRUE(settings.ok()) << settings.status().ToString();
  EXPECT_EQ(settings->entries().at("parallelism.default"), "4");
  spec.settings.Set("parallelism.default", "2");
  spec.settings.Set("tiny.events", "99");
  settings = jobs.EffectiveSettings(spec);
  ASSERT_TRUE(settings.ok());
  EXPECT_EQ(settings->entries().at("parallelism.default"), "2") << "-D wins over the default";
  EXPECT_EQ(settings->GetInt(events), 99);
  spec.settings.Set("tiny.events", "-1");
  EXPECT_FALSE(jobs.EffectiveSettings(spec).ok());
  spec.settings = Configuration();
  spec.settings.Set("other.events", "1");
  EXPECT_FALSE(jobs.EffectiveSettings(spec).ok()) << "another job's key is unknown here";
}

}  // namespace job_registry_test
}  // namespace
}  // namespace sluice
