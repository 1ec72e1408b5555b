#include "engine/jobmanager/autoscaler.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "engine/base/assert.h"
#include "engine/config/core_options.h"

namespace sluice {

AutoscalerOptions AutoscalerOptionsFrom(const Configuration& settings) {
  constexpr int64_t kNsPerMs = 1'000'000;
  AutoscalerOptions options;
  options.target_utilization = settings.GetDouble(AutoscalerTargetUtilization());
  options.utilization_boundary = settings.GetDouble(AutoscalerTargetUtilizationBoundary());
  options.stabilization_ns = settings.GetDurationMs(AutoscalerStabilizationInterval()) * kNsPerMs;
  options.metrics_window_ns = settings.GetDurationMs(AutoscalerMetricsWindow()) * kNsPerMs;
  options.catch_up_ns = settings.GetDurationMs(AutoscalerCatchUpDuration()) * kNsPerMs;
  options.scale_down_max_factor = settings.GetDouble(AutoscalerScaleDownMaxFactor());
  options.scale_up_max_factor = settings.GetDouble(AutoscalerScaleUpMaxFactor());
  options.min_parallelism = static_cast<int>(settings.GetInt(AutoscalerVertexMinParallelism()));
  options.max_parallelism = static_cast<int>(settings.GetInt(AutoscalerVertexMaxParallelism()));
  return options;
}

void Autoscaler::OnDeployed(int parallelism, int64_t now_ns) {
  parallelism_ = parallelism;
  deployed_ns_ = now_ns;
  subtasks_.clear();
}

void Autoscaler::OnReport(int chain, int subtask, int64_t attempt, bool source,
                          const TaskTimes& times, int64_t now_ns) {
  Subtask& state = subtasks_[{chain, subtask}];
  if (state.attempt != attempt) state = Subtask{attempt, source, {}};
  if (!state.samples.empty() && state.samples.back().at_ns >= now_ns) return;
  state.samples.push_back(Sample{now_ns, times});
  while (state.samples.size() > 2 &&
         state.samples[1].at_ns <= now_ns - options_.metrics_window_ns) {
    state.samples.pop_front();
  }
}

std::optional<Autoscaler::Decision> Autoscaler::Evaluate(int64_t now_ns) const {
  if (parallelism_ < 1 || now_ns < deployed_ns_ + options_.stabilization_ns) return std::nullopt;
  struct Vertex {
    bool source = false;
    double busy_ratio = 0;  // the busiest subtask's
    double input_rate = 0;  // records per second, all subtasks
    double lag_growth = 0;  // records per second (sources)
    double lag = 0;         // records (sources), now
    int subtasks = 0;
  };
  std::map<int, Vertex> vertices;
  for (const auto& [id, subtask] : subtasks_) {
    // Every subtask that reported must have reports spanning half the window (Flink waits for a
    // full metrics window of every vertex): a decision from part of a vertex undercounts it.
    if (subtask.samples.size() < 2) return std::nullopt;
    const Sample& first = subtask.samples.front();
    const Sample& last = subtask.samples.back();
    const int64_t span_ns = last.at_ns - first.at_ns;
    if (span_ns <= 0 || span_ns < options_.metrics_window_ns / 2) return std::nullopt;
    const double seconds = static_cast<double>(span_ns) / 1e9;
    const double busy = static_cast<double>(last.times.busy_ns - first.times.busy_ns);
    const double elapsed =
        busy + static_cast<double>(last.times.idle_ns - first.times.idle_ns) +
        static_cast<double>(last.times.backpressured_ns - first.times.backpressured_ns);
    Vertex& vertex = vertices[id.first];
    vertex.source = subtask.source;
    ++vertex.subtasks;
    if (elapsed > 0) vertex.busy_ratio = std::max(vertex.busy_ratio, busy / elapsed);
    vertex.input_rate +=
        static_cast<double>(last.times.records_in - first.times.records_in) / seconds;
    vertex.lag_growth +=
        static_cast<double>(last.times.records_lag - first.times.records_lag) / seconds;
    vertex.lag += static_cast<double>(last.times.records_lag);
  }
  if (vertices.empty()) return std::nullopt;
  // How much more the sources must read than they do (>= 1 when they fall behind).
  double factor = 1;
  bool any_source = false;
  for (const auto& [chain, vertex] : vertices) {
    if (!vertex.source || vertex.input_rate <= 0) continue;
    any_source = true;
    const double target = vertex.input_rate + std::max(0.0, vertex.lag_growth) +
                          vertex.lag / (static_cast<double>(options_.catch_up_ns) / 1e9);
    factor = std::max(factor, target / vertex.input_rate);
  }
  if (!any_source) return std::nullopt;
  int desired = 0;
  std::string reason;
  for (const auto& [chain, vertex] : vertices) {
    if (vertex.input_rate <= 0) continue;  // no data: nothing to measure
    const double target = vertex.input_rate * factor;
    // Busy never measured as 0 while records flowed: at least 1% (a true rate, not infinity).
    const double true_rate = vertex.input_rate / std::max(vertex.busy_ratio, 0.01);
    const double utilization = target / true_rate;
    // The vertex's own parallelism (a source's may be capped by its splits).
    const int current = vertex.subtasks;
    int needed = current;
    if (utilization < options_.target_utilization - options_.utilization_boundary ||
        utilization > options_.target_utilization + options_.utilization_boundary) {
      const double wanted =
          static_cast<double>(current) * utilization / options_.target_utilization;
      const double lowest = static_cast<double>(current) * (1 - options_.scale_down_max_factor);
      const double highest = static_cast<double>(current) * (1 + options_.scale_up_max_factor);
      needed = static_cast<int>(std::ceil(std::clamp(wanted, lowest, highest) - 1e-9));
    }
    needed = std::clamp(needed, options_.min_parallelism, options_.max_parallelism);
    if (needed > desired) {
      desired = needed;
      char text[200];
      std::snprintf(text, sizeof(text),
                    "chain %d: %.0f records/s in, target %.0f, true rate %.0f, utilization %.2f",
                    chain, vertex.input_rate, target, true_rate, utilization);
      reason = text;
    }
  }
  if (desired == 0 || desired == parallelism_) return std::nullopt;
  return Decision{desired, reason};
}

}  // namespace sluice
