// The built-in Nexmark jobs (engine/jobs/nexmark/queries.h): nexmark-q0 .. nexmark-q8.
#include <fmt/core.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/base/assert.h"
#include "engine/config/core_options.h"
#include "engine/connectors/line_source.h"
#include "engine/jobs/nexmark/generator.h"
#include "engine/jobs/nexmark/json.h"
#include "engine/jobs/nexmark/queries.h"

namespace sluice::nexmark {
namespace {

Result<JobGraph> BuildQueryJob(int query, const JobContext& context) {
  const int splits = context.input_splits;
  const int parallelism = context.DefaultParallelism();
  StreamEnvironment env(fmt::format("nexmark-q{}", query),
                        MaxParallelismFor(context.settings, std::max(splits, parallelism)));
  env.SetParallelism(parallelism);
  auto events =
      env.AddSource("Source",
                    LineSource(SourceSpec{context.input_dir,
                                          context.settings.GetInt(SourceRateLimit())}),
                    splits)
          .FlatMap<Event>("ParseJson",
                          [](const std::string& line, Collector<Event>& out) {
                            if (line.find_first_not_of(" \t\r") == std::string::npos) return;
                            auto event = ParseEventJson(line);
                            // validate_input checked every line before the job was built.
                            SLUICE_ASSERT(event.ok(), "nexmark input is validated before a run");
                            out.Emit(std::move(event).value());
                          })
          .SetParallelism(splits);
  RETURN_IF_ERROR(AddQueryWithSink(query, WithNexmarkWatermarks(events), context.output_dir));
  return env.Build();
}

const char* Description(int query) {
  switch (query) {
    case 0: return "Nexmark q0: every bid (pass-through)";
    case 1: return "Nexmark q1: every bid, price in euros (0.908 x price)";
    case 2: return "Nexmark q2: bids on auctions whose id is a multiple of 123";
    case 3: return "Nexmark q3: sellers in OR, ID or CA of auctions in category 10 (join)";
    case 5: return "Nexmark q5: auctions with the most bids per 10 s window sliding by 2 s";
    case 7: return "Nexmark q7: the highest bids of each 10 s window";
    default: return "Nexmark q8: people who created an auction in their first 10 s window";
  }
}

}  // namespace

Status RegisterNexmarkJobs(JobRegistry& jobs) {
  for (int query : kQueries) {
    // Windows and joins need events in time order up to the watermark delay (see json.h).
    const bool event_time = query == 5 || query == 7 || query == 8;
    RETURN_IF_ERROR(jobs.Register(JobDefinition{
        .name = fmt::format("nexmark-q{}", query),
        .description = Description(query),
        .options = GeneratorOptions(),
        .default_settings = {{"parallelism.default", "2"}},
        .build = [query](const JobContext& context) { return BuildQueryJob(query, context); },
        .validate_input =
            [event_time](std::string_view input, std::string_view file_name,
                         const Configuration&) {
              return ValidateEventsFile(input, file_name, event_time ? kWatermarkDelayMs : -1);
            },
        .default_input =
            [](const Configuration& settings) {
              return GenerateEventsJson(GeneratorConfigFrom(settings));
            }}));
  }
  return Status::Ok();
}

}  // namespace sluice::nexmark
