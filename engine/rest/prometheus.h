// Prometheus's text exposition format (version 0.0.4,
// https://prometheus.io/docs/instrumenting/exposition_formats/), as the JobManager's and the
// TaskManagers' GET /metrics serve it:
//   # HELP sluice_jobmanager_job_numRestarts Restarts of the job.
//   # TYPE sluice_jobmanager_job_numRestarts gauge
//   sluice_jobmanager_job_numRestarts{job_id="...",job_name="wordcount"} 2
// Metric names follow Flink's Prometheus reporter (flink_<scope>_<metric>, here sluice_...):
// scope jobmanager, jobmanager_job or taskmanager_job_task, then Flink's metric name.
// Label values are escaped (backslash, double quote, newline). Samples of one metric are
// rendered together under its HELP and TYPE lines (the format wants each metric as one group),
// metrics in the order of their first sample. Thread safety: a value; nothing here suspends.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice {

// The content type GET /metrics answers with.
inline constexpr char kPrometheusContentType[] = "text/plain; version=0.0.4; charset=utf-8";

class PrometheusText {
 public:
  using Labels = std::vector<std::pair<std::string, std::string>>;
  enum class Type { kGauge, kCounter };

  // One sample of metric `name` (`help` and `type` are taken from its first sample). `name`
  // and label names must match [a-zA-Z_:][a-zA-Z0-9_:]* (asserted).
  void Add(std::string_view name, std::string_view help, Type type, const Labels& labels,
           double value);
  // The exposition: each metric's HELP, TYPE and samples.
  std::string text() const;

 private:
  struct Family {
    std::string name;
    std::string header;   // its HELP and TYPE lines
    std::string samples;  // its sample lines
  };
  std::vector<Family> families_;
};

}  // namespace sluice
