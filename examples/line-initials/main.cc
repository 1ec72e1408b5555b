// An application-mode Sluice program: it registers its own job next to the built-in ones and
// hands its command line to Sluice's entry point, which gives it `jobs`, `sim ...` and
// `cluster local` for those jobs (every process of a cluster runs this same binary).
//
// Two jobs. line-initials: for every input line, the running count of lines that start with the
// same letter (lowercased), "letter<TAB>count", into the exactly-once file sink. user-activity
// (below): event-time windows and timers.
//   Source (lines) -> Initial (flat_map) ==key_by(initial)==> Count (keyed) -> Sink
#include <cctype>
#include <cstdlib>
#include <memory>
#include <vector>
#include <string>
#include <utility>

#include "engine/api/data_stream.h"
#include "engine/connectors/line_source.h"
#include "engine/api/job_registry.h"
#include "engine/config/core_options.h"
#include "engine/connectors/file_sink.h"
#include "engine/jobs/builtin_jobs.h"
#include "tools/application.h"

namespace {

using Count = std::pair<std::string, int64_t>;

sluice::Result<sluice::JobGraph> BuildLineInitials(const sluice::JobContext& context) {
  const int parallelism = context.DefaultParallelism();
  sluice::StreamEnvironment env(
      "line-initials",
      sluice::MaxParallelismFor(context.settings, std::max(parallelism, context.input_splits)));
  env.SetParallelism(parallelism);
  env.AddSource("Source",
                    sluice::LineSource(sluice::SourceSpec{context.input_dir,
                                       context.settings.GetInt(sluice::SourceRateLimit())}),
                    context.input_splits)
      .FlatMap<std::string>("Initial",
                            [](const std::string& line, sluice::Collector<std::string>& out) {
                              for (char c : line) {
                                if (std::isalpha(static_cast<unsigned char>(c))) {
                                  out.Emit(std::string(1, static_cast<char>(std::tolower(
                                                              static_cast<unsigned char>(c)))));
                                  return;
                                }
                              }
                            })
      .SetParallelism(context.input_splits)  // chained to its source split
      .KeyBy([](const std::string& initial) { return std::string_view(initial); })
      .Process<int64_t, Count>("Count",
                               [](const std::string& initial, sluice::ValueState<int64_t>& count,
                                  sluice::Collector<Count>& out) {
                                 count.update(count.value() + 1);
                                 out.Emit(Count(initial, count.value()));
                               })
      .AddSink("Sink", sluice::MakeFileSink<Count>(
                           sluice::FileSinkSpec{context.output_dir},
                           [](const Count& c, std::string* line) {
                             *line += c.first + "\t" + std::to_string(c.second);
                           }));
  return env.Build();
}

// The job user-activity, in event time. Input lines "USER TIMESTAMP_MS" (any order within 1 s
// per input split). Two outputs, into the exactly-once file sink:
//   "active USER WINDOW_START N": USER's events per 10 s tumbling window;
//   "idle USER T": USER had an event at T - 5000 and none in the 5 s after it (an event-time
//   timer per event; the answer depends only on timestamps, so any run gives the same lines).
using Activity = std::pair<std::string, int64_t>;  // user, event time (ms)
constexpr int64_t kIdleMs = 5000;

class IdleAlert final : public sluice::KeyedProcessFunction<std::string, Activity, std::string> {
 public:
  void Open(sluice::KeyedStateStore& state) override {
    seen_ = &state.GetMapState<int64_t, int64_t>("seen");  // event time -> events at that time
  }
  void ProcessElement(const Activity& a, Context& ctx,
                      sluice::Collector<std::string>& out) override {
    const int64_t* n = seen_->get(a.second);
    seen_->put(a.second, n == nullptr ? 1 : *n + 1);
    ctx.timer_service().RegisterEventTimeTimer(a.second + kIdleMs);
  }
  void OnTimer(int64_t t, Context& ctx, sluice::Collector<std::string>& out) override {
    // Every event up to t has arrived (the watermark passed t): idle if none in (t - 5 s, t].
    const auto& seen = seen_->entries();
    const auto after = seen.upper_bound(t - kIdleMs);
    if (after == seen.end() || after->first > t) {
      out.Emit("idle " + ctx.current_key() + " " + std::to_string(t));
    }
    std::vector<int64_t> old;  // times no later timer can look back to
    for (auto it = seen.begin(); it != seen.end() && it->first <= t - kIdleMs; ++it) {
      old.push_back(it->first);
    }
    for (int64_t time : old) seen_->remove(time);
  }

 private:
  sluice::MapState<int64_t, int64_t>* seen_ = nullptr;
};

sluice::Result<sluice::JobGraph> BuildUserActivity(const sluice::JobContext& context) {
  sluice::StreamEnvironment env(
      "user-activity",
      sluice::MaxParallelismFor(context.settings,
                                std::max(context.DefaultParallelism(), context.input_splits)));
  env.SetParallelism(context.DefaultParallelism());
  auto by_user =
      env.AddSource("Source",
                        sluice::LineSource(sluice::SourceSpec{context.input_dir,
                                           context.settings.GetInt(sluice::SourceRateLimit())}),
                        context.input_splits)
          .Map("Parse",
               [](const std::string& line) {
                 const size_t space = line.find(' ');
                 return Activity(line.substr(0, space),
                                 space == std::string::npos ? 0 : std::atoll(line.c_str() + space));
               })
          .SetParallelism(context.input_splits)
          .AssignTimestampsAndWatermarks(
              sluice::WatermarkStrategy<Activity>::ForBoundedOutOfOrderness(
                  1000, [](const Activity& a) { return a.second; }))
          .KeyBy([](const Activity& a) { return a.first; });
  auto active =
      by_user.Window(sluice::TumblingEventTimeWindows::Of(10'000))
          .Process<std::string>("Active", [](const std::string& user,
                                             const sluice::TimeWindow& window,
                                             const std::vector<Activity>& events,
                                             sluice::Collector<std::string>& out) {
            out.Emit("active " + user + " " + std::to_string(window.start) + " " +
                     std::to_string(events.size()));
          });
  auto idle = by_user.Process<std::string>("Idle", [] { return std::make_unique<IdleAlert>(); });
  active.Union(idle).AddSink(
      "Sink", sluice::MakeFileSink<std::string>(
                  sluice::FileSinkSpec{context.output_dir},
                  [](const std::string& s, std::string* line) { *line += s; }));
  return env.Build();
}

}  // namespace

int main(int argc, char** argv) {
  sluice::JobRegistry jobs;
  sluice::Status registered = sluice::RegisterBuiltinJobs(jobs);
  if (registered.ok()) {
    registered = jobs.Register(sluice::JobDefinition{
        .name = "line-initials",
        .description = "running count of input lines per initial letter, into a file sink",
        .default_settings = {{"parallelism.default", "2"}},
        .build = BuildLineInitials});
  }
  if (registered.ok()) {
    registered = jobs.Register(sluice::JobDefinition{
        .name = "user-activity",
        .description = "events per user per 10 s window, and alerts when a user goes idle for "
                       "5 s, in event time",
        .default_settings = {{"parallelism.default", "2"}},
        .build = BuildUserActivity});
  }
  if (!registered.ok()) return sluice::RunApplicationError(registered);
  return sluice::RunApplication(jobs, argc, argv);
}
