#include "engine/jobs/tokens.h"

#include <algorithm>
#include <string>

#include "engine/api/data_stream.h"
#include "engine/config/core_options.h"
#include "engine/connectors/file_sink.h"
#include "engine/connectors/line_source.h"
#include "engine/jobs/wordcount.h"

namespace sluice {

Result<JobGraph> BuildTokensGraph(const JobContext& context) {
  const int sources = std::min(2, context.input_splits);
  const int parallelism = context.DefaultParallelism();
  StreamEnvironment env("tokens",
                        MaxParallelismFor(context.settings, std::max(sources, parallelism)));
  env.SetParallelism(parallelism);
  const SourceSpec source{context.input_dir, context.settings.GetInt(SourceRateLimit())};
  env.AddSource("Source", LineSource(source), sources)
      .FlatMap<std::string>(
          "Tokenize",
          [](const std::string& line, Collector<std::string>& out) { TokenizeLine(line, &out); })
      .SetParallelism(sources)  // chained to its source
      .Rescale()
      .AddSink("Sink", MakeFileSink<std::string>(
                           FileSinkSpec{context.output_dir},
                           [](const std::string& word, std::string* line) { *line += word; }));
  return env.Build();
}

Status RegisterTokens(JobRegistry& jobs) {
  return jobs.Register(JobDefinition{
      .name = "tokens",
      .description = "every word of the input lines, one per line (pointwise: a pipelined "
                     "region per source)",
      .options = {},
      .default_settings = {{"parallelism.default", "4"}},
      .build = BuildTokensGraph});
}

}  // namespace sluice
