#include "engine/rest/prometheus.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {
namespace prometheus_test {

// Samples of one metric stay together even when added between another's.
TEST(PrometheusTextTest, HelpAndTypeOnceThenSamplesWithEscapedLabels) {
  PrometheusText text;
  text.Add("sluice_jobmanager_job_numRestarts", "Restarts\nof the job \\ so far.",
           PrometheusText::Type::kGauge, {{"job_id", "ab12"}, {"job_name", "say \"hi\"\n"}}, 2);
  text.Add("sluice_jobmanager_job_numRestarts", "ignored the second time",
           PrometheusText::Type::kGauge, {{"job_id", "cd34"}, {"job_name", "b\\c"}}, 0.25);
  text.Add("sluice_taskmanager_uptime", "Uptime.", PrometheusText::Type::kCounter, {}, 1e18);
  text.Add("sluice_jobmanager_job_numRestarts", "", PrometheusText::Type::kGauge, {}, -3);
  EXPECT_EQ(text.text(),
            "# HELP sluice_jobmanager_job_numRestarts Restarts\\nof the job \\\\ so far.\n"
            "# TYPE sluice_jobmanager_job_numRestarts gauge\n"
            "sluice_jobmanager_job_numRestarts{job_id=\"ab12\",job_name=\"say \\\"hi\\\"\\n\"} 2\n"
            "sluice_jobmanager_job_numRestarts{job_id=\"cd34\",job_name=\"b\\\\c\"} 0.25\n"
            "sluice_jobmanager_job_numRestarts -3\n"
            "# HELP sluice_taskmanager_uptime Uptime.\n"
            "# TYPE sluice_taskmanager_uptime counter\n"
            "sluice_taskmanager_uptime 1e+18\n");
}

}  // namespace prometheus_test
}  // namespace
}  // namespace sluice
