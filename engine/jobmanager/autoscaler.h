// The job autoscaler: the Flink Kubernetes operator's algorithm, after DS2 (Kalavri et al.,
// "Three steps is all you need: fast, accurate, automatic scaling decisions for distributed
// streaming dataflows", OSDI 2018). Pure: task reports in, a parallelism out; never suspends.
//
// Each task reports, with every checkpoint acknowledgement, its cumulative busy, idle and
// backpressured time, the records it took in and (a throttled source) how many records it is
// behind its rate (engine/rpc/control.h: TaskTimes). Over the metrics window, per job vertex
// (chain):
//   busy ratio        = the largest subtask's busy time / its elapsed time (Flink's default MAX
//                       aggregation of busyTimeMsPerSecond);
//   input rate        = records taken in per second, summed over the subtasks;
//   true rate (TPR)   = input rate / busy ratio: what the vertex would process at its current
//                       parallelism if it were busy all the time;
//   target rate       = for a source, its input rate plus the growth of its lag plus the lag
//                       itself spread over the catch-up duration (the data that arrives);
//                       downstream, the vertex's input rate times the largest factor by which the
//                       sources' target exceeds what they emit (DS2 propagates targets along the
//                       edges by each edge's output ratio; with every vertex fed, in steady state,
//                       in proportion to the sources, this is the same factor);
//   utilization       = target rate / TPR; within target ± boundary the vertex keeps its
//                       parallelism, else it needs ceil(p × target rate / (TPR × target
//                       utilization)), limited by the scale-up and scale-down factors.
// Sluice rescales a job as a whole (parallelism.default, engine/jobmanager/job_scheduler.h), so
// the decision is the largest parallelism any vertex needs (a departure: Flink sets each
// vertex's). No decision before the stabilization interval has passed since the deployment and
// the window holds that long a span of reports.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "engine/config/configuration.h"
#include "engine/rpc/control.h"

namespace sluice {

// Flink Kubernetes operator keys (job.autoscaler.*), defaults as its documentation gives them.
struct AutoscalerOptions {
  double target_utilization = 0.7;              // job.autoscaler.target.utilization
  double utilization_boundary = 0.3;            // job.autoscaler.target.utilization.boundary
  int64_t stabilization_ns = 300'000'000'000;   // job.autoscaler.stabilization.interval (5 min)
  int64_t metrics_window_ns = 900'000'000'000;  // job.autoscaler.metrics.window (15 min)
  int64_t catch_up_ns = 300'000'000'000;        // job.autoscaler.catch-up.duration (5 min)
  double scale_down_max_factor = 0.6;           // job.autoscaler.scale-down.max-factor
  double scale_up_max_factor = 100000.0;        // job.autoscaler.scale-up.max-factor
  int min_parallelism = 1;                      // job.autoscaler.vertex.min-parallelism
  int max_parallelism = 200;                    // job.autoscaler.vertex.max-parallelism
};

// The job's job.autoscaler.* settings (validated: Configuration::Validate).
AutoscalerOptions AutoscalerOptionsFrom(const Configuration& settings);

class Autoscaler {
 public:
  struct Decision {
    int parallelism = 0;
    std::string reason;  // the vertex that decided, its rates and utilization
  };

  explicit Autoscaler(AutoscalerOptions options) : options_(options) {}

  // The job runs at `parallelism` since `now_ns` (a deployment): reports start anew.
  void OnDeployed(int parallelism, int64_t now_ns);
  // A task's cumulative report at `now_ns` (host clock of the JobManager). `source`: its chain
  // reads a source.
  void OnReport(int chain, int subtask, int64_t attempt, bool source, const TaskTimes& times,
                int64_t now_ns);
  // The parallelism the job should run at, if another than the current one. Pure.
  std::optional<Decision> Evaluate(int64_t now_ns) const;
  int parallelism() const { return parallelism_; }

 private:
  struct Sample {
    int64_t at_ns = 0;
    TaskTimes times;
  };
  struct Subtask {
    int64_t attempt = 0;
    bool source = false;
    std::deque<Sample> samples;  // within the metrics window, oldest first
  };

  AutoscalerOptions options_;
  int parallelism_ = 0;
  int64_t deployed_ns_ = 0;
  std::map<std::pair<int, int>, Subtask> subtasks_;  // (chain, subtask) → its reports
};

}  // namespace sluice
