// An application-mode Sluice program: it registers its own job next to the built-in ones and
// hands its command line to Sluice's entry point, which gives it `jobs`, `sim ...` and
// `cluster local` for those jobs (every process of a cluster runs this same binary).
//
// The job, line-initials: for every input line, the running count of lines that start with the
// same letter (lowercased), "letter<TAB>count", into the exactly-once file sink.
//   Source (lines) -> Initial (flat_map) ==key_by(initial)==> Count (keyed) -> Sink
#include <cctype>
#include <string>
#include <utility>

#include "engine/api/data_stream.h"
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
  env.AddLineSource("Source",
                    sluice::SourceSpec{context.input_dir,
                                       context.settings.GetInt(sluice::SourceRateLimit())},
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
  if (!registered.ok()) return sluice::RunApplicationError(registered);
  return sluice::RunApplication(jobs, argc, argv);
}
